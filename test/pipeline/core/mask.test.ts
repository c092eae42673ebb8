/** Binary-mask helpers: components against a plain flood fill, on shapes that merge late and on noise. */
import { describe, expect, it } from 'vitest';
import { components, dilate, erode } from '../../../pipeline/core/mask.js';
import { mulberry32 } from '../../../pipeline/core/random.js';

/** The reference: a flood fill from each unlabelled set pixel in raster order, 8-connected. */
function floodComponents(mask: Uint8Array, w: number, h: number): { labels: Int32Array; areas: number[]; boxes: number[][] } {
  const labels = new Int32Array(w * h);
  const areas: number[] = [],
    boxes: number[][] = [];
  for (let s = 0; s < w * h; s++) {
    if (!mask[s] || labels[s]) continue;
    const id = areas.length + 1;
    const box = [w, h, 0, 0];
    let area = 0;
    const stack = [s];
    labels[s] = id;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w,
        y = (p - x) / w;
      area++;
      box[0] = Math.min(box[0]!, x);
      box[1] = Math.min(box[1]!, y);
      box[2] = Math.max(box[2]!, x + 1);
      box[3] = Math.max(box[3]!, y + 1);
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx,
            yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const q = yy * w + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = id;
            stack.push(q);
          }
        }
    }
    areas.push(area);
    boxes.push(box);
  }
  return { labels, areas, boxes };
}

function check(mask: Uint8Array, w: number, h: number): void {
  const got = components(mask, w, h),
    want = floodComponents(mask, w, h);
  expect(got.comps.map((c) => c.area)).toEqual(want.areas);
  expect(got.comps.map((c) => [c.x0, c.y0, c.x1, c.y1])).toEqual(want.boxes);
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
}

describe('components', () => {
  it('labels like a flood fill: a U that joins at the bottom, diagonal steps, runs at the frame edges, an empty mask', () => {
    const w = 9,
      h = 6;
    const art = ['#.#...#.#', '#.#..#..#', '#.#.#...#', '###......', '.......##', '#......##'];
    check(
      Uint8Array.from(
        art
          .join('')
          .split('')
          .map((c) => (c === '#' ? 1 : 0)),
      ),
      w,
      h,
    );
    check(new Uint8Array(w * h), w, h);
    check(new Uint8Array(w * h).fill(1), w, h);
  });
  it('labels like a flood fill on noise of several densities', () => {
    const rnd = mulberry32(7);
    for (const density of [0.1, 0.45, 0.6, 0.9]) {
      const w = 97,
        h = 61;
      check(
        Uint8Array.from({ length: w * h }, () => (rnd() < density ? 1 : 0)),
        w,
        h,
      );
    }
  });
});

describe('dilate, erode', () => {
  /** Noise over the frame, and noisy blobs that fill part of it (away from the edges, or touching one): the work is done within the blob's box. */
  const masks = (): Uint8Array[] => {
    const rnd = mulberry32(3);
    const out = [Uint8Array.from({ length: 53 * 37 }, () => (rnd() < 0.04 ? 1 : 0))];
    for (const [x0, y0, bw, bh] of [
      [10, 8, 20, 12],
      [0, 20, 15, 17],
      [40, 0, 13, 10],
      [25, 15, 1, 1],
    ] as const) {
      const m = new Uint8Array(53 * 37);
      for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) m[y * 53 + x] = rnd() < 0.8 ? 1 : 0;
      out.push(m);
    }
    return out;
  };
  it.each(masks().map((m, i) => [i, m] as const))('match a brute-force square max (min) filter, radius 0 to 4 (mask %i)', (_, mask) => {
    const w = 53,
      h = 37;
    for (let r = 0; r <= 4; r++) {
      const want = new Uint8Array(w * h),
        wantEroded = new Uint8Array(w * h);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          let any = 0,
            all = 1;
          for (let dy = -r; dy <= r; dy++)
            for (let dx = -r; dx <= r; dx++) {
              const xx = x + dx,
                yy = y + dy;
              const v = xx < 0 || yy < 0 || xx >= w || yy >= h ? -1 : mask[yy * w + xx]!;
              if (v === 1) any = 1;
              if (v === 0) all = 0; // outside the frame counts as set when eroding
            }
          want[y * w + x] = any;
          wantEroded[y * w + x] = all;
        }
      expect(Array.from(dilate(mask, w, h, r))).toEqual(Array.from(want));
      expect(Array.from(erode(mask, w, h, r))).toEqual(Array.from(wantEroded));
    }
  });
});
