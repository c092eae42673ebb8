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
import { median } from '../core/stats.js';
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
  /** Which reference decided the levels. */
  reference: 'backdrop' | 'object' | 'none';
}

const identity = (): Levels => ({ gain: [1, 1, 1], reference: 'none' });

/** Levels a usable backdrop reference must lie between (on every channel, in every frame). */
const BACKDROP_RANGE: [number, number] = [40, 245];
/** Pixels outside this range (any channel) are left out of ratios: clipped or too dark to trust. */
const PIXEL_RANGE: [number, number] = [12, 243];
/** Pixel pairs further apart than this (log ratio, ≈ ±22 %) are different surfaces, not exposure. */
const MAX_LOG_RATIO = 0.2;
/** Histogram bin of the log ratio (0.1 %). */
const LOG_BIN = 0.001;
/** ln(v) for 8-bit values. */
const LOG = Float64Array.from({ length: 256 }, (_, v) => Math.log(Math.max(v, 1)));

/**
 * Median log ratio per channel of frame `b` over frame `a`, over the pixels that are object in both
 * (after moving `b` by the difference of their centres). Returns null when they share too few pixels.
 */
export function pairLogRatio(a: FrameAnalysis, b: FrameAnalysis): [number, number, number] | null {
  const { width: w, height: h } = a;
  const dx = Math.round(b.centre.x - a.centre.x),
    dy = Math.round(b.centre.y - a.centre.y);
  // Medians from histograms of the log ratio (bins of 0.001 over ±MAX_LOG_RATIO): no sorting, no big arrays.
  const bins = Math.round((2 * MAX_LOG_RATIO) / LOG_BIN) + 1;
  const hist = new Uint32Array(3 * bins);
  const ap = a.pixels,
    bp = b.pixels;
  let n = 0;
  const y0 = Math.max(0, -dy),
    y1 = Math.min(h, h - dy),
    x0 = Math.max(0, -dx),
    x1 = Math.min(w, w - dx);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * w + x,
        j = (y + dy) * w + (x + dx);
      if (!a.mask[i] || !b.mask[j]) continue;
      const i3 = i * 3,
        j3 = j * 3;
      let k0 = -1,
        k1 = -1,
        k2 = -1;
      for (let c = 0; c < 3; c++) {
        const va = ap[i3 + c]!,
          vb = bp[j3 + c]!;
        if (va < PIXEL_RANGE[0] || va > PIXEL_RANGE[1] || vb < PIXEL_RANGE[0] || vb > PIXEL_RANGE[1]) break;
        const r = LOG[vb]! - LOG[va]!;
        // Pixels whose brightness differs a lot show different surfaces, not a change of exposure.
        if (r > MAX_LOG_RATIO || r < -MAX_LOG_RATIO) break;
        const k = Math.round((r + MAX_LOG_RATIO) / LOG_BIN);
        if (c === 0) k0 = k;
        else if (c === 1) k1 = k;
        else k2 = k;
      }
      if (k2 < 0) continue;
      hist[k0]!++;
      hist[bins + k1]!++;
      hist[2 * bins + k2]!++;
      n++;
    }
  }
  if (n < 50) return null;
  const med = (c: number) => {
    let acc = 0;
    for (let k = 0; k < bins; k++) {
      acc += hist[c * bins + k]!;
      if (acc * 2 >= n) return k * LOG_BIN - MAX_LOG_RATIO;
    }
    return MAX_LOG_RATIO;
  };
  return [med(0), med(1), med(2)];
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
    reference: backdropUsable ? 'backdrop' : 'object',
  }));
}
