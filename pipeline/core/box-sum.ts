/** Box sums over a square window, through an integral image: the blur and local means of the segmentation stage. */

/**
 * Sums of `v` (w × h pixels of `ch` interleaved channels) over the square of radius r around each pixel,
 * clipped at the frame's edges.
 */
export function boxSums(v: Float32Array, w: number, h: number, ch: number, r: number): Float32Array {
  const W = w + 1;
  const I = new Float64Array(W * (h + 1) * ch);
  for (let y = 0; y < h; y++) {
    for (let c = 0; c < ch; c++) {
      let row = 0;
      for (let x = 0; x < w; x++) {
        row += v[(y * w + x) * ch + c]!;
        I[((y + 1) * W + x + 1) * ch + c] = I[(y * W + x + 1) * ch + c]! + row;
      }
    }
  }
  const out = new Float32Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      for (let c = 0; c < ch; c++) {
        out[(y * w + x) * ch + c] = I[(y1 * W + x1) * ch + c]! - I[(y0 * W + x1) * ch + c]! - I[(y1 * W + x0) * ch + c]! + I[(y0 * W + x0) * ch + c]!;
      }
    }
  }
  return out;
}
