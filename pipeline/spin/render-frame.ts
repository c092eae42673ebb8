/**
 * renderFrame, spin's render step (not the turntable renderer of pipeline/render/): one frame at full quality.
 * Decoded once at full size, cropped (with the re-centring shift), resized to the top width, then matted and
 * levelled in one pass (pipeline/spin/background.ts).
 */
import { XoayError } from '../core/errors.js';
import { type DecodeOptions, imageError, openImage } from '../core/image.js';
import { dilate } from '../core/mask.js';
import type { FrameSegment } from '../segment/frames.js';
import { ANALYSE_DEFAULTS, objectThreshold } from './analyse.js';
import { applyBackground, applySegmentBackground, type BackgroundOptions, type FrameGeometry } from './background.js';
import type { CropRect } from './crop.js';
import type { RawImage } from './encode.js';
import type { Levels } from './exposure.js';
import type { FrameAnalysis, FrameRef } from './types.js';

/** Decode, crop (with the re-centring shift), resize to the top width, then matte and level in one pass. */
export async function renderFrame(
  f: FrameRef,
  a: FrameAnalysis,
  rect: CropRect,
  shift: { dx: number; dy: number },
  lv: Levels,
  outW: number,
  outH: number,
  matte: BackgroundOptions,
  decode: DecodeOptions,
  segment: FrameSegment | null,
): Promise<RawImage> {
  // Output pixel p shows source pixel p - shift: the crop window moves against the shift.
  const sx = Math.round(rect.x - shift.dx),
    sy = Math.round(rect.y - shift.dy);
  const ix0 = Math.max(0, sx),
    iy0 = Math.max(0, sy);
  const ix1 = Math.min(f.width, sx + rect.width),
    iy1 = Math.min(f.height, sy + rect.height);
  if (ix1 <= ix0 || iy1 <= iy0) throw new XoayError('crop', 'OBJECT_NOT_FOUND', 'the crop window misses the frame', f.file);
  const step = rect.width / outW; // source pixels per output pixel
  const left = Math.min(outW - 1, Math.round((ix0 - sx) / step));
  const top = Math.min(outH - 1, Math.round((iy0 - sy) / step));
  const innerW = Math.max(1, Math.min(outW - left, Math.round((ix1 - ix0) / step)));
  const innerH = Math.max(1, Math.min(outH - top, Math.round((iy1 - iy0) / step)));
  const pad = { left, top, right: outW - left - innerW, bottom: outH - top - innerH };
  let rgb: Buffer;
  try {
    let p = openImage(f.file, decode).extract({ left: ix0, top: iy0, width: ix1 - ix0, height: iy1 - iy0 });
    if (innerW !== ix1 - ix0 || innerH !== iy1 - iy0) p = p.resize(innerW, innerH, { fit: 'fill', kernel: 'lanczos3' });
    if (pad.left || pad.top || pad.right || pad.bottom) p = p.extend({ ...pad, extendWith: 'copy' });
    rgb = await p.removeAlpha().raw().toBuffer();
  } catch (e) {
    throw imageError('render', f.file, e, decode.limitInputPixels);
  }
  const geometry: FrameGeometry = {
    width: outW,
    height: outH,
    step,
    originX: sx,
    originY: sy,
    sourceWidth: f.width,
    sourceHeight: f.height,
    pad,
  };
  if (segment) {
    const r = applySegmentBackground(new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), geometry, segment, lv, matte);
    return { data: r.data, width: outW, height: outH, channels: r.channels };
  }
  const gate = dilate(a.mask, a.width, a.height, Math.max(2, Math.round(0.006 * Math.max(a.width, a.height))));
  const { data, channels } = applyBackground(
    new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length),
    geometry,
    {
      backdrop: a.backdrop,
      gate,
      gateWidth: a.width,
      gateHeight: a.height,
      gateScale: a.scale,
      threshold: objectThreshold(a.backdrop, { ...ANALYSE_DEFAULTS, shadowRemove: matte.shadowRemove }),
      levels: lv,
    },
    matte,
  );
  return { data, width: outW, height: outH, channels };
}
