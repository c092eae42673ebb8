/**
 * The plain per-frame threshold that bench:segment holds every segmentation against: the distance of
 * each pixel from the median colour of the frame's border band, cut at Otsu's threshold, and the large
 * components kept. One frame at a time, no model of the backdrop, no shadows told apart.
 */
import { histogramMedian } from '../pipeline/core/stats.js';
import { components } from '../pipeline/core/mask.js';
import { withDefaults } from '../pipeline/core/options.js';
import type { RgbImage } from '../pipeline/core/frames.js';

export interface ThresholdOptions {
  /** Width of the border band, as a fraction of the shorter side. */
  band: number;
  /** Components smaller than this fraction of the largest are dropped. */
  keep: number;
}

export const THRESHOLD_DEFAULTS: ThresholdOptions = { band: 0.04, keep: 0.05 };

/** Otsu's threshold of a histogram: the bin that best splits it in two classes (pixels above it are the upper class). */
export function otsu(hist: ArrayLike<number>): number {
  let total = 0,
    sum = 0;
  for (let i = 0; i < hist.length; i++) {
    total += hist[i]!;
    sum += i * hist[i]!;
  }
  let w0 = 0,
    sum0 = 0,
    best = 0,
    bestVar = -1;
  for (let t = 0; t < hist.length; t++) {
    w0 += hist[t]!;
    sum0 += t * hist[t]!;
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0,
      m1 = (sum - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best;
}

/** The object mask of one frame (1 = object) by the plain threshold. */
export function thresholdMask(img: RgbImage, opts?: Partial<ThresholdOptions>): Uint8Array {
  const o = withDefaults(THRESHOLD_DEFAULTS, opts);
  const { width: w, height: h, channels: ch, data } = img;
  const b = Math.max(1, Math.round(o.band * Math.min(w, h)));
  const hist = new Uint32Array(768);
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= b && x < w - b && y >= b && y < h - b) continue;
      const p = (y * w + x) * ch;
      hist[data[p]!]!++;
      hist[256 + data[p + 1]!]!++;
      hist[512 + data[p + 2]!]!++;
      n++;
    }
  }
  const med = [histogramMedian(hist.subarray(0, 256), n), histogramMedian(hist.subarray(256, 512), n), histogramMedian(hist.subarray(512), n)];
  const dist = new Uint16Array(w * h);
  const dh = new Uint32Array(443);
  for (let k = 0; k < w * h; k++) {
    const p = k * ch;
    const dr = data[p]! - med[0]!,
      dg = data[p + 1]! - med[1]!,
      db = data[p + 2]! - med[2]!;
    const d = Math.round(Math.sqrt(dr * dr + dg * dg + db * db));
    dist[k] = d;
    dh[d]!++;
  }
  const t = otsu(dh);
  const raw = new Uint8Array(w * h);
  for (let k = 0; k < raw.length; k++) raw[k] = dist[k]! > t ? 1 : 0;
  const { labels, comps } = components(raw, w, h);
  const largest = comps.reduce((m, c) => Math.max(m, c.area), 0);
  const mask = new Uint8Array(w * h);
  for (let k = 0; k < mask.length; k++) {
    const l = labels[k]!;
    if (l && comps[l - 1]!.area >= o.keep * largest) mask[k] = 1;
  }
  return mask;
}
