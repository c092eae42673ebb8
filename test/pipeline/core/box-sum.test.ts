/** Box sums against the plain sum over each window, on random data with several channels and radii (edges clipped). */
import { describe, expect, it } from 'vitest';
import { boxSums } from '../../../pipeline/core/box-sum.js';
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
  for (const [w, h, ch, r] of [[17, 11, 1, 2], [23, 19, 4, 5], [9, 30, 6, 12], [5, 4, 3, 0], [40, 3, 2, 7]] as const) {
    it(`sums every clipped window: ${w}×${h}, ${ch} channel(s), radius ${r}`, () => {
      const rnd = mulberry32(w * 31 + h);
      const v = Float32Array.from({ length: w * h * ch }, () => Math.round(rnd() * 255 * 100) / 100);
      const got = boxSums(v, w, h, ch, r), want = direct(v, w, h, ch, r);
      for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 1);
    });
  }
});
