/**
 * Matte: a soft alpha along the object's edge and the binary mask that follows from it (alpha ≥ ½).
 * An edge pixel mixes the object's colour F and the backdrop's B: I = αF + (1 − α)B. B is the row's
 * plate behind it (at the frame's gain); F is the mean colour of the object's solid interior nearby; α
 * is the projection of I − B on F − B. This keeps the edges of low-contrast objects (white on white)
 * where a threshold on the distance from the backdrop would shave them off.
 */
import { boxSums } from '../core/box-sum.js';
import { dilate, erode } from '../core/mask.js';
import { assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../spin/backdrop.js';
import type { Plate } from './plate.js';

const STAGE = 'matte';

export interface MatteOptions {
  /** Half-width of the band around the mask's edge where alpha is estimated, in working pixels. */
  band: number;
  /** Radius of the window the object's colour is taken from, in working pixels. */
  window: number;
  /** Smallest distance between object and backdrop colours for a projection (RGB levels); below it the edge stays binary. */
  minContrast: number;
}

export const MATTE_DEFAULTS: MatteOptions = { band: 3, window: 5, minContrast: 6 };

function checkOptions(o: MatteOptions): void {
  assertInteger(STAGE, 'band', o.band, 0, 64);
  assertInteger(STAGE, 'window', o.window, 1, 64);
  assertNumber(STAGE, 'minContrast', o.minContrast, 0, 442);
}

/** Refine frame `i`'s mask along its edge. Returns the new binary mask and alpha (0–255). */
export function matteFrame(frame: RgbImage, plate: Plate, i: number, mask: Uint8Array, opts?: Partial<MatteOptions>): { mask: Uint8Array; alpha: Uint8Array } {
  const o = withDefaults(MATTE_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = plate;
  const N = w * h, ch = frame.channels, data = frame.data;
  const alpha = new Uint8Array(N);
  for (let k = 0; k < N; k++) alpha[k] = mask[k] ? 255 : 0;
  if (o.band === 0) return { mask: mask.slice(), alpha };
  const outer = dilate(mask, w, h, o.band);
  const inner = erode(mask, w, h, o.band);
  // The object's colour near each edge pixel: the mean of the solid interior in a window.
  const acc = new Float32Array(N * 4);
  for (let k = 0; k < N; k++) {
    if (!inner[k]) continue;
    const p = k * ch;
    acc[k * 4] = data[p]!;
    acc[k * 4 + 1] = data[p + 1]!;
    acc[k * 4 + 2] = data[p + 2]!;
    acc[k * 4 + 3] = 1;
  }
  const sums = boxSums(acc, w, h, 4, o.window + o.band);
  const g = plate.gains[i]!;
  const out = mask.slice();
  for (let k = 0; k < N; k++) {
    if (!outer[k] || inner[k]) continue;
    const n = sums[k * 4 + 3]!;
    if (n < 1) continue; // a thin part with no solid interior near: keep the binary cut
    const F0 = sums[k * 4]! / n, F1 = sums[k * 4 + 1]! / n, F2 = sums[k * 4 + 2]! / n;
    const B0 = plate.rgb[k * 3]! * g[0], B1 = plate.rgb[k * 3 + 1]! * g[1], B2 = plate.rgb[k * 3 + 2]! * g[2];
    const e0 = F0 - B0, e1 = F1 - B1, e2 = F2 - B2;
    const ee = e0 * e0 + e1 * e1 + e2 * e2;
    if (ee < o.minContrast * o.minContrast) continue;
    const p = k * ch;
    const a = ((data[p]! - B0) * e0 + (data[p + 1]! - B1) * e1 + (data[p + 2]! - B2) * e2) / ee;
    const c = a < 0 ? 0 : a > 1 ? 1 : a;
    alpha[k] = Math.round(c * 255);
    out[k] = c >= 0.5 ? 1 : 0;
  }
  return { mask: out, alpha };
}
