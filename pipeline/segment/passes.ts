/**
 * Passes: the per-frame work of a row's segmentation once its plate is made, as pure functions of one
 * frame, so the frames of a row can be shared between this thread and a helper thread (helper.ts). The
 * threads take the frames of the first pass from one queue (whichever is free takes the next), so
 * neither waits on the other; which thread ran a frame does not change its result.
 */
import type { RgbImage } from '../core/frames.js';
import { type ClassifyOptions, classifyFrame, fillObjectHoles, type FrameClasses } from './classify.js';
import { type MatteOptions, matteFrame } from './matte.js';
import type { Plate } from './plate.js';
import { findReflection, type ReflectionOptions } from './reflection.js';

/** What the per-frame passes need from the row's options. */
export interface FramePassOptions {
  classify: Partial<ClassifyOptions>;
  matte: Partial<MatteOptions>;
  /** Gaps this wide (working pixels) are sealed when looking for holes to fill. */
  sealRadius: number;
  /** The mirror-image finder's settings, or null when no floor reflection is looked for. */
  reflection: Partial<ReflectionOptions> | null;
}

/**
 * The passes' queue, shared by the threads of a row (on SharedArrayBuffers): `state` holds the next frame
 * of the first pass and the number of frames that showed no mirror image (once more than `missLimit`
 * have shown none, the floor is not glossy and no further frame is searched); `claimed` marks the frames
 * whose last pass a thread has taken (the helper runs those of its own frames that this thread has not
 * taken from the end of its list).
 */
export interface FrameQueue {
  state: Int32Array;
  claimed: Int32Array;
  frames: number;
  missLimit: number;
}

export function frameQueue(frames: number, missLimit: number): FrameQueue {
  return { state: new Int32Array(new SharedArrayBuffer(8)), claimed: new Int32Array(new SharedArrayBuffer(4 * frames)), frames, missLimit };
}

/** Take frame i's last pass for this thread: false when the other thread took it. */
export function claimFrame(q: FrameQueue, i: number): boolean {
  return Atomics.compareExchange(q.claimed, i, 0, 1) === 0;
}

/** The next frame of the queue for this thread, or -1 when none is left. */
export function takeFrame(q: FrameQueue): number {
  const i = Atomics.add(q.state, 0, 1);
  return i < q.frames ? i : -1;
}

/** Whether the floor can still be glossy: every frame was searched and few enough showed no mirror image. */
export function maybeGlossy(q: FrameQueue): boolean {
  return Atomics.load(q.state, 1) <= q.missLimit;
}

/** One frame's first pass, with its mirror line when it was searched for one and found. */
export interface FirstResult {
  i: number;
  classes: FrameClasses;
  line: Int32Array | null;
}

/** One frame's final segmentation. */
export interface FinishedFrame {
  /** 1 = object. */
  mask: Uint8Array;
  /** Soft alpha along the edge, 0–255. */
  alpha: Uint8Array;
  /** 0 backdrop, 1 object, 2 shadow or light change, 3 reflection. */
  classes: Uint8Array;
}

/**
 * The first pass: object, shadow and light change against the plate; then, while the floor may still be
 * glossy (see FrameQueue), the floor's mirror image below the object (reflection.ts).
 */
export function firstPass(frame: RgbImage, plate: Plate, i: number, o: FramePassOptions, q: FrameQueue): FirstResult {
  const classes = classifyFrame(frame, plate, i, o.classify);
  let line: Int32Array | null = null;
  if (o.reflection && maybeGlossy(q)) {
    line = findReflection(frame, classes.mask, o.reflection);
    if (!line) Atomics.add(q.state, 1, 1);
  }
  return { i, classes, line };
}

/**
 * The last pass: classed again with the floor's mirror image below `line` (a glossy floor), the edge
 * matted, and holes that look like the object around them filled (alpha 255 there).
 */
export function finishFrame(frame: RgbImage, plate: Plate, i: number, first: FrameClasses, line: Int32Array | null, o: FramePassOptions): FinishedFrame {
  const c = line ? classifyFrame(frame, plate, i, o.classify, line) : first;
  const m = matteFrame(frame, plate, i, c.mask, o.matte);
  const filled = fillObjectHoles(frame, plate, i, m.mask, o.sealRadius);
  if (filled !== m.mask) for (let k = 0; k < filled.length; k++) if (filled[k] && !m.mask[k]) m.alpha[k] = 255;
  return { mask: filled, alpha: m.alpha, classes: c.classes };
}
