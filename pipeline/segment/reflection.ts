/**
 * Reflection: on a glossy floor the object is mirrored about the line where it meets the floor, and the
 * mirror image is dimmer. Per image column, the row about which the picture below is a dimmed copy of
 * the picture above (the best normalised correlation of the two profiles) is the contact line; when
 * enough columns agree, the contact line is smoothed across columns and everything of the mask below it
 * is reflection. Nothing of an object standing on a floor lies below the floor.
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
}

export const REFLECTION_DEFAULTS: ReflectionOptions = { minCorrelation: 0.6, minColumns: 0.3, maxBrightness: 0.8, minLength: 0.02, maxContrast: 0.6 };

function checkOptions(o: ReflectionOptions): void {
  assertNumber(STAGE, 'minCorrelation', o.minCorrelation, -1, 1);
  assertNumber(STAGE, 'minColumns', o.minColumns, 0, 1);
  assertNumber(STAGE, 'maxBrightness', o.maxBrightness, 0, 10);
  assertNumber(STAGE, 'minLength', o.minLength, 0, 1);
}

/** The contact line found in a frame: per column the first row of the reflection (h: none), or null when there is no mirror image. */
export function findReflection(img: RgbImage, mask: Uint8Array, opts?: Partial<ReflectionOptions>): Int32Array | null {
  const o = withDefaults(REFLECTION_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h, channels: ch, data } = img;
  // Luminance, averaged over three columns against noise.
  const lum = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0, n = 0;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= w) continue;
        const p = (y * w + xx) * ch;
        s += 0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]!;
        n++;
      }
      lum[y * w + x] = s / n;
    }
  }
  const minT = Math.max(6, Math.round(o.minLength * h));
  const maxT = Math.max(minT, Math.round(0.3 * h));
  const line = new Float64Array(w).fill(NaN);
  let columns = 0, mirrored = 0;
  const score = new Float64Array(h);
  for (let x = 0; x < w; x++) {
    let top = -1, bottom = -1;
    for (let y = 0; y < h; y++) {
      if (!mask[y * w + x]) continue;
      if (top < 0) top = y;
      bottom = y;
    }
    if (top < 0 || bottom - top < 2 * minT) continue;
    columns++;
    let best = -2, bestY = -1;
    score.fill(-2);
    // The mirror image runs to the bottom of the column's mask: compare all of it with as much above.
    for (let ym = Math.max(top + minT, (top + bottom) >> 1); ym <= bottom - minT; ym++) {
      const T = bottom - ym;
      if (T > maxT || ym - T < top) continue;
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let t = 1; t <= T; t++) {
        const a = lum[(ym - t) * w + x]!, b = lum[(ym + t) * w + x]!;
        sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b;
      }
      const va = saa - (sa * sa) / T, vb = sbb - (sb * sb) / T;
      if (va < T || vb < T * 0.25) continue; // flat profiles say nothing
      if (sb > o.maxBrightness * sa) continue; // the mirror image is dimmer
      const cov = sab - (sa * sb) / T;
      const slope = cov / va; // a mirror keeps a fraction of the contrast (its reflectance)
      if (slope < 0.03 || slope > o.maxContrast) continue;
      const r = cov / Math.sqrt(va * vb);
      score[ym] = r;
      if (r > best) best = r;
    }
    // The contact line is the highest row that mirrors nearly as well as the best: the whole mirror image.
    if (best >= o.minCorrelation) {
      for (let ym = Math.max(top + minT, (top + bottom) >> 1); ym <= bottom - minT; ym++) {
        if (score[ym]! >= best - 0.05) { bestY = ym; break; }
      }
    }
    if (best >= o.minCorrelation) {
      line[x] = bestY;
      mirrored++;
    }
  }
  if (!columns || mirrored < o.minColumns * columns) return null;
  // Smooth across columns: a running median of the found rows, filled between columns.
  const r = Math.max(3, Math.round(0.03 * w));
  const out = new Int32Array(w).fill(h);
  const found: number[] = [];
  for (let x = 0; x < w; x++) if (!Number.isNaN(line[x]!)) found.push(x);
  for (let x = 0; x < w; x++) {
    const near: number[] = [];
    for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) if (!Number.isNaN(line[xx]!)) near.push(line[xx]!);
    if (near.length >= 3) {
      near.sort((a, b) => a - b);
      out[x] = Math.round(near[Math.floor(near.length * 0.25)]!); // the lower quartile: a mirror line found too low (a later echo) is the common error
    }
  }
  // Columns with too few findings near them: from the nearest smoothed columns on either side.
  for (let x = 0; x < w; x++) {
    if (out[x] !== h) continue;
    let l = x - 1, rr = x + 1;
    while (l >= 0 && out[l] === h) l--;
    while (rr < w && out[rr] === h) rr++;
    if (l >= 0 && rr < w) out[x] = Math.round(out[l]! + ((out[rr]! - out[l]!) * (x - l)) / (rr - l));
    else if (l >= 0) out[x] = out[l]!;
    else if (rr < w) out[x] = out[rr]!;
  }
  return found.length ? out : null;
}
