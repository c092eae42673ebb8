/** Small statistics on numeric arrays: median, mean, and the median of an 8-bit histogram. */

/** Median of a numeric array (copy-sorted); NaN for an empty array. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values as ArrayLike<number>).sort();
  return n % 2 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Mean of a numeric array; NaN for an empty array. */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : NaN;
}

/** Median of 8-bit values collected in a 256-bin histogram. */
export function histogramMedian(hist: ArrayLike<number>, count: number): number {
  if (count === 0) return NaN;
  const half = count / 2;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= half) return v;
  }
  return 255;
}
