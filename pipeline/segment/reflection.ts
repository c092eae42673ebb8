/**
 * Reflection: on a glossy floor the object is mirrored about the line where it meets the floor, and the
 * mirror image is dimmer. Per image column and candidate row, the picture below is compared with the
 * picture above read upwards (a normalised correlation of the two profiles, over several lengths: a
 * dimmed copy scores high, the longer the surer). The contact line is then traced across the columns at
 * once, as the path through these scores that mirrors best while its slope only falls from left to
 * right (the front of a convex footprint seen from above the floor: an ellipse's lower arc, a box's two
 * front edges), so a column whose own best row is an echo or a symmetric detail of the object follows
 * its neighbours. Where the object hangs above the floor (a sofa between its legs) the line is raised
 * over the dark band of floor seen under it. Everything of the mask below the line is reflection:
 * nothing of an object standing on a floor lies below the floor.
 */
import { assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';

const STAGE = 'reflection';

export interface ReflectionOptions {
  /** Lowest correlation of the profiles above and below (compared over `refLength`; shorter ones need more) for a column to show a mirror image. */
  minCorrelation: number;
  /** Fraction of the mask's columns that must show a mirror image for the frame to have a reflection. */
  minColumns: number;
  /** The mirror image is at most this bright relative to the object above it. */
  maxBrightness: number;
  /** Shortest profile compared, as a fraction of the frame height. */
  minLength: number;
  /** The mirror image keeps at most this fraction of the object's contrast (a floor's reflectance). */
  maxContrast: number;
  /** Cost of the traced line's slope falling by one row per block of columns, in z units (Fisher's z of a correlation). */
  bendCost: number;
  /** Cost of the traced line's slope rising by one row per block of columns (against a convex footprint's front), in z units. */
  riseCost: number;
  /** Columns per block of the traced line (each crossed straight; its slope is a whole number of rows per block). */
  blockColumns: number;
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

export const REFLECTION_DEFAULTS: ReflectionOptions = {
  minCorrelation: 0.6,
  minColumns: 0.3,
  maxBrightness: 0.8,
  minLength: 0.02,
  maxContrast: 0.6,
  bendCost: 0.05,
  riseCost: 2,
  blockColumns: 8,
  maxSlope: 3,
  refLength: 0.1,
  maxMeanBrightness: 0.65,
  maxGap: 0.1,
  gapContrast: 0.15,
};

function checkOptions(o: ReflectionOptions): void {
  assertNumber(STAGE, 'minCorrelation', o.minCorrelation, -1, 1);
  assertNumber(STAGE, 'minColumns', o.minColumns, 0, 1);
  assertNumber(STAGE, 'maxBrightness', o.maxBrightness, 0, 10);
  assertNumber(STAGE, 'minLength', o.minLength, 0, 1);
  assertNumber(STAGE, 'maxContrast', o.maxContrast, 0, 10);
  assertNumber(STAGE, 'bendCost', o.bendCost, 0, 100);
  assertNumber(STAGE, 'riseCost', o.riseCost, 0, 1e6);
  assertInteger(STAGE, 'blockColumns', o.blockColumns, 1, 64);
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
      let s = 0,
        n = 0;
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
  const top = new Int32Array(w).fill(-1),
    bottom = new Int32Array(w).fill(-1);
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

/** What a scan of the mirror scores needs: the image and the profile lengths. */
interface Scan {
  lum: Float32Array;
  w: number;
  h: number;
  lengths: number[];
  /** Profile length at which a correlation counts at face value, in rows. */
  ref: number;
  o: ReflectionOptions;
}

/**
 * Mirror score of T rows above and below a candidate row: the correlation of the profile below with the
 * profile above read upwards, weighted by the length compared (Fisher's z times the square root of T
 * over the reference length: a long mirror is surer than a short one); NaN when the profiles say nothing
 * or the lower one is no dimmed copy (brighter, or keeping more contrast than a floor's reflectance).
 */
function mirrorScore(s: Sums, T: number, scan: Scan): number {
  const va = s.saa - (s.sa * s.sa) / T,
    vb = s.sbb - (s.sb * s.sb) / T;
  if (va < T || vb < T * 0.25) return NaN; // flat profiles say nothing
  if (s.sb > scan.o.maxBrightness * s.sa) return NaN; // the mirror image is dimmer
  const cov = s.sab - (s.sa * s.sb) / T;
  const slope = cov / va; // a mirror keeps a fraction of the contrast (its reflectance)
  if (slope < 0.03 || slope > scan.o.maxContrast) return NaN;
  const r = Math.min(0.99, cov / Math.sqrt(va * vb));
  return Math.atanh(r) * Math.sqrt(T / scan.ref);
}

/** Profile lengths compared: from `minLength` of the frame height up to 0.3 of it, growing by half each time. */
function windowLengths(h: number, o: ReflectionOptions): number[] {
  const lengths: number[] = [];
  for (let T = Math.max(6, Math.round(o.minLength * h)); T <= 0.3 * h; T = Math.round(T * 1.5)) lengths.push(T);
  return lengths;
}

/** The best mirror score of column x about row ym over the profile lengths that fit in the frame. */
function bestMirror(scan: Scan, x: number, ym: number): number {
  const { lum, w, h } = scan;
  const s: Sums = { sa: 0, sb: 0, saa: 0, sbb: 0, sab: 0 };
  let z = NaN,
    t = 0;
  for (const T of scan.lengths) {
    if (ym - T < 0 || ym + T >= h) break;
    for (t++; t <= T; t++) {
      const a = lum[(ym - t) * w + x]!,
        b = lum[(ym + t) * w + x]!;
      s.sa += a;
      s.sb += b;
      s.saa += a * a;
      s.sbb += b * b;
      s.sab += a * b;
    }
    t = T;
    const zT = mirrorScore(s, T, scan);
    if (zT > z || (Number.isNaN(z) && !Number.isNaN(zT))) z = zT;
  }
  return z;
}

/** Mirror scores of every candidate row of every column (rows × columns, NaN: no mirror). */
interface Scores {
  score: Float32Array;
  /** Columns with enough mask to look for a mirror image in. */
  columns: number;
}

/**
 * The candidate contact rows of every column with enough mask lie in the lower half of the column's
 * mask (the object above is at least as tall as what of its mirror image shows); each scores the best
 * over the profile lengths, as the mirror image may be cut short (the disk's edge) or stop matching (a
 * mirror also shows the object's underside).
 */
function scoreColumns(scan: Scan, mask: Uint8Array): Scores {
  const { w, h } = scan;
  const minT = scan.lengths[0] ?? h;
  const { top, bottom } = columnExtents(mask, w, h);
  const score = new Float32Array(w * h).fill(NaN);
  let columns = 0;
  for (let x = 0; x < w; x++) {
    const t = top[x]!,
      b = bottom[x]!;
    if (t < 0 || b - t < 2 * minT) continue;
    columns++;
    for (let ym = Math.max(t + minT, (t + b) >> 1); ym <= b - minT; ym++) score[ym * w + x] = bestMirror(scan, x, ym);
  }
  return { score, columns };
}

/**
 * Per column and row, what the line gains by passing there: how much the row mirrors beyond
 * `minCorrelation` (0: no mirror), the best within `slack` rows (a straight piece of the traced line
 * may miss a curve by that much; the line is then put on the best row).
 */
function gains(score: Float32Array, w: number, h: number, zMin: number, slack: number): Float32Array {
  const g = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = 0;
      for (let yy = Math.max(0, y - slack); yy <= Math.min(h - 1, y + slack); yy++) {
        const z = score[yy * w + x]!;
        if (z - zMin > best) best = z - zMin;
      }
      g[y * w + x] = best;
    }
  }
  return g;
}

/** Each column's row moved to its best score within `slack` rows (left where none is). */
function refine(line: Int32Array, score: Float32Array, w: number, h: number, slack: number): Int32Array {
  const out = Int32Array.from(line);
  for (let x = 0; x < w; x++) {
    let best = -Infinity;
    for (let y = Math.max(0, line[x]! - slack); y <= Math.min(h - 1, line[x]! + slack); y++) {
      const z = score[y * w + x]!;
      if (z > best) {
        best = z;
        out[x] = y;
      }
    }
  }
  return out;
}

/** The columns and rows holding any gain: the only ones the traced line needs to search. */
function gainSpan(g: Float32Array, w: number, h: number): { x0: number; x1: number; y0: number; y1: number } | null {
  let x0 = w,
    x1 = -1,
    y0 = h,
    y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!(g[y * w + x]! > 0)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, x1, y0, y1 };
}

