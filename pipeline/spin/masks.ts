/**
 * Masks: the spin's side of the segmentation stage. `useSegment` puts a frame's plate segmentation into
 * its analysis (mask, box, centre, area), and `writeDebugMasks` writes what was cut (--debug-masks):
 * `masks/NNN.png` per frame in frame order (255 = object, the frame's full size) and `masks/plate.png`,
 * under `masks/<row>/` when the shoot has several rows.
 */
import { sharp } from '../core/image.js';
import type { OutputFolder } from '../core/fsout.js';
import type { FrameSegment } from '../segment/frames.js';
import { maskMoments } from '../core/mask.js';
import { touchesEdge } from './analyse.js';
import type { RgbImage } from '../core/frames.js';
import type { CropRect } from './crop.js';
import type { FrameAnalysis, FrameRef, SpinSet } from './types.js';

/**
 * `--segment auto`: a row's border model is in trouble, and the plate from the turn is used instead, when
 * its object touches the frame edge in at least half of the row's frames, or when faint evidence around it
 * outweighs half the object it found (`FrameAnalysis.faint`, on average over the row). A backdrop that is
 * not one smooth colour (cloth folds, vignetting, a turntable disk, a glossy floor's mirror image) is taken
 * for object out to the frame's edge; a product cut off by the framing in most frames is rare, and the plate
 * handles it too. A pale object on a pale sweep (a white table on white: 1.09) is mostly faint; on the other
 * shoots here it stays at or below 0.15 (shadows' soft edges, cloth, the dino's support).
 */
export function borderInTrouble(row: readonly FrameAnalysis[]): boolean {
  if (row.filter((a) => touchesEdge(a)).length * 2 >= row.length) return true;
  return row.reduce((s, a) => s + a.faint, 0) / row.length >= FAINT_TROUBLE;
}

/** Mean `faint` over a row above which the border model is in trouble. */
export const FAINT_TROUBLE = 0.5;

/** Replace an analysis's mask and the measures taken from it with a segmentation's (at its own size). */
export function useSegment(a: FrameAnalysis, s: FrameSegment): void {
  const { width: sw, height: sh, mask } = s;
  // Box, centre and area at the segmentation's size, then in analysis pixels.
  const { x0, y0, x1, y1, sx, sy, area } = maskMoments(mask, sw, sh);
  if (!area) return; // nothing found: the border model's analysis stands
  const k = a.scale / s.scale; // analysis pixels per working pixel
  a.box = { x0: Math.floor(x0 * k), y0: Math.floor(y0 * k), x1: Math.min(a.width, Math.ceil(x1 * k)), y1: Math.min(a.height, Math.ceil(y1 * k)) };
  a.centre = { x: (sx / area) * k, y: (sy / area) * k };
  a.area = area / (sw * sh);
  // The analysis-size mask: a pixel is object when the working pixel under its centre is.
  const m = new Uint8Array(a.width * a.height);
  for (let y = 0; y < a.height; y++) {
    const ys = Math.min(sh - 1, Math.floor((y + 0.5) / k));
    for (let x = 0; x < a.width; x++) {
      const xs = Math.min(sw - 1, Math.floor((x + 0.5) / k));
      m[y * a.width + x] = mask[ys * sw + xs]!;
    }
  }
  a.mask = m;
}

async function maskPng(mask: Uint8Array, w: number, h: number, fw: number, fh: number): Promise<Buffer> {
  const grey = Buffer.alloc(w * h);
  for (let k = 0; k < grey.length; k++) grey[k] = mask[k] ? 255 : 0;
  let img = sharp(grey, { raw: { width: w, height: h, channels: 1 } });
  // Full frame size: smooth up, then cut at half (the edge between working pixels).
  if (w !== fw || h !== fh) img = sharp(await img.resize(fw, fh, { fit: 'fill', kernel: 'linear' }).threshold(128).toColourspace('b-w').png().toBuffer());
  return img.toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
}

/** Write masks/ for --debug-masks: the plate segmentation's masks where there is one, else the border model's. */
export async function writeDebugMasks(
  out: OutputFolder,
  set: SpinSet,
  frames: readonly FrameRef[],
  analyses: readonly FrameAnalysis[],
  segments: readonly (FrameSegment | null)[],
  plates: readonly (RgbImage | null)[],
): Promise<void> {
  const several = set.rows.length > 1;
  for (let ri = 0; ri < set.rows.length; ri++) {
    const dir = several ? `masks/${set.rows[ri]!.name}` : 'masks';
    const plate = plates[ri];
    if (plate) {
      const png = await sharp(Buffer.from(plate.data.buffer, plate.data.byteOffset, plate.data.length), {
        raw: { width: plate.width, height: plate.height, channels: 3 },
      })
        .png()
        .toBuffer();
      await out.write(`${dir}/plate.png`, png);
    }
  }
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!,
      s = segments[i],
      a = analyses[i]!;
    const dir = several ? `masks/${set.rows[f.row]!.name}` : 'masks';
    const png = s ? await maskPng(s.mask, s.width, s.height, f.width, f.height) : await maskPng(a.mask, a.width, a.height, f.width, f.height);
    await out.write(`${dir}/${String(f.index + 1).padStart(3, '0')}.png`, png);
  }
}

/**
 * The outline of what was cut as object in one output frame, as an SVG path in a `w × h` box: the
 * boundary pixels of the mask, as horizontal runs (`M x y h n`). `isObject(x, y)` samples the mask at
 * output pixel centres of that box.
 */
export function outlinePath(w: number, h: number, isObject: (x: number, y: number) => boolean): string {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = isObject(x, y) ? 1 : 0;
  const parts: string[] = [];
  for (let y = 0; y < h; y++) {
    let run = -1;
    for (let x = 0; x <= w; x++) {
      const k = y * w + x;
      const edge = x < w && m[k] === 1 && (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !m[k - 1] || !m[k + 1] || !m[k - w] || !m[k + w]);
      if (edge && run < 0) run = x;
      if (!edge && run >= 0) {
        parts.push(`M${run} ${y + 0.5}h${x - run}`);
        run = -1;
      }
    }
  }
  return parts.join('');
}

/** Width of the box the QA page's mask outlines are drawn in. */
export const OUTLINE_WIDTH = 256;

/** The outline of frame f's mask (the segmentation's alpha ≥ ½, else the analysis mask) in output coordinates. */
export function frameOutline(
  f: FrameRef,
  a: FrameAnalysis,
  rect: CropRect,
  shift: { dx: number; dy: number },
  outW: number,
  outH: number,
  segment: FrameSegment | null,
): string {
  const w = OUTLINE_WIDTH,
    h = Math.max(1, Math.round((w * outH) / outW));
  const sx = rect.x - shift.dx,
    sy = rect.y - shift.dy;
  const step = rect.width / w;
  return outlinePath(w, h, (x, y) => {
    const xs = sx + (x + 0.5) * step,
      ys = sy + (y + 0.5) * step;
    if (xs < 0 || ys < 0 || xs >= f.width || ys >= f.height) return false;
    if (segment) {
      const gx = Math.min(segment.width - 1, Math.floor(xs * segment.scale)),
        gy = Math.min(segment.height - 1, Math.floor(ys * segment.scale));
      return segment.alpha[gy * segment.width + gx]! >= 128;
    }
    const gx = Math.min(a.width - 1, Math.floor(xs * a.scale)),
      gy = Math.min(a.height - 1, Math.floor(ys * a.scale));
    return a.mask[gy * a.width + gx] === 1;
  });
}
