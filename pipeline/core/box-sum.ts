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
      const add = x + r < w ? (x + r) * ch : -1,
        sub = x - r - 1 >= 0 ? (x - r - 1) * ch : -1;
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

/**
 * The same sums as `boxSums`, at the pixels where `at` is set only, in row-major order (`ch` values each):
 * a band along a mask's edge needs a small part of its box's window sums. Column sums are kept only for
 * the columns within r of a wanted pixel of the row, moved down a row at a time while a column stays
 * wanted and summed afresh when it becomes wanted again; each wanted pixel adds its row of column sums.
 */
export function boxSumsAt(v: Float32Array, w: number, h: number, ch: number, r: number, at: Uint8Array): Float32Array {
  let count = 0;
  for (let k = 0; k < w * h; k++) if (at[k]) count++;
  const out = new Float32Array(count * ch);
  const col = new Float64Array(w * ch);
  const last = new Int32Array(w).fill(-2); // the row each column's sums are for
  const reach = new Int32Array(w); // per column of this row: the last wanted pixel's column + r
  let o = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    // The columns within r of a wanted pixel of this row.
    let until = -1,
      any = false;
    for (let x = 0; x < Math.min(w, r); x++) if (at[row + x]) until = x + r;
    for (let x = 0; x < w; x++) {
      if (x + r < w && at[row + x + r]) until = x + 2 * r;
      reach[x] = until;
      if (until >= x) any = true;
    }
    if (!any) continue;
    const y0 = Math.max(0, y - r),
      y1 = Math.min(h - 1, y + r);
    for (let x = 0; x < w; x++) {
      if (reach[x]! < x) continue;
      const j = x * ch;
      if (last[x] === y - 1) {
        if (y + r < h) for (let c = 0; c < ch; c++) col[j + c] = col[j + c]! + v[((y + r) * w + x) * ch + c]!;
        if (y - r - 1 >= 0) for (let c = 0; c < ch; c++) col[j + c] = col[j + c]! - v[((y - r - 1) * w + x) * ch + c]!;
      } else {
        for (let c = 0; c < ch; c++) col[j + c] = 0;
        for (let yy = y0; yy <= y1; yy++) for (let c = 0; c < ch; c++) col[j + c] = col[j + c]! + v[(yy * w + x) * ch + c]!;
      }
      last[x] = y;
    }
    for (let x = 0; x < w; x++) {
      if (!at[row + x]) continue;
      const x0 = Math.max(0, x - r),
        x1 = Math.min(w - 1, x + r);
      for (let c = 0; c < ch; c++) {
        let t = 0;
        for (let xx = x0; xx <= x1; xx++) t += col[xx * ch + c]!;
        out[o + c] = t;
      }
      o += ch;
    }
  }
  return out;
}
