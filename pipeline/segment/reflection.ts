/**
 * Reflection: on a glossy floor the object is mirrored about the line where it meets the floor, and the
 * mirror image is dimmer. Per image column and candidate row, the picture below is compared with the
 * picture above read upwards (a normalised correlation of the two profiles: a dimmed copy scores high).
 * The contact line is then traced across the columns at once, as the path through these scores that
 * mirrors best while bending little (a floor contact seen from a fixed camera is a smooth curve), so a
 * column whose own best row is an echo or a symmetric detail of the object follows its neighbours.
 * Everything of the mask below the line is reflection: nothing of an object standing on a floor lies
 * below the floor.
 */
import { assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../spin/backdrop.js';

const STAGE = 'reflection';

export interface ReflectionOptions {
  /** Lowest correlation of the profiles above and below for a column to show a mirror image. */
  minCorrelation: number;
  /** Fraction of the mask's columns that must show a mirror image for the frame to have a reflection. */
  minColumns: number;
  /** The mirror image is at most this bright relative to the object above it. */
  maxBrightness: number;
  /** Shortest profile compared, as a fraction of the frame height. */
  minLength: number;
  /** The mirror image keeps at most this fraction of the object's contrast (a floor's reflectance). */
  maxContrast: number;
  /** Cost of the traced line moving by one row from one column to the next, in correlation units. */
  bendCost: number;
  /** Steepest the traced line may run, in rows per column. */
  maxSlope: number;
  /** Profile length, as a fraction of the frame height, at which a correlation counts at face value (shorter ones count less). */
  refLength: number;
  /** Over the whole frame the mask below the line is at most this bright relative to what it mirrors above. */
  maxMeanBrightness: number;
  /** Widest band of floor seen under a hanging object, as a fraction of the frame height. */
  maxGap: number;
  /** That band is no brighter than the contact row by more than this fraction of the object's contrast to it. */
  gapContrast: number;
}

export const REFLECTION_DEFAULTS: ReflectionOptions = { minCorrelation: 0.6, minColumns: 0.3, maxBrightness: 0.8, minLength: 0.02, maxContrast: 0.6, bendCost: 0.05, maxSlope: 3, refLength: 0.1, maxMeanBrightness: 0.65, maxGap: 0.1, gapContrast: 0.15 };

function checkOptions(o: ReflectionOptions): void {
  assertNumber(STAGE, 'minCorrelation', o.minCorrelation, -1, 1);
  assertNumber(STAGE, 'minColumns', o.minColumns, 0, 1);
  assertNumber(STAGE, 'maxBrightness', o.maxBrightness, 0, 10);
  assertNumber(STAGE, 'minLength', o.minLength, 0, 1);
  assertNumber(STAGE, 'maxContrast', o.maxContrast, 0, 10);
  assertNumber(STAGE, 'bendCost', o.bendCost, 0, 100);
  assertNumber(STAGE, 'maxSlope', o.maxSlope, 1, 100);
  assertNumber(STAGE, 'refLength', o.refLength, 0.001, 1);
  assertNumber(STAGE, 'maxMeanBrightness', o.maxMeanBrightness, 0, 10);
  assertNumber(STAGE, 'maxGap', o.maxGap, 0, 1);
  assertNumber(STAGE, 'gapContrast', o.gapContrast, 0, 1);
}

/** Luminance, averaged over three columns against noise. */
function luminance(img: RgbImage): Float32Array {
  const { width: w, height: h, channels: ch, data } = img;
  const lum = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0, n = 0;
      for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
        const p = (y * w + xx) * ch;
        s += 0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]!;
        n++;
      }
      lum[y * w + x] = s / n;
    }
  }
  return lum;
}

/** Per column, the first and last row of the mask (-1 when the column is empty). */
function columnExtents(mask: Uint8Array, w: number, h: number): { top: Int32Array; bottom: Int32Array } {
  const top = new Int32Array(w).fill(-1), bottom = new Int32Array(w).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      if (top[x]! < 0) top[x] = y;
      bottom[x] = y;
    }
  }
  return { top, bottom };
}

