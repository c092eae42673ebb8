/**
 * Exposure: match every frame's levels to the row's median (a gain per channel, so white balance is
 * matched too) so the spin does not flicker.
 *
 * Two references, chosen per row:
 * - the backdrop, when it is neither clipped (a white sweep at 255) nor black: it is the same surface
 *   in every frame, so its level is a direct measure of each frame's exposure;
 * - otherwise the object itself: consecutive frames (a few degrees apart) show mostly the same
 *   surfaces, so the median per-pixel ratio over their overlapping object pixels is their exposure
 *   ratio. The ratios are chained around the closed turn, the closure error spread evenly, and the
 *   result centred on the row's median.
 */
import { median } from '../core/linalg.js';
import type { FrameAnalysis } from './types.js';

export interface ExposureOptions {
  /** Match levels (false: identity). */
  enabled: boolean;
  /** Largest gain change allowed either way (a factor; 1.6 allows ×0.625 … ×1.6). */
  maxGain: number;
}

export const EXPOSURE_DEFAULTS: ExposureOptions = { enabled: true, maxGain: 1.6 };

export interface Levels {
  gain: [number, number, number];
  offset: [number, number, number];
  /** Which reference decided the levels. */
  reference: 'backdrop' | 'object' | 'none';
}

const identity = (): Levels => ({ gain: [1, 1, 1], offset: [0, 0, 0], reference: 'none' });

/** Levels a usable backdrop reference must lie between (on every channel, in every frame). */
const BACKDROP_RANGE: [number, number] = [40, 245];
/** Pixels outside this range (any channel) are left out of ratios: clipped or too dark to trust. */
const PIXEL_RANGE: [number, number] = [12, 243];
/** Pixel pairs further apart than this (log ratio, ≈ ±22 %) are different surfaces, not exposure. */
const MAX_LOG_RATIO = 0.2;

/**
 * Median log ratio per channel of frame `b` over frame `a`, over the pixels that are object in both
 * (after moving `b` by the difference of their centres). Returns null when they share too few pixels.
 */
export function pairLogRatio(a: FrameAnalysis, b: FrameAnalysis): [number, number, number] | null {
  const { width: w, height: h } = a;
  const dx = Math.round(b.centre.x - a.centre.x), dy = Math.round(b.centre.y - a.centre.y);
  const cap = w * h;
  const ratios = [new Float32Array(cap), new Float32Array(cap), new Float32Array(cap)];
  let n = 0;
  for (let y = Math.max(0, -dy); y < Math.min(h, h - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(w, w - dx); x++) {
      const i = y * w + x, j = (y + dy) * w + (x + dx);
      if (!a.mask[i] || !b.mask[j]) continue;
      let ok = true;
      for (let c = 0; c < 3 && ok; c++) {
        const va = a.pixels[i * 3 + c]!, vb = b.pixels[j * 3 + c]!;
        ok = va >= PIXEL_RANGE[0] && va <= PIXEL_RANGE[1] && vb >= PIXEL_RANGE[0] && vb <= PIXEL_RANGE[1];
      }
      if (!ok) continue;
      // Pixels whose brightness differs a lot show different surfaces, not a change of exposure.
      let far = false;
      for (let c = 0; c < 3; c++) {
        const r = Math.log(b.pixels[j * 3 + c]! / a.pixels[i * 3 + c]!);
        ratios[c]![n] = r;
        if (r > MAX_LOG_RATIO || r < -MAX_LOG_RATIO) far = true;
      }
      if (!far) n++;
    }
  }
  if (n < 50) return null;
  return [median(ratios[0]!.subarray(0, n)), median(ratios[1]!.subarray(0, n)), median(ratios[2]!.subarray(0, n))];
}

/** Per-frame log exposure (per channel) of a closed turn from consecutive ratios, centred on the median. */
function chainAroundTurn(row: readonly FrameAnalysis[]): number[][] {
  const n = row.length;
  const steps = row.map((a, i) => pairLogRatio(a, row[(i + 1) % n]!) ?? [0, 0, 0]);
  const out: number[][] = row.map(() => [0, 0, 0]);
  for (let c = 0; c < 3; c++) {
    const closure = steps.reduce((s, d) => s + d[c]!, 0) / n;
    for (let i = 1; i < n; i++) out[i]![c] = out[i - 1]![c]! + steps[i - 1]![c]! - closure;
    const m = median(out.map((g) => g[c]!));
    for (let i = 0; i < n; i++) out[i]![c] = out[i]![c]! - m;
  }
  return out;
}

/** Per-frame levels that bring each frame of a row to the row's median exposure. */
export function matchExposure(row: readonly FrameAnalysis[], opts?: Partial<ExposureOptions>): Levels[] {
  const o = { ...EXPOSURE_DEFAULTS, ...opts };
  if (!o.enabled) return row.map(identity);
  const backdropUsable = row.every((a) => a.backdropLevel.every((v) => v >= BACKDROP_RANGE[0] && v <= BACKDROP_RANGE[1]));
  let logExposure: number[][];
  if (backdropUsable) {
    const med = [0, 1, 2].map((c) => median(row.map((a) => Math.log(a.backdropLevel[c]!))));
    logExposure = row.map((a) => [0, 1, 2].map((c) => Math.log(a.backdropLevel[c]!) - med[c]!));
  } else {
    // The object's colours change with the view, so only its luminance is trusted: one gain for all
    // channels (white balance needs the backdrop).
    logExposure = chainAroundTurn(row).map((g) => {
      const l = 0.2126 * g[0]! + 0.7152 * g[1]! + 0.0722 * g[2]!;
      return [l, l, l];
    });
  }
  const lim = Math.log(o.maxGain);
  return logExposure.map((g) => ({
    gain: g.map((v) => Math.exp(-Math.max(-lim, Math.min(lim, v)))) as [number, number, number],
    offset: [0, 0, 0],
    reference: backdropUsable ? 'backdrop' : 'object',
  }));
}
