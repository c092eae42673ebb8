/**
 * The glossy-floor contact line on synthetic scenes with known truth: a cabinet whose body hangs between
 * two legs, standing on a dark glossy floor along a bent (concave) contact line and mirrored below it,
 * dimmed; the same cabinet on a matte floor has no mirror image.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../pipeline/core/random.js';
import { findReflection } from '../../../pipeline/segment/reflection.js';
import type { RgbImage } from '../../../pipeline/core/frames.js';

const W = 320,
  H = 240,
  FLOOR = 10;
const X0 = 80,
  X1 = 250,
  LEG = 14,
  GAP = 14;

/** Floor contact row of column x: two straight front edges meeting at the nearest corner. */
const contact = (x: number): number => Math.round(178 - 0.3 * Math.abs(x - 190));

/** The cabinet's brightness at (x, y), or -1 off it: a banded body hanging GAP rows above the floor between its legs. */
function cabinet(x: number, y: number): number {
  if (x < X0 || x > X1) return -1;
  const c = contact(x),
    top = c - 110;
  const leg = x < X0 + LEG || x > X1 - LEG;
  if (y < top || y > c - 1 || (!leg && y > c - 1 - GAP)) return -1;
  if (leg && y > c - 1 - GAP) return 150 + 40 * Math.sin(y / 3);
  return 120 + 55 * Math.sin(y / 7 + Math.sin(x / 19)) + 20 * Math.cos(x / 11);
}

interface Scene {
  img: RgbImage;
  mask: Uint8Array;
  /** Per column, the row below the cabinet's lowest pixel (0: no cabinet in the column). */
  bottom: Int32Array;
}

/** The scene: the cabinet, on a glossy floor its mirror image dimmed by `reflectance` (0: matte), noise of ±3 levels. */
function scene(reflectance: number): Scene {
  const rnd = mulberry32(11);
  const data = new Uint8Array(W * H * 3),
    mask = new Uint8Array(W * H),
    bottom = new Int32Array(W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = y * W + x,
        c = contact(x);
      const obj = cabinet(x, y);
      let v = y < 100 ? 140 : FLOOR;
      if (obj >= 0) {
        v = obj;
        mask[k] = 1;
        bottom[x] = y + 1;
      } else if (reflectance > 0 && x >= X0 && x <= X1 && y >= c && 2 * c - 1 - y >= 0) {
        const above = cabinet(x, 2 * c - 1 - y);
        if (above >= 0) {
          v = FLOOR + reflectance * above;
          mask[k] = 1;
        } else if (y < c + GAP) mask[k] = 1; // the floor under the body and its mirror: a dark band in the mask
      }
      for (let ch = 0; ch < 3; ch++) data[k * 3 + ch] = Math.max(0, Math.min(255, Math.round(v * [1, 0.9, 0.8][ch]! + (rnd() - 0.5) * 6)));
    }
  }
  return { img: { data, width: W, height: H, channels: 3 }, mask, bottom };
}

describe('reflection: the contact line of a glossy floor', () => {
  it('cuts the mirror image at the bottom of a hanging cabinet and its legs, along a bent contact line', () => {
    const s = scene(0.35);
    const line = findReflection(s.img, s.mask);
    expect(line).not.toBeNull();
    let cols = 0,
      near = 0;
    for (let x = X0; x <= X1; x++) {
      cols++;
      if (Math.abs(line![x]! - s.bottom[x]!) <= 3) near++;
    }
    expect(near / cols).toBeGreaterThanOrEqual(0.9);
  });

  it('finds no mirror image on a matte floor', () => {
    const s = scene(0);
    expect(findReflection(s.img, s.mask)).toBeNull();
  });

  it('names a bad option', () => {
    const s = scene(0);
    expect(() => findReflection(s.img, s.mask, { riseCost: -1 })).toThrow(/riseCost/);
    expect(() => findReflection(s.img, s.mask, { blockColumns: 2.5 })).toThrow(/blockColumns/);
  });
});