/** Running sums of the profiles above and below a candidate row, grown one row at a time. */
interface Sums {
  sa: number;
  sb: number;
  saa: number;
  sbb: number;
  sab: number;
}

/**
 * Mirror score of T rows above and below a candidate row: the correlation of the profile below with the
 * profile above read upwards, weighted by the length compared (Fisher's z times the square root of T
 * over `refLength` of the frame height: a long mirror is surer than a short one); NaN when the profiles
 * say nothing or the lower one is no dimmed copy (brighter, or keeping more contrast than a floor's
 * reflectance).
 */
function mirrorScore(s: Sums, T: number, ref: number, o: ReflectionOptions): number {
  const va = s.saa - (s.sa * s.sa) / T, vb = s.sbb - (s.sb * s.sb) / T;
  if (va < T || vb < T * 0.25) return NaN; // flat profiles say nothing
  if (s.sb > o.maxBrightness * s.sa) return NaN; // the mirror image is dimmer
  const cov = s.sab - (s.sa * s.sb) / T;
  const slope = cov / va; // a mirror keeps a fraction of the contrast (its reflectance)
  if (slope < 0.03 || slope > o.maxContrast) return NaN;
  const r = Math.min(0.99, cov / Math.sqrt(va * vb));
  return Math.atanh(r) * Math.sqrt(T / ref);
}

/** Profile lengths compared: from `minLength` of the frame height up to 0.3 of it, growing by half each time. */
function windowLengths(h: number, o: ReflectionOptions): number[] {
  const lengths: number[] = [];
  for (let T = Math.max(6, Math.round(o.minLength * h)); T <= 0.3 * h; T = Math.round(T * 1.5)) lengths.push(T);
  return lengths;
}

/** The best mirror score of column x about row ym over the profile lengths that fit in the frame. */
function bestMirror(lum: Float32Array, w: number, h: number, x: number, ym: number, lengths: number[], ref: number, o: ReflectionOptions): number {
  const s: Sums = { sa: 0, sb: 0, saa: 0, sbb: 0, sab: 0 };
  let best = NaN, t = 0;
  for (const T of lengths) {
    if (ym - T < 0 || ym + T >= h) break;
    for (t++; t <= T; t++) {
      const a = lum[(ym - t) * w + x]!, b = lum[(ym + t) * w + x]!;
      s.sa += a; s.sb += b; s.saa += a * a; s.sbb += b * b; s.sab += a * b;
    }
    t = T;
    const z = mirrorScore(s, T, ref, o);
    if (z > best || (Number.isNaN(best) && !Number.isNaN(z))) best = z;
  }
  return best;
}

/**
 * Scores (rows × columns, NaN: no mirror) of the candidate contact rows of every column with enough
 * mask, in the lower half of the column's mask (the object above is at least as tall as what of its
 * mirror image shows): the best over the profile lengths, as the mirror image may be cut short (the
 * disk's edge) or stop matching (a mirror also shows the object's underside).
 */
function scoreColumns(lum: Float32Array, mask: Uint8Array, w: number, h: number, o: ReflectionOptions): { score: Float32Array; columns: number } {
  const lengths = windowLengths(h, o);
  const minT = lengths[0] ?? h, ref = o.refLength * h;
  const { top, bottom } = columnExtents(mask, w, h);
  const score = new Float32Array(w * h).fill(NaN);
  let columns = 0;
  for (let x = 0; x < w; x++) {
    const t = top[x]!, b = bottom[x]!;
    if (t < 0 || b - t < 2 * minT) continue;
    columns++;
    for (let ym = Math.max(t + minT, (t + b) >> 1); ym <= b - minT; ym++) score[ym * w + x] = bestMirror(lum, w, h, x, ym, lengths, ref, o);
  }
  return { score, columns };
}

/**
 * The contact line as one path across the columns (dynamic programming): each column gains how much
 * its row mirrors beyond `minCorrelation`, each row moved between neighbouring columns costs `bendCost`.
 */
