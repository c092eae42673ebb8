/**
 * `segment`: the object masks of a turntable row, from a clean plate of the row's own backdrop
 * (plate.ts) and a per-pixel class of object, shadow and reflection (classify.ts). Used by the spin
 * analysis and reconstruct's silhouettes. Returns null when the backdrop does not stand still over
 * the row (a moving camera, a handheld shoot, too few frames): the caller then falls back to the
 * backdrop model fitted to each frame's border.
 */
import os from 'node:os';
import { assertBoolean, assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import { type ClassifyOptions, CLASSIFY_DEFAULTS, type FrameClasses } from './classify.js';
import { openHelper } from './helper.js';
import { type MatteOptions, MATTE_DEFAULTS } from './matte.js';
import { claimFrame, type FinishedFrame, type FramePassOptions, finishFrame, firstPass, frameQueue, maybeGlossy, takeFrame } from './passes.js';
import { type ReflectionOptions, REFLECTION_DEFAULTS } from './reflection.js';
import { coarseMasks, type RelightOptions, RELIGHT_DEFAULTS, relightPlate } from './relight.js';
import { type Plate, type PlateOptions, PLATE_DEFAULTS, estimatePlate, yieldNow } from './plate.js';

const STAGE = 'segment';

export interface SegmentOptions {
  /** Fewest frames in a row for a plate from the turn (fewer: the border model). */
  minFrames: number;
  /** Lowest fraction of the frame on which the row's frames must agree for the backdrop to count as standing still. */
  minAgreed: number;
  /** The clean plate's settings. */
  plate: Partial<PlateOptions>;
  /** Make the plate of the swept region again as the backdrop's lit state once a first pass has found the object (relight.ts), and classify again. */
  relight: boolean;
  /** The relighting's settings. */
  relightOptions: Partial<RelightOptions>;
  /** The object / shadow / reflection classifier's settings. */
  classify: Partial<ClassifyOptions>;
  /** Look for a glossy floor's mirror image below the object and cut it off. */
  reflection: boolean;
  /** Fraction of a row's frames that must show a mirror image for the floor to count as glossy. */
  glossyFrames: number;
  /** The mirror-image finder's settings. */
  reflectionOptions: Partial<ReflectionOptions>;
  /** The edge matte's settings. */
  matte: Partial<MatteOptions>;
  /** Gaps this wide (fraction of the working size) are sealed when looking for holes to fill. */
  seal: number;
  /** Threads: 2 shares the plate's first step and the per-frame passes with a helper thread (when the compiled worker is there); 1 keeps them in this one. */
  threads: number;
}

export const SEGMENT_DEFAULTS: SegmentOptions = {
  minFrames: 8,
  minAgreed: 0.3,
  plate: PLATE_DEFAULTS,
  relight: true,
  relightOptions: RELIGHT_DEFAULTS,
  classify: CLASSIFY_DEFAULTS,
  reflection: true,
  glossyFrames: 0.8,
  reflectionOptions: REFLECTION_DEFAULTS,
  matte: MATTE_DEFAULTS,
  seal: 0.008,
  threads: Math.min(2, os.availableParallelism()),
};

/** One row's segmentation at the working size. */
export interface RowSegmentation {
  plate: Plate;
  /** Per frame: 1 = object, row-major plate.width × plate.height. */
  masks: Uint8Array[];
  /** Per frame: soft alpha along the object's edge, 0–255. */
  alphas: Uint8Array[];
  /** Per frame: 0 backdrop, 1 object, 2 shadow or light change, 3 reflection. */
  classes: Uint8Array[];
  /** Fraction of the frame where the row's frames agreed outright. */
  agreed: number;
  /** Frames whose floor reflection was cut off (0 when the floor is not glossy). */
  reflections: number;
}

function checkOptions(o: SegmentOptions): void {
  assertInteger(STAGE, 'minFrames', o.minFrames, 2, 100000);
  assertNumber(STAGE, 'minAgreed', o.minAgreed, 0, 1);
  assertNumber(STAGE, 'glossyFrames', o.glossyFrames, 0, 1);
  assertNumber(STAGE, 'seal', o.seal, 0, 0.2);
  assertInteger(STAGE, 'threads', o.threads, 1, 2);
  assertBoolean(STAGE, 'reflection', o.reflection);
  assertBoolean(STAGE, 'relight', o.relight);
}

/**
 * Segment one row (frames of one size, in turn order). `cleanPlate`, when given, is a studio shot of
 * the empty turntable at the same size: it is used where the object covers a pixel in every frame.
 */
export async function segmentRow(frames: readonly RgbImage[], opts?: Partial<SegmentOptions>, cleanPlate?: RgbImage): Promise<RowSegmentation | null> {
  const o = withDefaults(SEGMENT_DEFAULTS, opts);
  checkOptions(o);
  if (frames.length < o.minFrames) return null;
  let fallback: Float32Array | undefined;
  if (cleanPlate) {
    const { width: w, height: h, channels: ch, data } = cleanPlate;
    fallback = new Float32Array(w * h * 3);
    for (let k = 0; k < w * h; k++) for (let c = 0; c < 3; c++) fallback[k * 3 + c] = data[k * ch + c]!;
  }
  const { width: w, height: h } = frames[0]!;
  const passes: FramePassOptions = {
    classify: o.classify,
    matte: o.matte,
    sealRadius: Math.max(1, Math.round(o.seal * Math.max(w, h))),
    reflection: o.reflection ? o.reflectionOptions : null,
  };
  // A helper thread, when there is one, makes half of the plate's first step and takes frames from the
  // same queue as this thread (the same results, on two cores).
  const helper = o.threads > 1 ? openHelper(frames, passes) : null;
  try {
    const plate = await estimatePlate(frames, o.plate, fallback, helper);
    let agreedCount = 0;
    for (const s of plate.source) if (s === 2) agreedCount++;
    const agreed = agreedCount / plate.source.length;
    if (agreed < o.minAgreed) return null;
    // The swept region's plate as the lit backdrop, from the frames a coarse first pass finds it in.
    if (o.relight) {
      await yieldNow();
      relightPlate(frames, plate, coarseMasks(frames, plate, o.classify, o.relightOptions), o.relightOptions);
    }
    helper?.usePlate(plate);
    // The first pass, frames taken from one queue by both threads. A glossy floor mirrors the object in
    // most frames of a row; a mirror-like profile in a few frames is the object's own (a leg above and
    // below a rung), not a reflection. The search stops once too many frames have shown no mirror image
    // for the floor to be glossy.
    const n = frames.length;
    const queue = frameQueue(n, n - o.glossyFrames * n);
    const first: FrameClasses[] = new Array(n);
    const lines: (Int32Array | null)[] = new Array(n).fill(null);
    const mine: number[] = [],
      theirs: number[] = [];
    const helped = helper?.first(queue);
    for (let i = takeFrame(queue); i >= 0; i = takeFrame(queue)) {
      await yieldNow();
      const r = firstPass(frames[i]!, plate, i, passes, queue);
      first[i] = r.classes;
      lines[i] = r.line;
      mine.push(i);
    }
    for (const r of (await helped) ?? []) {
      first[r.i] = r.classes;
      lines[r.i] = r.line;
      theirs.push(r.i);
    }
    const glossy = o.reflection && maybeGlossy(queue);
    const reflections = glossy ? lines.filter(Boolean).length : 0;
    const lineOf = (i: number) => (glossy ? lines[i]! : null);
    const done: FinishedFrame[] = new Array(n);
    // The last pass: each thread its own frames; this one then takes the helper's from the end of its list
    // while the helper has not reached them.
    const later = helper?.finish(queue, theirs, theirs.map(lineOf));
    for (const i of [...mine, ...[...theirs].reverse()]) {
      if (!claimFrame(queue, i)) continue;
      await yieldNow();
      done[i] = finishFrame(frames[i]!, plate, i, first[i]!, lineOf(i), passes);
    }
    for (const r of (await later) ?? []) done[r.i] = r.done;
    // The plate's pixel-visibility bookkeeping is only needed while it is made.
    plate.vis = new Uint8Array(0);
    return { plate, masks: done.map((f) => f.mask), alphas: done.map((f) => f.alpha), classes: done.map((f) => f.classes), agreed, reflections };
  } finally {
    await helper?.close();
  }
}
