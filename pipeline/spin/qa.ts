/**
 * QA metrics, measured the same way before processing (on the input) and after (on the encoded
 * output): orbit, residual jitter, luminance flicker and background purity.
 */
import type { QaReport, QaRow } from '../../schema/spin.js';
import { components, dilate } from '../core/mask.js';
import { analyseFrame, distanceMap } from './analyse.js';
import type { CropRect } from './crop.js';
import type { RawImage, SpinFormat } from './encode.js';
import { pairLogRatio } from './exposure.js';
import { measureOrbit } from './recentre.js';
import type { FrameAnalysis } from './types.js';

/**
 * Exposure flicker over the closed turn: the frame-to-frame change of luminance, measured as the
 * median per-pixel luminance ratio over the object pixels two consecutive frames share (robust to
 * the object's own change of view), in %: mean and max.
 */
export function flicker(row: readonly FrameAnalysis[]): { mean: number; max: number } {
  let sum = 0,
    max = 0,
    n = 0;
  for (let i = 0; i < row.length; i++) {
    // Pairs that share too few object pixels to measure are left out (NaN when none can be measured).
    const r = pairLogRatio(row[i]!, row[(i + 1) % row.length]!);
    if (!r) continue;
    const d = Math.abs(Math.exp(0.2126 * r[0] + 0.7152 * r[1] + 0.0722 * r[2]) - 1);
    sum += d;
    max = Math.max(max, d);
    n++;
  }
  return n ? { mean: (100 * sum) / n, max: 100 * max } : { mean: NaN, max: NaN };
}

/**
 * Orbit and jitter of a row's centres in % of a width given in the analysis' pixels (by default the
 * analysed frame's own width). Before and after are both reported against the output frame.
 */
export function orbitPercent(row: readonly FrameAnalysis[], width = row[0]!.width): { orbit: number; jitter: number } {
  const w = width;
  const m = measureOrbit(row.map((a) => a.centre));
  return { orbit: (100 * m.orbit) / w, jitter: (100 * m.jitter) / w };
}

/**
 * The band kept clear of the object when counting backdrop pixels, in analysis pixels: 1.5 % of the
 * frame, and at least 16 image pixels (one JPEG/WebP chroma block, which no codec keeps clean next
 * to a saturated edge).
 */
export function purityBand(a: FrameAnalysis): number {
  const size = Math.max(a.width, a.height);
  // Capped at 8 % of the frame so that small renditions still have backdrop to measure.
  return Math.min(Math.max(2, Math.round(0.015 * size), Math.ceil(16 * a.scale)), Math.max(2, Math.round(0.08 * size)));
}

/** Pixels this far (RGB distance) from the backdrop count as object or shadow for purity. */
export const PURITY_OBJECT_DISTANCE = 4;

/**
 * The analysis-resolution region counted as backdrop: farther than the band from anything that is not
 * backdrop (the object, its shadow and their soft edges: every pixel ≥ 4 levels from the backdrop,
 * except specks too small to be part of the object, which stay in the region and count as impure).
 */
export function backdropRegion(a: FrameAnalysis): Uint8Array {
  const { width: w, height: h } = a;
  const d = distanceMap({ data: a.pixels, width: w, height: h, channels: 3 }, a.backdrop, false);
  const any = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) any[i] = d[i]! >= PURITY_OBJECT_DISTANCE ? 1 : 0;
  const { labels, comps } = components(any, w, h);
  const minArea = Math.max(0.00005 * w * h, 4);
  const solid = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const l = labels[i]!;
    solid[i] = a.mask[i] || (l && comps[l - 1]!.area >= minArea) ? 1 : 0;
  }
  const near = dilate(solid, w, h, purityBand(a));
  for (let i = 0; i < near.length; i++) near[i] = near[i] ? 0 : 1;
  return near;
}

/**
 * Background purity: % of backdrop pixels of an image (any size with the frame's aspect) that are
 * exactly white, or fully transparent when it has alpha. `region` is at analysis resolution.
 * NaN when the image has no backdrop pixels to count.
 */
export function purity(img: { data: Uint8Array; width: number; height: number; channels: number }, a: FrameAnalysis, region: Uint8Array): number {
  const { data, width: w, height: h, channels: ch } = img;
  const sx = a.width / w,
    sy = a.height / h;
  let n = 0,
    white = 0;
  for (let y = 0; y < h; y++) {
    const ay = Math.min(a.height - 1, Math.floor((y + 0.5) * sy));
    for (let x = 0; x < w; x++) {
      const ax = Math.min(a.width - 1, Math.floor((x + 0.5) * sx));
      if (!region[ay * a.width + ax]) continue;
      n++;
      const p = (y * w + x) * ch;
      if (ch === 4 && data[p + 3] === 0) white++;
      else if (data[p] === 255 && data[p + 1] === 255 && data[p + 2] === 255) white++;
    }
  }
  return n ? (100 * white) / n : NaN; // nothing to measure: not 100 %
}

/** Mean of the measurable values (NaN, i.e. null in qa.json, when none is). */
export function meanMeasured(v: number[]): number {
  const ok = v.filter(Number.isFinite);
  return ok.length ? ok.reduce((s, x) => s + x, 0) / ok.length : NaN;
}

/** The worst (largest, or smallest with `min`) of the measurable values; NaN when none is. */
export function worstMeasured(v: (number | null)[], min = false): number {
  const ok = v.filter((x): x is number => x !== null && Number.isFinite(x));
  return ok.length ? (min ? Math.min(...ok) : Math.max(...ok)) : NaN;
}