/** A concave path's blocks: `K` columns each from `x0`, rows `y0` to `y0 + H - 1`, a block descending -D to D rows. */
interface Blocks {
  x0: number;
  n: number;
  K: number;
  D: number;
  y0: number;
  H: number;
}

/** What a block's slope changing costs, per row of descent per block: falling (concave) and rising. */
interface Bends {
  fall: number;
  rise: number;
}

/**
 * For every descent d of a block starting at row y, the best previous state arriving there (the previous
 * block started at y - d' with descent d'), its total less what the slope change costs: `best` and
 * `arg` (d' as an index) filled per descent index. Two running maxima: over d' >= d, then d' <= d.
 */
function arrivals(prev: Float64Array, y: number, H: number, D: number, bends: Bends, best: Float64Array, arg: Int16Array): void {
  const nd = 2 * D + 1;
  let run = -Infinity,
    at = D;
  for (let di = nd - 1; di >= 0; di--) {
    const yp = y - (di - D);
    if (yp >= 0 && yp < H && prev[yp * nd + di]! - bends.fall * di > run) {
      run = prev[yp * nd + di]! - bends.fall * di;
      at = di;
    }
    best[di] = run + bends.fall * di;
    arg[di] = at;
  }
  run = -Infinity;
  for (let di = 0; di < nd; di++) {
    const yp = y - (di - D);
    if (yp >= 0 && yp < H && prev[yp * nd + di]! + bends.rise * di > run) {
      run = prev[yp * nd + di]! + bends.rise * di;
      at = di;
    }
    if (run - bends.rise * di > best[di]!) {
      best[di] = run - bends.rise * di;
      arg[di] = at;
    }
  }
}

