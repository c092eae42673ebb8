/**
 * Matte: a soft alpha along the object's edge and the binary mask that follows from it (alpha ≥ ½).
 * An edge pixel mixes the object's colour F and the backdrop's B: I = αF + (1 − α)B. B is the row's
 * plate behind it (at the frame's gain); F is the mean colour of the object's solid interior nearby; α
 * is the projection of I − B on F − B. This keeps the edges of low-contrast objects (white on white)
 * where a threshold on the distance from the backdrop would shave them off.
 */
import { boxSumsAt } from '../core/box-sum.js';
import { dilate, erode } from '../core/mask.js';
import { assertBoolean, assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import type { Plate } from './plate.js';
import { expose } from './pixels.js';

const STAGE = 'matte';

export interface MatteOptions {
  /** Half-width of the band around the mask's edge where alpha is estimated, in working pixels. */
  band: number;
  /** Radius of the window the object's colour is taken from, in working pixels. */
  window: number;
  /** Smallest distance between object and backdrop colours for a projection (RGB levels); below it the edge stays binary. */
  minContrast: number;
  /** Scale the plate behind the edge by how this frame shows the backdrop around it (a shadow at the object's foot). */
  localBackdrop: boolean;
}

export const MATTE_DEFAULTS: MatteOptions = { band: 2, window: 3, minContrast: 6, localBackdrop: true };

function checkOptions(o: MatteOptions): void {
  assertInteger(STAGE, 'band', o.band, 0, 64);
  assertInteger(STAGE, 'window', o.window, 1, 64);
  assertNumber(STAGE, 'minContrast', o.minContrast, 0, 442);
  assertBoolean(STAGE, 'localBackdrop', o.localBackdrop);
}

/** Refine frame `i`'s mask along its edge. Returns the new binary mask and alpha (0–255). */
export function matteFrame(frame: RgbImage, plate: Plate, i: number, mask: Uint8Array, opts?: Partial<MatteOptions>): { mask: Uint8Array; alpha: Uint8Array } {
  const o = withDefaults(MATTE_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = plate;
  const N = w * h;
  const alpha = new Uint8Array(N);
  for (let k = 0; k < N; k++) alpha[k] = mask[k] ? 255 : 0;
  if (o.band === 0) return { mask: mask.slice(), alpha };
  const outer = dilate(mask, w, h, o.band);
  const inner = erode(mask, w, h, o.band);
  // Only the box around the edge band (and the window beyond it) is worked on.
  const R = o.window + o.band;
  const out = mask.slice();
  const box = bandBox(outer, w, h, R);
  if (!box) return { mask: out, alpha };
  const edge = edgeBand(outer, inner, w, box);
  const sums = boxSumsAt(interiorColours(frame, inner, w, box), box.bw, box.bh, 4, R, edge);
  const g = plate.gains[i]!;
  const bsums = o.localBackdrop ? boxSumsAt(backdropAround(frame, plate, g, outer, box), box.bw, box.bh, 6, R, edge) : null;
  solveEdge(frame, plate, g, box, edge, sums, bsums, o.minContrast, alpha, out);
  return { mask: out, alpha };
}

/** The box worked on: from (`x0`, `y0`) in the frame, `bw` × `bh` pixels. */
interface Box {
  x0: number;
  y0: number;
  bw: number;
  bh: number;
}

/** The bounding box of `outer` (the band and the mask) grown by `R` and clipped to the frame, or null when it is empty. */
function bandBox(outer: Uint8Array, w: number, h: number, R: number): Box | null {
  let bx0 = w,
    by0 = h,
    bx1 = -1,
    by1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!outer[y * w + x]) continue;
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      if (y > by1) by1 = y;
    }
  }
  if (bx1 < 0) return null;
  bx0 = Math.max(0, bx0 - R);
  by0 = Math.max(0, by0 - R);
  bx1 = Math.min(w - 1, bx1 + R);
  by1 = Math.min(h - 1, by1 + R);
  return { x0: bx0, y0: by0, bw: bx1 - bx0 + 1, bh: by1 - by0 + 1 };
}

/** The object's colour near each edge pixel is the mean of the solid interior in a window: per box pixel, its colour and 1 where it is interior (RGB + count, for window sums). */
function interiorColours(frame: RgbImage, inner: Uint8Array, w: number, box: Box): Float32Array {
  const { x0, y0, bw, bh } = box;
  const ch = frame.channels,
    data = frame.data;
  const acc = new Float32Array(bw * bh * 4);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const k = (y + y0) * w + x + x0;
      if (!inner[k]) continue;
      const p = k * ch,
        q = (y * bw + x) * 4;
      acc[q] = data[p]!;
      acc[q + 1] = data[p + 1]!;
      acc[q + 2] = data[p + 2]!;
      acc[q + 3] = 1;
    }
  }
  return acc;
}