function traceLine(score: Float32Array, w: number, h: number, o: ReflectionOptions): Int32Array {
  const step = Math.round(o.maxSlope), zMin = Math.atanh(o.minCorrelation);
  let prev = new Float64Array(h), cur = new Float64Array(h);
  const from = new Int16Array(w * h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let best = -Infinity, arg = y;
      if (x === 0) best = 0;
      else {
        for (let d = -step; d <= step; d++) {
          const yy = y + d;
          if (yy < 0 || yy >= h) continue;
          const v = prev[yy]! - o.bendCost * d * d;
          if (v > best) { best = v; arg = yy; }
        }
      }
      const s = score[y * w + x]!;
      cur[y] = best + (Number.isNaN(s) ? 0 : s - zMin);
      from[x * h + y] = arg - y;
    }
    [prev, cur] = [cur, prev];
  }
  const line = new Int32Array(w);
  let y = 0;
  for (let yy = 1; yy < h; yy++) if (prev[yy]! > prev[y]!) y = yy;
  for (let x = w - 1; x >= 0; x--) {
    line[x] = y;
    y += from[x * h + y]!;
  }
  return line;
}

/** Median of the luminance of column x over the mask's rows from `from` to `to` (exclusive). */
function maskMedian(lum: Float32Array, mask: Uint8Array, w: number, x: number, from: number, to: number): number {
  const v: number[] = [];
  for (let y = Math.max(0, from); y < to; y++) if (mask[y * w + x]) v.push(lum[y * w + x]!);
  v.sort((p, q) => p - q);
  return v.length ? v[v.length >> 1]! : 0;
}

/**
 * Where the object hangs above the floor (a sofa's body between its legs) the contact line is the floor
 * under it, and between the two lies a band of floor seen under the object, mirrored by an equally dark
 * band below the line. Per column, the line is raised over the rows that are dark on both sides of it:
 * no darker than the line's own row by more than `gapContrast` of the object's contrast to it.
 */
function raiseOverGaps(line: Int32Array, lum: Float32Array, mask: Uint8Array, w: number, h: number, o: ReflectionOptions): Int32Array {
  const out = Int32Array.from(line);
  const maxGap = Math.round(o.maxGap * h);
  for (let x = 0; x < w; x++) {
    const f = line[x]!;
    if (f <= 0 || f >= h - 1) continue;
    const dark = Math.min(lum[(f - 1) * w + x]!, lum[f * w + x]!, lum[(f + 1) * w + x]!);
    const object = maskMedian(lum, mask, w, x, f - maxGap * 2, f);
    const limit = dark + Math.max(4, o.gapContrast * (object - dark));
    let d = 0;
    while (d < maxGap && f - d - 1 >= 0 && f + d + 1 < h && lum[(f - d - 1) * w + x]! <= limit && lum[(f + d + 1) * w + x]! <= limit) d++;
    out[x] = f - d;
  }
  return out;
}

/**
 * How bright the mask below the line is against the rows it would mirror above (sums over all columns):
 * a floor's reflection is well below 1, an object's own lower part (shaded, but lit) is not.
 */
function belowOverAbove(line: Int32Array, lum: Float32Array, mask: Uint8Array, w: number, h: number): number {
  let below = 0, above = 0;
  for (let x = 0; x < w; x++) {
    const f = line[x]!;
    for (let y = f; y < h && 2 * f - y >= 0; y++) {
      if (!mask[y * w + x]) continue;
      below += lum[y * w + x]!;
      above += lum[(2 * f - y) * w + x]!;
    }
  }
  return above > 0 ? below / above : Infinity;
}

/** The contact line found in a frame: per column the first row of the reflection (h: none), or null when there is no mirror image. */
export function findReflection(img: RgbImage, mask: Uint8Array, opts?: Partial<ReflectionOptions>): Int32Array | null {
  const o = withDefaults(REFLECTION_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = img;
  const lum = luminance(img);
  const { score, columns } = scoreColumns(lum, mask, w, h, o);
  if (!columns) return null;
  const line = traceLine(score, w, h, o);
  let mirrored = 0;
  const zMin = Math.atanh(o.minCorrelation);
  for (let x = 0; x < w; x++) if (score[line[x]! * w + x]! >= zMin) mirrored++;
  if (mirrored < o.minColumns * columns || belowOverAbove(line, lum, mask, w, h) > o.maxMeanBrightness) return null;
  return raiseOverGaps(line, lum, mask, w, h, o);
}