/** The best path: the blocks it runs over (`first` to `last`), and per block its start row and descent. */
interface Path {
  first: number;
  last: number;
  start: Int32Array;
  descent: Int32Array;
}

/** What block j gains entered at row y (of the rows searched) descending by `off` rows at each of its columns. */
function blockGain(g: Float32Array, w: number, b: Blocks, j: number, y: number, off: number[]): number {
  const xs = b.x0 + j * b.K,
    k = Math.min(b.K, w - xs);
  let gain = 0;
  for (let i = 0; i < k; i++) {
    const yy = y + off[i]!;
    if (yy >= 0 && yy < b.H) gain += g[(b.y0 + yy) * w + xs + i]!;
  }
  return gain;
}

/** The path ending in state `at` (block, start row, descent: one index), followed back to where it begins. */
function backtrack(from: Int16Array, b: Blocks, at: number): Path {
  const { D, H } = b,
    nd = 2 * D + 1;
  const path: Path = { first: 0, last: Math.floor(at / (H * nd)), start: new Int32Array(b.n), descent: new Int32Array(b.n) };
  let y = Math.floor((at % (H * nd)) / nd),
    di = at % nd;
  for (let j = path.last; j >= 0; j--) {
    path.start[j] = b.y0 + y;
    path.descent[j] = di - D;
    path.first = j;
    const dp = from[(j * H + y) * nd + di]!;
    if (dp < 0) break;
    y -= dp - D;
    di = dp;
  }
  return path;
}

/**
 * The best path over the blocks (dynamic programming): per block and state (its start row, the rows it
 * descends) the best total gain of the blocks up to it, less what its slope changes cost. A path may
 * begin and end at any block (a line held concave beyond the mirror would leave the rows searched).
 */
