/**
 * The scoring helpers of `npm run bench:segment` (bench/segment-metrics.ts, segment-baseline.ts,
 * segment-zone.ts): pure functions on small synthetic masks and frames.
 */
import { describe, expect, it } from 'vitest';
import { otsu, thresholdMask } from '../../bench/segment-baseline.js';
import { boundary, boundaryF, iou, upsampleMask } from '../../bench/segment-metrics.js';
import { shadowZone, zoneBackdrop } from '../../bench/segment-zone.js';
import type { RgbImage } from '../../pipeline/core/frames.js';

const W = 240,
  H = 180;

/** A rectangle (and a disk on top of it) whose top-left is shifted by (dx, dy). */
function shape(dx = 0, dy = 0): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inRect = x >= 60 + dx && x < 160 + dx && y >= 70 + dy && y < 140 + dy;
      const inDisk = (x - 110 - dx) ** 2 + (y - 60 - dy) ** 2 <= 30 ** 2;
      if (inRect || inDisk) m[y * W + x] = 1;
    }
  }
  return m;
}

describe('bench:segment metrics', () => {
  it('IoU: 1 for the same mask, 0 for disjoint ones, 1 for two empty ones', () => {
    const a = shape();
    expect(iou(a, a)).toBe(1);
    expect(iou(a, new Uint8Array(W * H))).toBe(0);
    expect(iou(new Uint8Array(4), new Uint8Array(4))).toBe(1);
  });

  it('boundary: the set pixels next to an unset one, not the frame edge', () => {
    const full = new Uint8Array(W * H).fill(1);
    expect(boundary(full, W, H).some(Boolean)).toBe(false);
    const b = boundary(shape(), W, H);
    expect(b[70 * W + 65]).toBe(1); // the top edge of the rectangle, left of the disk
    expect(b[100 * W + 100]).toBe(0); // inside
  });

  it('boundary F at 2 px: a shift of 1 px scores ≥ 0.99, a shift of 5 px ≤ 0.3', () => {
    const a = shape();
    expect(boundaryF(a, a, W, H, 2).f).toBe(1);
    expect(boundaryF(shape(1, 1), a, W, H, 2).f).toBeGreaterThanOrEqual(0.99);
    expect(boundaryF(shape(1, 0), a, W, H, 2).f).toBeGreaterThanOrEqual(0.99);
    expect(boundaryF(shape(5, 5), a, W, H, 2).f).toBeLessThanOrEqual(0.3);
    // an empty mask against an object: no boundary matched
    expect(boundaryF(new Uint8Array(W * H), a, W, H, 2).f).toBe(0);
  });

  it('upsampleMask: a mask at half size comes back with the same shape', () => {
    const a = shape();
    const half = new Uint8Array((W / 2) * (H / 2));
    for (let y = 0; y < H / 2; y++) for (let x = 0; x < W / 2; x++) half[y * (W / 2) + x] = a[2 * y * W + 2 * x]!;
    const back = upsampleMask(half, W / 2, H / 2, W, H);
    expect(iou(back, a)).toBeGreaterThan(0.97);
    expect(boundaryF(back, a, W, H, 2).f).toBeGreaterThan(0.95);
    expect(upsampleMask(a, W, H, W, H)).toEqual(a);
  });
});

/** A frame: a grey gradient backdrop, the object (dark red) where `obj`, a neutral shadow (×0.5) where `shadow`. */
function frame(obj: Uint8Array, shadow: Uint8Array | null, gain = 1): RgbImage {
  const data = new Uint8Array(W * H * 3);
  for (let k = 0; k < W * H; k++) {
    const y = Math.floor(k / W);
    let rgb = [150 + (40 * y) / H, 150 + (40 * y) / H, 155 + (40 * y) / H];
    if (obj[k]) rgb = [140, 40, 30];
    else if (shadow?.[k]) rgb = rgb.map((v) => v * 0.5);
    for (let c = 0; c < 3; c++) data[k * 3 + c] = Math.round(rgb[c]! * gain);
  }
  return { data, width: W, height: H, channels: 3 };
}

describe('bench:segment baseline and zone', () => {
  it('Otsu splits a two-peak histogram between the peaks', () => {
    const hist = new Array(256).fill(0);
    for (let i = 0; i < 20; i++) hist[20 + i] = 100;
    for (let i = 0; i < 20; i++) hist[180 + i] = 50;
    const t = otsu(hist);
    expect(t).toBeGreaterThanOrEqual(39);
    expect(t).toBeLessThan(180);
  });

  it('the plain threshold finds an object on a plain backdrop', () => {
    const a = shape();
    expect(iou(thresholdMask(frame(a, null)), a)).toBeGreaterThan(0.99);
  });

  it('the zone holds a shadow that moves over the turn, not the still backdrop', () => {
    const frames: RgbImage[] = [],
      truth: Uint8Array[] = [],
      shadows: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const obj = shape(((i % 4) - 2) * 3, 0);
      // a shadow on the floor beside the object: left in a third of the frames, right in a third, none in the rest
      const s = new Uint8Array(W * H);
      const x0 = [20, 165, -1][i % 3]!;
      if (x0 >= 0) for (let y = 120; y < 140; y++) for (let x = x0; x < x0 + 40; x++) if (!obj[y * W + x]) s[y * W + x] = 1;
      frames.push(frame(obj, s, 1 + 0.02 * Math.sin(i)));
      truth.push(obj);
      shadows.push(s);
    }
    const z = shadowZone(frames, truth);
    let inShadow = 0,
      shadowPx = 0,
      outside = 0;
    z.zones.forEach((zone, i) => {
      for (let k = 0; k < zone.length; k++) {
        if (shadows[i]![k]) {
          shadowPx++;
          inShadow += zone[k]!;
        } else if (zone[k]) outside++;
      }
    });
    expect(inShadow / shadowPx).toBeGreaterThan(0.9);
    expect(outside).toBe(0);
    // masks that leave the shadow out class all of the zone as backdrop; masks that take it in, none
    expect(zoneBackdrop(truth, z.zones)).toBe(1);
    expect(
      zoneBackdrop(
        truth.map((t, i) => t.map((v, k) => v | shadows[i]![k]!)),
        z.zones,
      ),
    ).toBe(0);
  });
});
