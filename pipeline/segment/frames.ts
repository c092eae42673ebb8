/**
 * Frames: the I/O edge of the segmentation stage. Decodes a row's frames at the working size, runs
 * `segmentRow`, and hands back per-frame masks at that size with what the matte needs (the plate, the
 * frame's gain, the contact shadow), or null when the backdrop does not stand still over the row.
 */
import { type DecodeOptions, imageError, openImage } from '../core/image.js';
import { dilate } from '../core/mask.js';
import { assertInteger, withDefaults } from '../core/options.js';
import { mapLimit } from '../core/pool.js';
import type { RgbImage } from '../core/frames.js';
import type { FrameRef } from '../core/frames.js';
import { type RowSegmentation, type SegmentOptions, segmentRow } from './segment.js';
import { loadCleanPlate, loadMask } from './studio.js';

const STAGE = 'segment';

export interface SegmentFramesOptions {
  /** Longest side of the working size, in pixels (frames are never enlarged). */
  size: number;
  /** Frames decoded at once. */
  concurrency: number;
  /** Radius of the contact-shadow zone below the object, as a fraction of the working height. */
  contact: number;
  /** The segmentation's own settings. */
  segment: Partial<SegmentOptions>;
}

export const SEGMENT_FRAMES_DEFAULTS: SegmentFramesOptions = { size: 1200, concurrency: 2, contact: 0.02, segment: {} };

/** One frame's segmentation at the working size. */
export interface FrameSegment {
  width: number;
  height: number;
  /** Working pixels per source pixel. */
  scale: number;
  /** 1 = object. */
  mask: Uint8Array;
  /** Soft alpha along the edge, 0–255. */
  alpha: Uint8Array;
  /** 1 = a cast shadow touching the object (kept as a soft shadow in the spin unless removed). */
  contact: Uint8Array;
  /** The row's plate, RGB at unit gain. */
  plate: Float32Array;
  /** This frame's gain against the plate. */
  gain: [number, number, number];
}

/** A row's result: the frames' segments and the row's plate (for --debug-masks). */
export interface RowSegments {
  frames: FrameSegment[];
  plate: RgbImage;
  reflections: number;
}

async function load(f: FrameRef, size: number, decode: DecodeOptions): Promise<RgbImage> {
  try {
    const { data, info } = await openImage(f.file, decode)
      .resize(size, size, { fit: 'inside', withoutEnlargement: true, kernel: 'cubic' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw imageError(STAGE, f.file, e, decode.limitInputPixels);
  }
}

/** What a studio adds for one row: a clean plate file, mask files (one per frame of the row, in order). */
export interface StudioInputs {
  cleanPlate?: string | null;
  masks?: readonly string[] | null;
}

/**
 * Segment one row of frames (all of one size, in turn order). With a clean plate, it is used where the
 * object covers a pixel in every frame; with masks, they are the masks (the plate still un-mixes edges).
 */
export async function segmentFrames(
  row: readonly FrameRef[],
  decode: DecodeOptions,
  opts?: Partial<SegmentFramesOptions>,
  studio: StudioInputs = {},
): Promise<RowSegments | null> {
  const o = withDefaults(SEGMENT_FRAMES_DEFAULTS, opts);
  assertInteger(STAGE, 'size', o.size, 16, 16384);
  assertInteger(STAGE, 'concurrency', o.concurrency, 1, 1024);
  const images = await mapLimit(row, o.concurrency, (f) => load(f, o.size, decode));
  const { width: w, height: h } = images[0]!;
  const clean = studio.cleanPlate ? await loadCleanPlate(studio.cleanPlate, w, h, decode) : undefined;
  const given = studio.masks ? await mapLimit(studio.masks, o.concurrency, (f) => loadMask(f, w, h, decode)) : null;
  let seg = await segmentRow(images, o.segment, clean);
  if (!seg && !given) return null;
  if (!seg) seg = medianRow(images, clean);
  const scale = w / row[0]!.width;
  const r = Math.max(1, Math.round(o.contact * h));
  const frames = seg.masks.map((found, i) => {
    const mask = given ? given[i]! : found;
    const alpha = given ? Uint8Array.from(mask, (v) => v * 255) : seg.alphas[i]!;
    const near = dilate(mask, w, h, r);
    const contact = new Uint8Array(w * h);
    const cls = seg.classes[i]!;
    for (let k = 0; k < contact.length; k++) if (near[k] && !mask[k] && cls[k] === 2) contact[k] = 1;
    return { width: w, height: h, scale, mask, alpha, contact, plate: seg.plate.rgb, gain: seg.plate.gains[i]! };
  });
  const plate = new Uint8Array(w * h * 3);
  for (let k = 0; k < plate.length; k++) plate[k] = Math.max(0, Math.min(255, Math.round(seg.plate.rgb[k]!)));
  return { frames, plate: { data: plate, width: w, height: h, channels: 3 }, reflections: seg.reflections };
}

/** A stand-in segmentation when the backdrop moves but masks are given: the plate is the clean plate or the per-pixel median of the row. */
function medianRow(images: readonly RgbImage[], clean?: RgbImage): RowSegmentation {
  const { width: w, height: h } = images[0]!;
  const N = w * h,
    n = images.length;
  const rgb = new Float32Array(N * 3);
  const v = new Float32Array(n);
  for (let k = 0; k < N; k++) {
    for (let c = 0; c < 3; c++) {
      if (clean) {
        rgb[k * 3 + c] = clean.data[k * clean.channels + c]!;
        continue;
      }
      for (let i = 0; i < n; i++) v[i] = images[i]!.data[k * images[i]!.channels + c]!;
      v.sort();
      rgb[k * 3 + c] = v[n >> 1]!;
    }
  }
  const empty = new Uint8Array(N);
  return {
    plate: {
      width: w,
      height: h,
      rgb,
      gains: images.map(() => [1, 1, 1] as [number, number, number]),
      source: new Uint8Array(N),
      noise: 1,
      vis: new Uint8Array(0),
    },
    masks: images.map(() => empty),
    alphas: images.map(() => empty),
    classes: images.map(() => empty),
    agreed: 0,
    reflections: 0,
  };
}