function bestPath(g: Float32Array, w: number, b: Blocks, bends: Bends): Path {
  const { K, D, H } = b,
    nd = 2 * D + 1;
  const offsets = Array.from({ length: nd }, (_, di) => Array.from({ length: K }, (_, i) => Math.round(((di - D) * i) / K)));
  let prev = new Float64Array(H * nd),
    cur = new Float64Array(H * nd);
  const from = new Int16Array(b.n * H * nd); // the previous block's descent (its start row follows), -1: the path begins
  const best = new Float64Array(nd),
    arg = new Int16Array(nd);
  let top = -Infinity,
    topAt = 0;
  for (let j = 0; j < b.n; j++) {
    for (let y = 0; y < H; y++) {
      if (j > 0) arrivals(prev, y, H, D, bends, best, arg);
      for (let di = 0; di < nd; di++) {
        if (j === 0 || best[di]! < 0) {
          best[di] = 0;
          arg[di] = -1;
        }
        const q = y * nd + di;
        cur[q] = best[di]! + blockGain(g, w, b, j, y, offsets[di]!);
        from[j * H * nd + q] = arg[di]!;
        if (cur[q]! > top) {
          top = cur[q]!;
          topAt = j * H * nd + q;
        }
      }
    }
    [prev, cur] = [cur, prev];
  }
  return backtrack(from, b, topAt);
}

/**
 * The contact line as one concave path across the columns, over blocks of columns each crossed at a
 * constant slope: seen from above the floor, the front of a convex footprint projects to a curve whose
 * slope only falls from left to right (an ellipse's lower arc, a box's two front edges). Beyond the
 * columns with any mirror the line goes on straight.
 */
function traceConcave(score: Float32Array, w: number, h: number, o: ReflectionOptions): Int32Array {
  const slack = 2;
  const g = gains(score, w, h, Math.atanh(o.minCorrelation), slack);
  const span = gainSpan(g, w, h);
  const line = new Int32Array(w).fill(h);
  if (!span) return line;
  const K = o.blockColumns,
    D = Math.round(o.maxSlope * K);
  const b: Blocks = { x0: span.x0, n: Math.ceil((span.x1 - span.x0 + 1) / K), K, D, y0: span.y0, H: span.y1 - span.y0 + 1 };
  const p = bestPath(g, w, b, { fall: o.bendCost, rise: o.riseCost });
  for (let x = 0; x < w; x++) {
    const j = Math.min(p.last, Math.max(p.first, Math.floor((x - b.x0) / K)));
    const y = p.start[j]! + (p.descent[j]! * (x - b.x0 - j * K)) / K;
    line[x] = Math.min(h - 1, Math.max(0, Math.round(y)));
  }
  return refine(line, score, w, h, slack);
}

/**
 * How bright the mask below the line is against the rows it would mirror above (sums over all columns):
 * a floor's reflection is well below 1, an object's own lower part (shaded, but lit) is not.
 */
function belowOverAbove(line: Int32Array, lum: Float32Array, mask: Uint8Array, w: number, h: number): number {
  let below = 0,
    above = 0;
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
 * no brighter than the line's own rows by more than `gapContrast` of the object's contrast to them.
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

/** The contact line found in a frame: per column the first row of the reflection (h: none), or null when there is no mirror image. */
export function findReflection(img: RgbImage, mask: Uint8Array, opts?: Partial<ReflectionOptions>): Int32Array | null {
  const o = withDefaults(REFLECTION_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = img;
  const lum = luminance(img);
  const zMin = Math.atanh(o.minCorrelation);
  const scores = scoreColumns({ lum, w, h, lengths: windowLengths(h, o), ref: o.refLength * h, o }, mask);
  if (!scores.columns) return null;
  const line = traceConcave(scores.score, w, h, o);
  let mirrored = 0;
  for (let x = 0; x < w; x++) if (scores.score[line[x]! * w + x]! >= zMin) mirrored++;
  if (mirrored < o.minColumns * scores.columns || belowOverAbove(line, lum, mask, w, h) > o.maxMeanBrightness) return null;
  return raiseOverGaps(line, lum, mask, w, h, o);
}