/** Analyse an encoded output frame the same way as the input (its backdrop is found from its own borders). */
export function analyseOutput(img: RawImage, file: string, size: number): { analysis: FrameAnalysis; region: Uint8Array } {
  // Reduce to the analysis size by nearest-neighbour sampling (the QA rendition is usually ≤ the
  // analysis size already, so this is most often a plain copy with alpha flattened onto white).
  const s = Math.min(1, size / Math.max(img.width, img.height));
  const w = Math.max(1, Math.round(img.width * s)),
    h = Math.max(1, Math.round(img.height * s));
  const small = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const ys = Math.min(img.height - 1, Math.floor((y + 0.5) / s));
    for (let x = 0; x < w; x++) {
      const xs = Math.min(img.width - 1, Math.floor((x + 0.5) / s));
      const p = (ys * img.width + xs) * img.channels,
        q = (y * w + x) * 3;
      const alpha = img.channels === 4 ? img.data[p + 3]! / 255 : 1;
      for (let c = 0; c < 3; c++) small[q + c] = Math.round(img.data[p + c]! * alpha + 255 * (1 - alpha));
    }
  }
  const analysis = analyseFrame({ data: small, width: w, height: h, channels: 3 }, s, `${file} (output)`);
  return { analysis, region: backdropRegion(analysis) };
}

/** What QA keeps of one encoded frame. */
export interface FrameMeasures {
  /** The analysis of its encoded QA rendition. */
  after: FrameAnalysis;
  /** Background purity of the QA rendition, by format. */
  purityByFormat: Record<string, number>;
  /** Bytes by width and format. */
  bytes: Record<string, Record<string, number>>;
}

/** What qa.json is made of. */
export interface QaParts {
  /** The input folder. */
  input: string;
  sourceWidth: number;
  sourceHeight: number;
  rows: {
    name: string;
    /** The analyses of the input frames. */
    before: readonly FrameAnalysis[];
    /** The input frames' background purity. */
    purityBefore: number[];
    /** The row's crop, in source pixels. */
    crop: CropRect;
    /** The encoded frames. */
    frames: readonly FrameMeasures[];
  }[];
  /** Analysis pixels per source pixel (the input analyses' scale). */
  scale: number;
  /** Width and format of the rendition the "after" figures are measured on. */
  qaWidth: number;
  qaFormat: SpinFormat;
  formats: readonly SpinFormat[];
  /** Poster + the first row's JPEG sprite, in bytes. */
  firstInteractionBytes: number;
  warnings: string[];
  timings: Record<string, number>;
}

const QA_UNITS: QaReport['units'] = {
  orbit: '% of the output frame width: amplitude of the fitted first harmonic of the object centre over the turn',
  jitter: '% of the output frame width: std of the frame-to-frame change of the centre after removing the orbit',
  flicker: '% mean frame-to-frame change of the object luminance (flickerMax: the largest)',
  purity: '% of backdrop pixels that are exactly white (#FFFFFF), worst format',
};

/** One row's figures, before (on the input) and after (on the encoded output). */
function qaRow(r: QaParts['rows'][number], scale: number): QaRow {
  const afterRow = r.frames.map((x) => x.after);
  const b = orbitPercent(r.before, r.crop.width * scale),
    a = orbitPercent(afterRow);
  const fb = flicker(r.before),
    fa = flicker(afterRow);
  return {
    name: r.name,
    frames: r.before.length,
    backdrop: r.before[0]!.backdrop.kind,
    crop: { ...r.crop },
    orbit: { before: b.orbit, after: a.orbit },
    jitter: { before: b.jitter, after: a.jitter },
    flicker: { before: fb.mean, after: fa.mean },
    flickerMax: { before: fb.max, after: fa.max },
    purity: { before: meanMeasured(r.purityBefore), after: meanMeasured(r.frames.map((x) => worstMeasured(Object.values(x.purityByFormat), true))) },
  };
}

/** qa.json: the figures per row, the worst row's, purity per format and bytes per width and format. */
export function qaReport(q: QaParts): QaReport {
  const rows = q.rows.map((r) => qaRow(r, q.scale));
  const frames = q.rows.flatMap((r) => r.frames);
  const worst = (k: 'orbit' | 'jitter' | 'flicker') => ({
    before: worstMeasured(rows.map((r) => r[k].before)),
    after: worstMeasured(rows.map((r) => r[k].after)),
  });
  const bytes: Record<string, Record<string, number>> = {};
  for (const x of frames) {
    for (const [w, byFmt] of Object.entries(x.bytes)) {
      bytes[w] ??= {};
      for (const [fmt, n] of Object.entries(byFmt)) bytes[w]![fmt] = (bytes[w]![fmt] ?? 0) + n;
    }
  }
  const purityByFormat: Record<string, number> = {};
  for (const fmt of q.formats) purityByFormat[fmt] = meanMeasured(frames.map((x) => x.purityByFormat[fmt]!));
  return {
    version: 1,
    input: q.input,
    frames: frames.length,
    sourceWidth: q.sourceWidth,
    sourceHeight: q.sourceHeight,
    units: { ...QA_UNITS },
    measuredOn: `the encoded ${q.qaWidth} px renditions (orbit, jitter, flicker on ${q.qaFormat.toUpperCase()}; purity on every format)`,
    rows,
    orbit: worst('orbit'),
    jitter: worst('jitter'),
    flicker: worst('flicker'),
    purity: {
      before: worstMeasured(
        rows.map((r) => r.purity.before),
        true,
      ),
      after: worstMeasured(
        rows.map((r) => r.purity.after),
        true,
      ),
    },
    purityByFormat,
    bytes,
    firstInteractionBytes: q.firstInteractionBytes,
    warnings: q.warnings,
    timings: q.timings,
  };
}
