/**
 * Background: replace the backdrop with pure white (a soft matte edge, the contact shadow kept as a
 * soft grey unless shadows are removed), make it transparent, or keep it. Applies the exposure
 * stage's levels in the same pass. Pure: works on a cropped, resized RGB buffer in memory.
 */
import { backdropDistance } from './backdrop.js';
import type { Levels } from './exposure.js';
import type { FrameSegment } from '../segment/frames.js';
import type { BackdropModel } from './types.js';
import type { BackgroundMode } from './choices.js';

export { BACKGROUND_MODES, type BackgroundMode } from './choices.js';

export interface BackgroundOptions {
  /** What to do with the backdrop. */
  mode: BackgroundMode;
  /** Treat cast shadows as backdrop (removes the contact shadow). */
  shadowRemove: boolean;
}

export const BACKGROUND_DEFAULTS: BackgroundOptions = { mode: 'white', shadowRemove: false };

/** Where an output pixel comes from, so the backdrop model and the object mask can be looked up. */
export interface FrameGeometry {
  /** Output size. */
  width: number;
  height: number;
  /** Source pixels per output pixel. */
  step: number;
  /** Source position of the output's top-left corner. */
  originX: number;
  originY: number;
  /** Source frame size. */
  sourceWidth: number;
  sourceHeight: number;
  /** Output pixels that are padding (outside the source frame): left, top, right, bottom counts. */
  pad: { left: number; top: number; right: number; bottom: number };
}

export interface MatteInput {
  backdrop: BackdropModel;
  /** The object mask at analysis resolution, dilated to include soft edges (1 = may be object). */
  gate: Uint8Array;
  gateWidth: number;
  gateHeight: number;
  /** Analysis pixels per source pixel. */
  gateScale: number;
  /** RGB distance from the backdrop at which a pixel is fully object. */
  threshold: number;
  levels: Levels;
}

/**
 * The output of one frame, RGB (white, keep) or RGBA (transparent). White mode starts all white: backdrop
 * and padding stay as filled, and only the object (and what is kept of its shadow) is computed.
 */
function outputFrame(g: FrameGeometry, opts?: Partial<BackgroundOptions>) {
  const o = { ...BACKGROUND_DEFAULTS, ...opts };
  const channels = o.mode === 'transparent' ? 4 : 3;
  const data = new Uint8Array(g.width * g.height * channels);
  const white = o.mode === 'white',
    keep = o.mode === 'keep';
  if (white) data.fill(255);
  const out = new Uint8ClampedArray(data.buffer); // clamps and rounds on write
  return { o, channels, data, out, white, keep } as const;
}

/** Per output column, what does not change from row to row: the backdrop model's u, and the gate column (-1: padding or off the gate). */
function gateColumns(g: FrameGeometry, m: MatteInput): { us: Float64Array; gxs: Int32Array } {
  const w = g.width;
  const invW = 1 / g.sourceWidth;
  const { gateWidth: gw, gateScale: gs } = m;
  const us = new Float64Array(w),
    gxs = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const xs = g.originX + (x + 0.5) * g.step;
    const u = xs * invW - 0.5;
    us[x] = u < -0.5 ? -0.5 : u > 0.5 ? 0.5 : u;
    const gx = Math.floor(xs * gs);
    gxs[x] = x < g.pad.left || x >= w - g.pad.right || gx < 0 || gx >= gw ? -1 : gx;
  }
  return { us, gxs };
}

/**
 * Process one frame. `rgb` is width × height × 3. Returns RGB (white, keep) or RGBA (transparent).
 * Hot loop: the backdrop model is reduced to a quadratic in u per row, and pixels outside the object
 * gate take a fast path (they are backdrop).
 */
