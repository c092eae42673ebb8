/**
 * Background: replace the backdrop with pure white (a soft matte edge, the contact shadow kept as a
 * soft grey unless shadows are removed), make it transparent, or keep it. Applies the exposure
 * stage's levels in the same pass. Pure: works on a cropped, resized RGB buffer in memory.
 */
import { backdropAt, backdropDistance } from './backdrop.js';
import type { Levels } from './exposure.js';
import type { BackdropModel } from './types.js';

export type BackgroundMode = 'white' | 'transparent' | 'keep';
export const BACKGROUND_MODES: readonly BackgroundMode[] = ['white', 'transparent', 'keep'];

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
 * Process one frame. `rgb` is width × height × 3. Returns RGB (white, keep) or RGBA (transparent).
 */
export function applyBackground(rgb: Uint8Array, g: FrameGeometry, m: MatteInput, opts?: Partial<BackgroundOptions>): { data: Uint8Array; channels: 3 | 4 } {
  const o = { ...BACKGROUND_DEFAULTS, ...opts };
  const { width: w, height: h } = g;
  const channels = o.mode === 'transparent' ? 4 : 3;
  const out = new Uint8Array(w * h * channels);
  const tHi = m.threshold;
  const tLo = 0.35 * m.threshold;
  const gain = m.levels.gain, off = m.levels.offset;
  const bgc = new Float64Array(3);
  const bc = new Float64Array(3);
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  const invW = 1 / g.sourceWidth, invH = 1 / g.sourceHeight;
  for (let y = 0; y < h; y++) {
    const ys = g.originY + (y + 0.5) * g.step;
    const v = ys * invH - 0.5;
    const gy = Math.floor(ys * m.gateScale);
    const rowPad = y < g.pad.top || y >= h - g.pad.bottom;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const p = i * 3, q = i * channels;
      const xs = g.originX + (x + 0.5) * g.step;
      const pad = rowPad || x < g.pad.left || x >= w - g.pad.right;
      backdropAt(m.backdrop, xs * invW - 0.5, v, bgc);
      for (let c = 0; c < 3; c++) bc[c] = gain[c]! * bgc[c]! + off[c]!;
      if (o.mode === 'keep') {
        for (let c = 0; c < 3; c++) out[q + c] = clamp(pad ? bc[c]! : gain[c]! * rgb[p + c]! + off[c]!);
        continue;
      }
      let alpha = 0;
      if (!pad) {
        const gx = Math.floor(xs * m.gateScale);
        const inGate = gx >= 0 && gy >= 0 && gx < m.gateWidth && gy < m.gateHeight && m.gate[gy * m.gateWidth + gx] === 1;
        if (inGate) {
          const d = backdropDistance(rgb[p]!, rgb[p + 1]!, rgb[p + 2]!, bgc[0]!, bgc[1]!, bgc[2]!, o.shadowRemove);
          if (d >= tHi) alpha = 1;
          else if (d > tLo) {
            const t = (d - tLo) / (tHi - tLo);
            alpha = t * t * (3 - 2 * t);
          }
        }
      }
      if (o.mode === 'white') {
        if (alpha === 0) {
          out[q] = out[q + 1] = out[q + 2] = 255;
        } else {
          // I = αF + (1-α)B  ⇒  αF + (1-α)·white = I + (1-α)(255 - B), with levels applied to I and B.
          for (let c = 0; c < 3; c++) out[q + c] = clamp(gain[c]! * rgb[p + c]! + off[c]! + (1 - alpha) * (255 - bc[c]!));
        }
      } else {
        // transparent: un-mix the backdrop from the edge colour, F = (I - (1-α)B) / α.
        if (alpha === 0) {
          out[q] = out[q + 1] = out[q + 2] = out[q + 3] = 0;
        } else {
          for (let c = 0; c < 3; c++) out[q + c] = clamp((gain[c]! * rgb[p + c]! + off[c]! - (1 - alpha) * bc[c]!) / alpha);
          out[q + 3] = clamp(alpha * 255);
        }
      }
    }
  }
  return { data: out, channels };
}
