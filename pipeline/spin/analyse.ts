/**
 * Analyse: at a reduced size, find the backdrop (from the borders), the object mask, its box and its
 * centre, and the backdrop and object levels that the exposure stage matches.
 */
import { XoayError } from '../core/errors.js';
import { type DecodeOptions, imageError, openImage } from '../core/image.js';
import { histogramMedian } from '../core/stats.js';
import { components, dilate, maskMoments } from '../core/mask.js';
import { withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import { backdropAt, backdropDistance, fitBackdrop } from './backdrop.js';
import type { BackdropModel, FrameAnalysis, FrameRef } from './types.js';

const STAGE = 'analyse';

export interface AnalyseOptions {
  /** Longest side of the analysis image, in pixels. */
  size: number;
  /** Treat neutral darkening of the backdrop (cast shadows) as backdrop. */
  shadowRemove: boolean;
  /** Object threshold as a multiple of the backdrop noise (the floor below applies too). */
  noiseFactor: number;
  /** Lowest RGB distance from the backdrop that counts as object. */
  minDistance: number;
}

export const ANALYSE_DEFAULTS: AnalyseOptions = { size: 512, shadowRemove: false, noiseFactor: 6, minDistance: 16 };

/** Decode a frame at the analysis size (JPEG shrink-on-load keeps this cheap at 24 MP). */
export async function loadAnalysisImage(frame: FrameRef, size: number, decode: DecodeOptions): Promise<RgbImage & { scale: number }> {
  const file = frame.file;
  try {
    const { data, info } = await openImage(file, decode)
      .resize(size, size, { fit: 'inside', withoutEnlargement: true, kernel: 'cubic' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: 3,
      scale: info.width / frame.width,
    };
  } catch (e) {
    throw imageError(STAGE, file, e, decode.limitInputPixels);
  }
}

/** The object threshold (RGB distance) for a backdrop model. */
export function objectThreshold(model: BackdropModel, o: AnalyseOptions): number {
  return Math.max(o.noiseFactor * model.sigma, o.minDistance);
}

/** Distance of every pixel from the backdrop model, as a Float32Array. */
export function distanceMap(img: RgbImage, model: BackdropModel, shadowRemove: boolean): Float32Array {
  const { width: w, height: h, channels: ch, data } = img;
  const out = new Float32Array(w * h);
  const bgc = new Float64Array(3);
  for (let y = 0; y < h; y++) {
    const v = (y + 0.5) / h - 0.5;
    for (let x = 0; x < w; x++) {
      backdropAt(model, (x + 0.5) / w - 0.5, v, bgc);
      const i = (y * w + x) * ch;
      out[y * w + x] = backdropDistance(data[i]!, data[i + 1]!, data[i + 2]!, bgc[0]!, bgc[1]!, bgc[2]!, shadowRemove);
    }
  }
  return out;
}

/**
 * Analyse one frame already decoded at the analysis size. `file` is only used in messages.
 * `scale` is analysis pixels per source pixel.
 */
export function analyseFrame(img: RgbImage, scale: number, file: string, opts?: Partial<AnalyseOptions>, backdrop?: BackdropModel): FrameAnalysis {
  const o = withDefaults(ANALYSE_DEFAULTS, opts);
  const { width: w, height: h, channels: ch, data } = img;
  const model = backdrop ?? fitBackdrop(img);
  const dist = distanceMap(img, model, o.shadowRemove);
  const thr = objectThreshold(model, o);
  const mask = objectMask(dist, w, h, thr, model, file);
  const { x0, y0, x1, y1, sx, sy, area } = maskMoments(mask, w, h);
  const faint = faintPixels(dist, mask, w, { x0, y0, x1, y1 }, thr);
  return {
    width: w,
    height: h,
    scale,
    backdrop: model,
    pixels: ch === 3 ? data : toRgb(img),
    mask,
    box: { x0, y0, x1, y1 },
    centre: { x: sx / area, y: sy / area },
    area: area / (w * h),
    faint: faint / area,
    backdropLevel: backdropLevel(img, mask) ?? model.median,
  };
}

/** The object mask: pixels farther than `thr` from the backdrop, in components large enough to be the object (specks of noise and dust dropped). */
function objectMask(dist: Float32Array, w: number, h: number, thr: number, model: BackdropModel, file: string): Uint8Array {
  const raw = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) raw[i] = dist[i]! > thr ? 1 : 0;
  const { labels, comps } = components(raw, w, h);
  const largest = comps.reduce((m, c) => Math.max(m, c.area), 0);
  if (largest < 0.001 * w * h) {
    if (model.sigma > 12) {
      throw new XoayError(
        STAGE,
        'OBJECT_NOT_FOUND',
        `no plain backdrop around the object: the frame borders vary by ±${model.sigma.toFixed(0)} levels (is the object cut off by the frame, or the backdrop cluttered?)`,
        file,
      );
    }
    throw new XoayError(
      STAGE,
      'OBJECT_NOT_FOUND',
      `no object found against the ${model.kind} backdrop (nothing differs from it by more than ${thr.toFixed(0)} levels)`,
      file,
    );
  }
  const minArea = Math.max(0.00005 * w * h, 0.005 * largest, 4);
  const keep = comps.map((c) => c.area >= minArea);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const l = labels[i]!;
    if (l && keep[l - 1]) mask[i] = 1;
  }
  return mask;
}