export function applyBackground(rgb: Uint8Array, g: FrameGeometry, m: MatteInput, opts?: Partial<BackgroundOptions>): { data: Uint8Array; channels: 3 | 4 } {
  const { o, channels, data, out, white, keep } = outputFrame(g, opts);
  const { width: w, height: h } = g;
  const tHi = m.threshold;
  const tLo = 0.35 * m.threshold;
  const [g0, g1, g2] = m.levels.gain;
  const [c0, c1, c2] = m.backdrop.coeffs;
  const invH = 1 / g.sourceHeight;
  const { gate, gateWidth: gw, gateHeight: gh, gateScale: gs } = m;
  const shadow = o.shadowRemove;
  const { us, gxs } = gateColumns(g, m);
  const row = (c: number[], v: number) => [c[0]! + c[2]! * v + c[4]! * v * v, c[1]! + c[5]! * v, c[3]!] as const;
  for (let y = 0; y < h; y++) {
    const ys = g.originY + (y + 0.5) * g.step;
    let v = ys * invH - 0.5;
    v = v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v;
    const gy = Math.floor(ys * gs);
    const rowPad = y < g.pad.top || y >= h - g.pad.bottom || gy < 0 || gy >= gh;
    const gateRow = gy * gw;
    // Backdrop on this row: B(u) = a + b·u + c·u² per channel.
    const [a0, b0, q0] = row(c0, v),
      [a1, b1, q1] = row(c1, v),
      [a2, b2, q2] = row(c2, v);
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const p = i * 3,
        q = i * channels;
      const gx = gxs[x]!;
      const inGate = !rowPad && gx >= 0 && gate[gateRow + gx] === 1;
      if (!inGate && !keep) continue; // backdrop or padding: already white, or transparent (0)
      const u = us[x]!;
      const B0 = a0 + u * (b0 + u * q0),
        B1 = a1 + u * (b1 + u * q1),
        B2 = a2 + u * (b2 + u * q2);
      const L0 = g0 * B0,
        L1 = g1 * B1,
        L2 = g2 * B2; // the levelled backdrop
      if (keep) {
        if (!inGate && (rowPad || gx < 0)) {
          out[q] = L0;
          out[q + 1] = L1;
          out[q + 2] = L2;
        } else {
          out[q] = g0 * rgb[p]!;
          out[q + 1] = g1 * rgb[p + 1]!;
          out[q + 2] = g2 * rgb[p + 2]!;
        }
        continue;
      }
      const r = rgb[p]!,
        gg = rgb[p + 1]!,
        b = rgb[p + 2]!;
      let d: number;
      if (shadow) d = backdropDistance(r, gg, b, B0, B1, B2, true);
      else {
        const e0 = r - B0,
          e1 = gg - B1,
          e2 = b - B2;
        d = Math.sqrt(e0 * e0 + e1 * e1 + e2 * e2);
      }
      let alpha = 0;
      if (d >= tHi) alpha = 1;
      else if (d > tLo) {
        const t = (d - tLo) / (tHi - tLo);
        alpha = t * t * (3 - 2 * t);
      }
      if (white) {
        if (alpha > 0) {
          // I = αF + (1-α)B  ⇒  αF + (1-α)·white = I + (1-α)(255 - B), with levels applied to I and B.
          const k = 1 - alpha;
          out[q] = g0 * r + k * (255 - L0);
          out[q + 1] = g1 * gg + k * (255 - L1);
          out[q + 2] = g2 * b + k * (255 - L2);
        }
      } else if (alpha > 0) {
        // transparent: un-mix the backdrop from the edge colour, F = (I - (1-α)B) / α.
        const k = 1 - alpha,
          ia = 1 / alpha;
        out[q] = (g0 * r - k * L0) * ia;
        out[q + 1] = (g1 * gg - k * L1) * ia;
        out[q + 2] = (g2 * b - k * L2) * ia;
        out[q + 3] = alpha * 255;
      }
    }
  }
  return { data, channels };
}

/**
 * Bilinear taps of the four working pixels around each output pixel: separable, so found once per
 * column (here: x0, x1, tx in working coordinates) and once per row.
 */
function tapColumns(g: FrameGeometry, s: FrameSegment): { colX0: Int32Array; colX1: Int32Array; colT: Float64Array } {
  const w = g.width,
    sw = s.width;
  const colX0 = new Int32Array(w),
    colX1 = new Int32Array(w),
    colT = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const fx = (g.originX + (x + 0.5) * g.step) * s.scale - 0.5;
    const x0 = Math.max(0, Math.min(sw - 1, Math.floor(fx)));
    colX0[x] = x0;
    colX1[x] = Math.min(sw - 1, x0 + 1);
    colT[x] = Math.max(0, Math.min(1, fx - x0));
  }
  return { colX0, colX1, colT };
}

/**
 * Per working row, the first and last column with anything to composite (alpha, or a contact shadow
 * that is kept): output pixels whose four taps lie outside these keep the fill, so they are not visited.
 */
function compositeSpans(s: FrameSegment, keep: boolean, shadowRemove: boolean): { lo: Int32Array; hi: Int32Array } {
  const { width: sw, height: sh, alpha: am, contact } = s;
  const lo = new Int32Array(sh).fill(sw),
    hi = new Int32Array(sh).fill(-1);
  for (let yy = 0; yy < sh; yy++) {
    for (let xx = 0; xx < sw; xx++) {
      const k = yy * sw + xx;
      if (keep || am[k] || (!shadowRemove && contact[k])) {
        if (xx < lo[yy]!) lo[yy] = xx;
        hi[yy] = xx;
      }
    }
  }
  return { lo, hi };
}

/** The first output column whose left tap (`colX0`) is at or after working column `wx`. */
function firstColumn(colX0: Int32Array, wx: number): number {
  let a = 0,
    b = colX0.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (colX0[m]! < wx) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * Process one frame with a segmentation: alpha is the segmentation's soft alpha sampled bilinearly at
 * each output pixel, the backdrop behind an edge is the row's plate (so the
 * un-mixing follows folds and gradients), and a contact shadow is kept as a neutral darkening of white.
 */
