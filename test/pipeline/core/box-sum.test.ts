/** Box sums against the plain sum over each window, on random data with several channels and radii (edges clipped). */
import { describe, expect, it } from 'vitest';
import { boxSums, boxSumsAt } from '../../../pipeline/core/box-sum.js';
import { mulberry32 } from '../../../pipeline/core/random.js';

function direct(v: Float32Array, w: number, h: number, ch: number, r: number): Float64Array {
  const out = new Float64Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          for (let c = 0; c < ch; c++) out[(y * w + x) * ch + c] = out[(y * w + x) * ch + c]! + v[(yy * w + xx) * ch + c]!;
        }
      }
    }
  }
  return out;
}

describe('boxSums', () => {
  for (const [w, h, ch, r] of [
    [17, 11, 1, 2],
    [23, 19, 4, 5],
    [9, 30, 6, 12],
    [5, 4, 3, 0],
    [40, 3, 2, 7],
  ] as const) {
    it(`sums every clipped window: ${w}×${h}, ${ch} channel(s), radius ${r}`, () => {
      const rnd = mulberry32(w * 31 + h);
      const v = Float32Array.from({ length: w * h * ch }, () => Math.round(rnd() * 255 * 100) / 100);
      const got = boxSums(v, w, h, ch, r),
        want = direct(v, w, h, ch, r);
      for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 1);
    });
  }
  for (const [w, h, ch, r, share] of [
    [31, 17, 4, 5, 0.1],
    [12, 40, 6, 3, 0.5],
    [9, 9, 2, 12, 0.3],
    [25, 6, 1, 0, 0.2],
    [20, 20, 3, 2, 0],
  ] as const) {
    it(`sums the windows of the wanted pixels only, in row-major order: ${w}×${h}, radius ${r}, ${share * 100} % wanted`, () => {
      const rnd = mulberry32(w * 7 + h * 13 + r);
      const v = Float32Array.from({ length: w * h * ch }, () => Math.round(rnd() * 255));
      // wanted pixels in runs and gaps (a column wanted, then not, then again)
      const at = Uint8Array.from({ length: w * h }, () => (rnd() < share ? 1 : 0));
      const got = boxSumsAt(v, w, h, ch, r, at),
        want = direct(v, w, h, ch, r);
      let o = 0;
      for (let k = 0; k < w * h; k++) {
        if (!at[k]) continue;
        for (let c = 0; c < ch; c++) expect(got[o + c]).toBe(want[k * ch + c]);
        o += ch;
      }
      expect(o).toBe(got.length);
    });
  }
});