/**
 * Faint evidence: pixels in the object's box that differ from the backdrop, but by less than the
 * threshold (more than a third of it, and than 4 levels). Much of it, next to the object found, is a
 * pale object on a pale sweep that the border model only half sees.
 */
function faintPixels(dist: Float32Array, mask: Uint8Array, w: number, box: FrameAnalysis['box'], thr: number): number {
  let faint = 0;
  const faintFloor = Math.max(4, thr / 3);
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = y * w + x;
      if (!mask[i] && dist[i]! > faintFloor && dist[i]! <= thr) faint++;
    }
  }
  return faint;
}

/** The backdrop level: per channel, the median of the pixels well away from the object (8-bit histograms); null when there are none. */
function backdropLevel(img: RgbImage, mask: Uint8Array): [number, number, number] | null {
  const { width: w, height: h, channels: ch, data } = img;
  const away = dilate(mask, w, h, Math.max(2, Math.round(0.02 * Math.max(w, h))));
  const bgHist = new Uint32Array(768);
  let bgCount = 0;
  for (let i = 0; i < w * h; i++) {
    const p = i * ch;
    const r = data[p]!,
      g = data[p + 1]!,
      b = data[p + 2]!;
    if (!mask[i] && !away[i]) {
      bgHist[r]!++;
      bgHist[256 + g]!++;
      bgHist[512 + b]!++;
      bgCount++;
    }
  }
  if (!bgCount) return null;
  return [
    histogramMedian(bgHist.subarray(0, 256), bgCount),
    histogramMedian(bgHist.subarray(256, 512), bgCount),
    histogramMedian(bgHist.subarray(512), bgCount),
  ];
}

/** Whether the object's box reaches the frame edge (the object may be cut off). */
export function touchesEdge(a: Pick<FrameAnalysis, 'box' | 'width' | 'height'>): boolean {
  return a.box.x0 === 0 || a.box.y0 === 0 || a.box.x1 === a.width || a.box.y1 === a.height;
}

function toRgb(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, p = 0; i < out.length; i += 3, p += img.channels) {
    out[i] = img.data[p]!;
    out[i + 1] = img.data[p + 1]!;
    out[i + 2] = img.data[p + 2]!;
  }
  return out;
}

/**
 * Consecutive frames of a row that show the same picture (a camera that fired twice, a frame saved
 * twice with different compression): their mean difference over the object is a small fraction of
 * the row's typical step. Returns the index pairs (i, i + 1).
 */
export function nearDuplicates(row: readonly FrameAnalysis[]): { pair: [number, number]; difference: number; typical: number }[] {
  const n = row.length;
  const diffs = row.map((a, i) => {
    const b = row[(i + 1) % n]!;
    let sum = 0,
      count = 0;
    for (let p = 0; p < a.mask.length; p++) {
      if (!a.mask[p] && !b.mask[p]) continue;
      const q = p * 3;
      sum += Math.abs(a.pixels[q]! - b.pixels[q]!) + Math.abs(a.pixels[q + 1]! - b.pixels[q + 1]!) + Math.abs(a.pixels[q + 2]! - b.pixels[q + 2]!);
      count += 3;
    }
    return count ? sum / count : 0;
  });
  const typical = [...diffs].sort((x, y) => x - y)[n >> 1]!;
  const out: { pair: [number, number]; difference: number; typical: number }[] = [];
  diffs.forEach((d, i) => {
    if (d < Math.max(0.75, 0.1 * typical)) out.push({ pair: [i, (i + 1) % n], difference: d, typical });
  });
  return out;
}