export function applySegmentBackground(
  rgb: Uint8Array,
  g: FrameGeometry,
  s: FrameSegment,
  levels: Levels,
  opts?: Partial<BackgroundOptions>,
): { data: Uint8Array; channels: 3 | 4 } {
  const { o, channels, data, out, white, keep } = outputFrame(g, opts);
  const { width: w, height: h } = g;
  const [g0, g1, g2] = levels.gain;
  const { width: sw, height: sh, alpha: am, contact, plate } = s;
  const [p0, p1, p2] = s.gain;
  const { colX0, colX1, colT } = tapColumns(g, s);
  const { lo, hi } = compositeSpans(s, keep, o.shadowRemove);
  for (let y = 0; y < h; y++) {
    const fy = (g.originY + (y + 0.5) * g.step) * s.scale - 0.5;
    const y0 = Math.max(0, Math.min(sh - 1, Math.floor(fy)));
    const y1 = Math.min(sh - 1, y0 + 1);
    const r0 = y0 * sw,
      r1 = y1 * sw;
    const ty = Math.max(0, Math.min(1, fy - y0));
    const rowPad = y < g.pad.top || y >= h - g.pad.bottom;
    const wlo = Math.min(lo[y0]!, lo[y1]!),
      whi = Math.max(hi[y0]!, hi[y1]!);
    if (whi < 0) continue;
    // Left taps from one before the first such column (its right tap is that column) to the last.
    const xFrom = firstColumn(colX0, wlo - 1),
      xTo = firstColumn(colX0, whi + 1);
    for (let x = xFrom; x < xTo; x++) {
      const i = y * w + x,
        p = i * 3,
        q = i * channels;
      const pad = rowPad || x < g.pad.left || x >= w - g.pad.right;
      const x0 = colX0[x]!,
        x1 = colX1[x]!,
        tx = colT[x]!;
      const a = r0 + x0,
        b = r0 + x1,
        c = r1 + x0,
        d = r1 + x1;
      if (!keep && !am[a] && !am[b] && !am[c] && !am[d] && (pad || o.shadowRemove || !(contact[a]! | contact[b]! | contact[c]! | contact[d]!))) continue; // backdrop: the fill stands
      if (!keep && !pad && (am[a]! & am[b]! & am[c]! & am[d]!) === 255) {
        // Inside the object: its own levelled colour (the plate plays no part at alpha 1).
        out[q] = g0 * rgb[p]!;
        out[q + 1] = g1 * rgb[p + 1]!;
        out[q + 2] = g2 * rgb[p + 2]!;
        if (!white) out[q + 3] = 255;
        continue;
      }
      const wa = (1 - tx) * (1 - ty),
        wb = tx * (1 - ty),
        wc = (1 - tx) * ty,
        wd = tx * ty;
      const alpha = pad ? 0 : (am[a]! * wa + am[b]! * wb + am[c]! * wc + am[d]! * wd) / 255;
      const shadow = !pad && !o.shadowRemove && (contact[a]! | contact[b]! | contact[c]! | contact[d]!) === 1;
      if (keep) {
        out[q] = g0 * rgb[p]!;
        out[q + 1] = g1 * rgb[p + 1]!;
        out[q + 2] = g2 * rgb[p + 2]!;
        continue;
      }
      if (alpha <= 0 && !shadow) continue;
      // The plate behind this pixel, at this frame's exposure, then levelled.
      const B0 = (plate[a * 3]! * wa + plate[b * 3]! * wb + plate[c * 3]! * wc + plate[d * 3]! * wd) * p0 * g0;
      const B1 = (plate[a * 3 + 1]! * wa + plate[b * 3 + 1]! * wb + plate[c * 3 + 1]! * wc + plate[d * 3 + 1]! * wd) * p1 * g1;
      const B2 = (plate[a * 3 + 2]! * wa + plate[b * 3 + 2]! * wb + plate[c * 3 + 2]! * wc + plate[d * 3 + 2]! * wd) * p2 * g2;
      const r = g0 * rgb[p]!,
        gg = g1 * rgb[p + 1]!,
        bb = g2 * rgb[p + 2]!;
      if (alpha <= 0) {
        // A contact shadow: the fraction of light the backdrop lost, applied to white (or as alpha).
        const lb = B0 + B1 + B2;
        const f = lb > 1 ? Math.min(1, (r + gg + bb) / lb) : 1;
        if (white) {
          out[q] = out[q + 1] = out[q + 2] = 255 * f;
        } else {
          out[q + 3] = 255 * (1 - f);
        }
        continue;
      }
      if (white) {
        const k = 1 - alpha;
        out[q] = r + k * (255 - B0);
        out[q + 1] = gg + k * (255 - B1);
        out[q + 2] = bb + k * (255 - B2);
      } else {
        const k = 1 - alpha,
          ia = 1 / alpha;
        out[q] = (r - k * B0) * ia;
        out[q + 1] = (gg - k * B1) * ia;
        out[q + 2] = (bb - k * B2) * ia;
        out[q + 3] = alpha * 255;
      }
    }
  }
  return { data, channels };
}
