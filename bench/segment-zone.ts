/**
 * The "shadow and reflection zone" of a turntable row with ground-truth masks (bench:segment): the pixels
 * that are not object in the truth but that the object changes. On a turntable only the object moves,
 * so a pixel's backdrop is what it shows in the frames where the truth has no object on it: per pixel,
 * the median over those frames (each frame's exposure and colour-cast gain taken out first: the median
 * ratio of its free pixels to a first such plate). A pixel of a frame is in the zone when it is
 *   - not object in the truth, and more than `edge` px from it (the soft edge belongs to the boundary score);
 *   - within `band` (a fraction of the frame height; a square neighbourhood) of the object;
 *   - farther from that backdrop (RGB distance, after the frame's gain) than `noiseFactor` × the row's
 *     typical distance (the median over all free pixels), and at least `minLevels`:
 * a cast or contact shadow, a floor reflection, light bounced off the object. A shadow that lies on a
 * pixel in more than half the frames where the pixel is free is that pixel's backdrop by this rule (no
 * frame shows it lit often enough): it is not in the zone, and it counts in IoU as backdrop as usual.
 */
import { dilate } from '../pipeline/core/mask.js';
import { withDefaults } from '../pipeline/core/options.js';
import { median } from '../pipeline/core/stats.js';
import type { RgbImage } from '../pipeline/core/frames.js';

export interface ZoneOptions {
  /** Neighbourhood of the object the zone is looked for in, as a fraction of the frame height. */
  band: number;
  /** Pixels this close to the object (px) are left to the boundary score. */
  edge: number;
  /** Threshold as a multiple of the row's typical distance from the backdrop (median over the pixels free of the object). */
  noiseFactor: number;
  /** Lowest threshold, in 8-bit RGB distance. */
  minLevels: number;
}

export const ZONE_DEFAULTS: ZoneOptions = { band: 0.5, edge: 2, noiseFactor: 4, minLevels: 8 };

export interface Zone {
  /** Per frame: 1 = in the shadow / reflection zone. */
  zones: Uint8Array[];
  /** Per frame: 1 = of the zone, darker than the backdrop (a shadow); the rest is brighter (a reflection, bounced light). */
  darker: Uint8Array[];
  /** The threshold used (RGB distance, 8-bit levels). */
  threshold: number;
}

function plateOf(frames: readonly RgbImage[], free: readonly Uint8Array[], gains: readonly number[][]): Float32Array {
  const { width: w, height: h } = frames[0]!;
  const plate = new Float32Array(w * h * 3).fill(NaN);
  const buf = new Float32Array(frames.length);
  for (let k = 0; k < w * h; k++) {
    for (let c = 0; c < 3; c++) {
      let n = 0;
      frames.forEach((f, i) => {
        if (free[i]![k]) buf[n++] = f.data[k * f.channels + c]! / gains[i]![c]!;
      });
      if (n) plate[k * 3 + c] = median(buf.subarray(0, n));
    }
  }
  return plate;
}

function sortedMedian(values: number[]): number {
  if (!values.length) return NaN;
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

/** The zone of every frame of a row (frames and truth masks of one size, truth 1 = object). */
export function shadowZone(frames: readonly RgbImage[], truth: readonly Uint8Array[], opts?: Partial<ZoneOptions>): Zone {
  const o = withDefaults(ZONE_DEFAULTS, opts);
  const { width: w, height: h } = frames[0]!;
  const bandPx = Math.max(1, Math.round(o.band * h));
  const free = truth.map((t) => dilate(t, w, h, o.edge).map((v) => (v ? 0 : 1)));
  const near = truth.map((t) => dilate(t, w, h, bandPx));
  const unit = frames.map(() => [1, 1, 1]);
  const plate0 = plateOf(frames, free, unit);
  // Each frame's gain per channel: the median ratio to the first plate over its free pixels (every 3rd pixel).
  const gains = frames.map((f, i) =>
    [0, 1, 2].map((c) => {
      const r: number[] = [];
      for (let k = 0; k < w * h; k += 3) {
        const p = plate0[k * 3 + c]!;
        if (free[i]![k] && p > 8) r.push(f.data[k * f.channels + c]! / p);
      }
      return sortedMedian(r) || 1;
    }),
  );
  const plate = plateOf(frames, free, gains);
  const dist = (f: RgbImage, i: number, k: number): number => {
    let s = 0;
    for (let c = 0; c < 3; c++) {
      const d = f.data[k * f.channels + c]! / gains[i]![c]! - plate[k * 3 + c]!;
      s += d * d;
    }
    return Math.sqrt(s);
  };
  // The row's typical distance: the median over the free pixels (the zone is the smaller part of them).
  const free1: number[] = [];
  frames.forEach((f, i) => {
    for (let k = 0; k < w * h; k += 7) if (free[i]![k] && !Number.isNaN(plate[k * 3]!)) free1.push(dist(f, i, k));
  });
  const typical = sortedMedian(free1);
  const threshold = Math.max(o.minLevels, Number.isNaN(typical) ? 0 : o.noiseFactor * typical);
  const zones: Uint8Array[] = [],
    darker: Uint8Array[] = [];
  frames.forEach((f, i) => {
    const z = new Uint8Array(w * h),
      dk = new Uint8Array(w * h);
    for (let k = 0; k < w * h; k++) {
      if (!free[i]![k] || !near[i]![k] || Number.isNaN(plate[k * 3]!)) continue;
      if (dist(f, i, k) <= threshold) continue;
      z[k] = 1;
      let fs = 0,
        ps = 0;
      for (let c = 0; c < 3; c++) {
        fs += f.data[k * f.channels + c]! / gains[i]![c]!;
        ps += plate[k * 3 + c]!;
      }
      if (fs < ps) dk[k] = 1;
    }
    zones.push(z);
    darker.push(dk);
  });
  return { zones, darker, threshold };
}

/** Fraction of the zone's pixels (over all frames) that a segmentation classes as backdrop (mask 0); NaN for an empty zone. */
export function zoneBackdrop(masks: readonly Uint8Array[], zones: readonly Uint8Array[]): number {
  let n = 0,
    bg = 0;
  masks.forEach((m, i) => {
    const z = zones[i]!;
    for (let k = 0; k < z.length; k++) {
      if (!z[k]) continue;
      n++;
      if (!m[k]) bg++;
    }
  });
  return n ? bg / n : NaN;
}
