/** Box sums over a square window: the blur and local means of the segmentation stage. */

/**
 * Sums of `v` (w × h pixels of `ch` interleaved channels) over the square of radius r around each pixel,
 * clipped at the frame's edges. Running sums: per column over the window's rows (moved down a row at a
 * time), then along each row over the window's columns; only a row of column sums is kept (in doubles).
 */
export function boxSums(v: Float32Array, w: number, h: number, ch: number, r: number): Float32Array {
  const out = new Float32Array(w * h * ch);
  const col = new Float64Array(w * ch);
  const addRow = (y: number, sign: number) => {
    const base = y * w * ch;
    for (let j = 0; j < w * ch; j++) col[j] = col[j]! + sign * v[base + j]!;
  };
  for (let y = 0; y < Math.min(h, r); y++) addRow(y, 1);
  const s = new Float64Array(ch);
  for (let y = 0; y < h; y++) {
    if (y + r < h) addRow(y + r, 1);
    if (y - r - 1 >= 0) addRow(y - r - 1, -1);
    s.fill(0);
    for (let x = 0; x < Math.min(w, r); x++) for (let c = 0; c < ch; c++) s[c] = s[c]! + col[x * ch + c]!;
    const row = y * w * ch;
    for (let x = 0; x < w; x++) {
      const add = x + r < w ? (x + r) * ch : -1, sub = x - r - 1 >= 0 ? (x - r - 1) * ch : -1;
      for (let c = 0; c < ch; c++) {
        let t = s[c]!;
        if (add >= 0) t += col[add + c]!;
        if (sub >= 0) t -= col[sub + c]!;
        s[c] = t;
        out[row + x * ch + c] = t;
      }
    }
  }
  return out;
}
