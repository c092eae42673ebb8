/**
 * The classifier's reading of the plate where it was interpolated (the object covers those pixels in
 * every frame, so the plate there is a guess): a slight neutral brightening is the guess's error, not
 * object; a change of colour, or the same brightening over a plate seen over the turn, is object.
 */
import { describe, expect, it } from 'vitest';
import { classifyFrame } from '../../../pipeline/segment/classify.js';
import type { Plate } from '../../../pipeline/segment/plate.js';
import type { RgbImage } from '../../../pipeline/core/frames.js';

const W = 60,
  H = 40;
const inSquare = (x: number, y: number) => x >= 20 && x < 40 && y >= 10 && y < 30;

/** A flat grey plate, seen over the turn (source 2) except in the square, where it was interpolated (source 0) when `interpolated`. */
function plate(interpolated: boolean): Plate {
  const rgb = new Float32Array(W * H * 3).fill(120);
  const source = new Uint8Array(W * H).fill(2);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (interpolated && inSquare(x, y)) source[y * W + x] = 0;
  return { width: W, height: H, rgb, gains: [[1, 1, 1]], source, noise: 1, vis: new Uint8Array(0) };
}

/** The plate with the square changed to `rgb`. */
function frame(rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(W * H * 3).fill(120);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inSquare(x, y)) data.set(rgb, (y * W + x) * 3);
  return { data, width: W, height: H, channels: 3 };
}

const area = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);

describe('classify: an interpolated plate', () => {
  it('takes a neutral brightening within interpolatedGain over it as the plate, not object', () => {
    const c = classifyFrame(frame([130, 130, 130]), plate(true), 0);
    expect(area(c.mask)).toBe(0);
  });

  it('still finds object there when the brightening is larger, or tinted, or the option is 0', () => {
    expect(area(classifyFrame(frame([140, 140, 140]), plate(true), 0).mask)).toBe(400);
    expect(area(classifyFrame(frame([132, 126, 116]), plate(true), 0).mask)).toBe(400);
    expect(area(classifyFrame(frame([130, 130, 130]), plate(true), 0, { interpolatedGain: 0 }).mask)).toBe(400);
  });

  it('finds the same brightening over a plate seen over the turn as object', () => {
    expect(area(classifyFrame(frame([130, 130, 130]), plate(false), 0).mask)).toBe(400);
  });

  it('names the option when it is out of range', () => {
    expect(() => classifyFrame(frame([130, 130, 130]), plate(true), 0, { interpolatedGain: 2 })).toThrow(/classify.*interpolatedGain/);
  });
});
