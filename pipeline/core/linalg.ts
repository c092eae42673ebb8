/** Linear algebra: small dense systems (the statistics are in stats.ts). */

/** Solve the square system A x = b (A row-major n×n) by Gaussian elimination with partial pivoting. */
export function solve(A: Float64Array | number[], b: Float64Array | number[], n: number): number[] | null {
  const m = Float64Array.from(A);
  const v = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[piv * n + col]!)) piv = r;
    if (Math.abs(m[piv * n + col]!) < 1e-12) return null;
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = m[col * n + k]!;
        m[col * n + k] = m[piv * n + k]!;
        m[piv * n + k] = t;
      }
      const t = v[col]!;
      v[col] = v[piv]!;
      v[piv] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / m[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k] = m[r * n + k]! - f * m[col * n + k]!;
      v[r] = v[r]! - f * v[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = v[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r * n + k]! * x[k]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}