/** The band (outer, not inner) in the box: the only pixels whose window sums are read. */
function edgeBand(outer: Uint8Array, inner: Uint8Array, w: number, box: Box): Uint8Array {
  const { x0, y0, bw, bh } = box;
  const edge = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const k = (y + y0) * w + x + x0;
      if (outer[k] && !inner[k]) edge[y * bw + x] = 1;
    }
  }
  return edge;
}

/**
 * The backdrop near each edge pixel as this frame shows it: the plate scaled by the ratio of the frame
 * to the plate over the backdrop in the window (a shadow or a light change by the object darkens or
 * lightens the plate there; a lit plate behind a shadowed edge would shave the edge off). Per box pixel
 * outside `outer`: the frame's colour and the plate's at the frame's gain `g` (for window sums).
 */
function backdropAround(frame: RgbImage, plate: Plate, g: readonly number[], outer: Uint8Array, box: Box): Float32Array {
  const { x0, y0, bw, bh } = box;
  const w = plate.width,
    ch = frame.channels,
    data = frame.data;
  const bak = new Float32Array(bw * bh * 6);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const k = (y + y0) * w + x + x0;
      if (outer[k]) continue;
      const p = k * ch,
        q = (y * bw + x) * 6;
      bak[q] = data[p]!;
      bak[q + 1] = data[p + 1]!;
      bak[q + 2] = data[p + 2]!;
      bak[q + 3] = expose(plate.rgb[k * 3]!, g[0]!);
      bak[q + 4] = expose(plate.rgb[k * 3 + 1]!, g[1]!);
      bak[q + 5] = expose(plate.rgb[k * 3 + 2]!, g[2]!);
    }
  }
  return bak;
}

/**
 * Per edge pixel (the band's window sums come in row-major order): α, the projection of I − B on F − B,
 * into `alpha` (0–255) and `out` (α ≥ ½); a pixel with no interior near, or too little contrast, keeps its binary cut.
 */
function solveEdge(
  frame: RgbImage,
  plate: Plate,
  g: readonly number[],
  box: Box,
  edge: Uint8Array,
  sums: Float32Array,
  bsums: Float32Array | null,
  minContrast: number,
  alpha: Uint8Array,
  out: Uint8Array,
): void {
  const { x0, y0, bw, bh } = box;
  const w = plate.width,
    ch = frame.channels,
    data = frame.data;
  let e = -1;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      if (!edge[y * bw + x]) continue;
      e++;
      const k = (y + y0) * w + x + x0,
        q = e * 4;
      const n = sums[q + 3]!;
      if (n < 1) continue; // a thin part with no solid interior near: keep the binary cut
      const F0 = sums[q]! / n,
        F1 = sums[q + 1]! / n,
        F2 = sums[q + 2]! / n;
      let B0 = expose(plate.rgb[k * 3]!, g[0]!),
        B1 = expose(plate.rgb[k * 3 + 1]!, g[1]!),
        B2 = expose(plate.rgb[k * 3 + 2]!, g[2]!);
      if (bsums) {
        const b = e * 6;
        // per-channel ratio, only where the plate in the window is bright enough to measure it
        if (bsums[b + 3]! > 8) B0 *= Math.min(2, bsums[b]! / bsums[b + 3]!);
        if (bsums[b + 4]! > 8) B1 *= Math.min(2, bsums[b + 1]! / bsums[b + 4]!);
        if (bsums[b + 5]! > 8) B2 *= Math.min(2, bsums[b + 2]! / bsums[b + 5]!);
      }
      const e0 = F0 - B0,
        e1 = F1 - B1,
        e2 = F2 - B2;
      const ee = e0 * e0 + e1 * e1 + e2 * e2;
      if (ee < minContrast * minContrast) continue;
      const p = k * ch;
      const a = ((data[p]! - B0) * e0 + (data[p + 1]! - B1) * e1 + (data[p + 2]! - B2) * e2) / ee;
      const c = a < 0 ? 0 : a > 1 ? 1 : a;
      alpha[k] = Math.round(c * 255);
      out[k] = c >= 0.5 ? 1 : 0;
    }
  }
}
