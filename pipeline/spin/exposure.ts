/**
 * Exposure: match every frame's backdrop and object levels to the row's median with a per-channel
 * affine map (gain and offset; per channel, so white balance is matched too), so the spin does not
 * flicker. Where the backdrop is clipped (a white sweep at 255) only the object's level decides, as
 * a gain.
 */
import { median } from '../core/linalg.js';
import type { FrameAnalysis } from './types.js';

export interface ExposureOptions {
  /** Match levels (false: identity). */
  enabled: boolean;
  /** Largest gain change allowed either way (a factor; 1.5 allows ×0.67 … ×1.5). */
  maxGain: number;
}

export const EXPOSURE_DEFAULTS: ExposureOptions = { enabled: true, maxGain: 1.6 };

export interface Levels {
  gain: [number, number, number];
  offset: [number, number, number];
}

const IDENTITY = (): Levels => ({ gain: [1, 1, 1], offset: [0, 0, 0] });

/** Backdrop levels at or above this are treated as clipped. */
const CLIPPED = 250;
/** The two levels must be at least this far apart to define an affine map. */
const MIN_SPREAD = 24;

/** Per-frame levels that bring each frame of a row to the row's median backdrop and object levels. */
export function matchExposure(row: readonly FrameAnalysis[], opts?: Partial<ExposureOptions>): Levels[] {
  const o = { ...EXPOSURE_DEFAULTS, ...opts };
  if (!o.enabled) return row.map(IDENTITY);
  const target = {
    bg: [0, 1, 2].map((c) => median(row.map((a) => a.backdropLevel[c]!))),
    ob: [0, 1, 2].map((c) => median(row.map((a) => a.objectLevel[c]!))),
  };
  const clamp = (g: number) => Math.min(o.maxGain, Math.max(1 / o.maxGain, g));
  return row.map((a) => {
    const lv = IDENTITY();
    for (let c = 0; c < 3; c++) {
      const B = a.backdropLevel[c]!, O = a.objectLevel[c]!;
      const tB = target.bg[c]!, tO = target.ob[c]!;
      const affine = B < CLIPPED && tB < CLIPPED && Math.abs(B - O) >= MIN_SPREAD && Math.abs(tB - tO) >= MIN_SPREAD;
      if (affine) {
        const g = clamp((tB - tO) / (B - O));
        lv.gain[c] = g;
        // Least squares through both points with the clamped gain.
        lv.offset[c] = (tB + tO - g * (B + O)) / 2;
      } else if (O > 4) {
        lv.gain[c] = clamp(tO / O);
      }
    }
    return lv;
  });
}

/** Apply levels to a colour (0–255, unclamped). */
export function applyLevels(lv: Levels, c: number, v: number): number {
  return lv.gain[c]! * v + lv.offset[c]!;
}
