/**
 * Passes: the per-frame work of a row's segmentation once its plate is made, as pure functions of one
 * frame, so the frames of a row can be shared between this thread and a helper thread (helper.ts).
 */
import type { RgbImage } from '../spin/backdrop.js';
import { type ClassifyOptions, classifyFrame, fillObjectHoles, type FrameClasses } from './classify.js';
import { type MatteOptions, matteFrame } from './matte.js';
import type { Plate } from './plate.js';

/** What the per-frame passes need from the row's options. */
export interface FramePassOptions {
  classify: Partial<ClassifyOptions>;
  matte: Partial<MatteOptions>;
  /** Gaps this wide (working pixels) are sealed when looking for holes to fill. */
  sealRadius: number;
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

/** The first pass: object, shadow and light change against the plate. */
export function firstPass(frame: RgbImage, plate: Plate, i: number, o: FramePassOptions): FrameClasses {
  return classifyFrame(frame, plate, i, o.classify);
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
