/**
 * Silhouettes: the object mask of every view at a working resolution, cut one of three ways:
 *  - `border` (the default): the spin pipeline's own analysis (backdrop model fitted to the border band,
 *    distance from it, components), with a cleaner cut for carving: a higher floor on the distance (dark
 *    cloth folds and a support leave the mask), small components dropped, and a closing that fills the thin
 *    dark cracks of the object's own shadows;
 *  - `plate`: pipeline/segment's masks per turntable row (a clean plate from the row's turn where the
 *    backdrop stands still; the studio's clean plate, when given, where the object covers a pixel in every
 *    view); a row of views of mixed sizes falls back to the border model;
 *  - a studio's masks (`masks`), one file per view.
 * The last two come sealed and hole-filled, so they get a narrower closing (`closePlate`); every mask keeps
 * its big components only.
 */
import path from 'node:path';
import { XoayError, isXoayError } from '../core/errors.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, uprightSize } from '../core/image.js';
import { close, components, fillHoles, maskMoments } from '../core/mask.js';
import { assertInteger, assertNumber, assertOneOf, withDefaults } from '../core/options.js';
import { mapLimit } from '../core/pool.js';
import { analyseFrame, loadAnalysisImage, touchesEdge } from '../spin/analyse.js';
import type { RgbImage } from '../core/frames.js';
import { segmentRow } from '../segment/segment.js';
import { loadCleanPlate, loadMask } from '../segment/studio.js';

const STAGE = 'silhouettes';

export interface SilhouetteOptions {
  /** Longest side of the working resolution, in pixels (images are never enlarged). */
  size: number;
  /** Lowest RGB distance from the backdrop that counts as object (the spin analysis uses 16; carving needs a cleaner cut). */
  minDistance: number;
  /** Object threshold as a multiple of the backdrop noise (the floor above applies too). */
  noiseFactor: number;
  /** Treat neutral darkening of the backdrop (cast shadows) as backdrop. */
  shadowRemove: boolean;
  /** Radius of the closing that fills cracks in the object, as a fraction of the working size (0: none). */
  close: number;
  /**
   * The same for the plate's masks and a studio's, which come sealed and hole-filled: a wide closing there
   * only bridges the gaps between legs and rungs, and carving must take them back from other views (the
   * rendered cloth shoot's worst view: 0.925 at 0.006, 0.935 at 0.003; white and glossy sets unchanged or better).
   */
  closePlate: number;
  /** Components smaller than this fraction of the largest are dropped. */
  minComponent: number;
  /** Holes (backdrop enclosed by the object) smaller than this fraction of the object's area are filled: dark cracks, not through-holes (0: none). */
  fillHoles: number;
  /** Decompression-bomb guard, in pixels. */
  limitInputPixels: number;
  /** Views decoded at once. */
  concurrency: number;
  /** Views per turntable row, in order (default: all views one row). */
  rows: number[] | undefined;
  /** How the object is told from the backdrop: `border` (a backdrop model fitted to each view's border), `plate` (a clean plate from each row's turn where the backdrop stands still, else the border model). */
  segment: 'plate' | 'border';
  /** A shot of the empty turntable at the views' size (checked by the caller): the plate where the object covers a pixel in every view. */
  cleanPlate: string | null;
  /** One mask file per view, in order (checked by the caller): used as the silhouettes. */
  masks: readonly string[] | null;
}

export const SILHOUETTE_DEFAULTS: SilhouetteOptions = {
  size: 1024,
  minDistance: 40,
  noiseFactor: 6,
  shadowRemove: true,
  close: 0.006,
  closePlate: 0.003,
  minComponent: 0.02,
  fillHoles: 0.01,
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  concurrency: 2,
  rows: undefined,
  segment: 'border',
  cleanPlate: null,
  masks: null,
};

/** One view's silhouette at the working resolution. */
export interface Silhouette {
  /** The image file. */
  file: string;
  /** Working size in pixels. */
  width: number;
  height: number;
  /** Working pixels per source pixel, horizontally and vertically. */
  scaleX: number;
  scaleY: number;
  /** 1 = object, row-major width × height. */
  mask: Uint8Array;
  /** The mask reaches the frame edge (the object may be cut off there). */
  touchesEdge: boolean;
  /** Object area as a fraction of the frame. */
  area: number;
}

function checkOptions(o: SilhouetteOptions): void {
  assertInteger(STAGE, 'size', o.size, 16, 16384);
  assertNumber(STAGE, 'minDistance', o.minDistance, 0, 442);
  assertNumber(STAGE, 'noiseFactor', o.noiseFactor, 0, 1000);
  assertNumber(STAGE, 'close', o.close, 0, 0.2);
  assertNumber(STAGE, 'closePlate', o.closePlate, 0, 0.2);
  assertNumber(STAGE, 'minComponent', o.minComponent, 0, 1);
  assertNumber(STAGE, 'fillHoles', o.fillHoles, 0, 1);
  assertInteger(STAGE, 'concurrency', o.concurrency, 1, 1024);
  assertOneOf(STAGE, 'segment', o.segment, ['plate', 'border'] as const);
}

/** The silhouette of one view already decoded at the working size (pure; `file` is for messages). */
export function silhouetteOf(img: RgbImage, scaleX: number, scaleY: number, file: string, opts?: Partial<SilhouetteOptions>): Silhouette {
  const o = withDefaults(SILHOUETTE_DEFAULTS, opts);
  const { width: w, height: h } = img;
  let a;
  try {
    a = analyseFrame(img, scaleX, file, { size: o.size, shadowRemove: o.shadowRemove, noiseFactor: o.noiseFactor, minDistance: o.minDistance });
  } catch (e) {
    if (isXoayError(e) && e.code === 'OBJECT_NOT_FOUND') {
      const problem = e.message.slice(`${e.stage}: ${file}: `.length);
      throw new XoayError(STAGE, 'OBJECT_NOT_FOUND', `the object is not found in view ${path.basename(file)}: ${problem}`, file, { cause: e });
    }
    throw e;
  }
  return finishSilhouette(a.mask, w, h, scaleX, scaleY, file, o);
}

/** A silhouette from a raw object mask: the big components only, thin cracks closed, dark cracks filled. */
function finishSilhouette(raw: Uint8Array, w: number, h: number, scaleX: number, scaleY: number, file: string, o: SilhouetteOptions): Silhouette {
  const { labels, comps } = components(raw, w, h);
  const largest = comps.reduce((m, c) => Math.max(m, c.area), 0);
  let mask: Uint8Array = new Uint8Array(w * h);
  for (let i = 0; i < mask.length; i++) {
    const l = labels[i]!;
    if (l && comps[l - 1]!.area >= o.minComponent * largest) mask[i] = 1;
  }
  mask = close(mask, w, h, Math.round(o.close * Math.max(w, h)));
  if (o.fillHoles > 0) mask = fillHoles(mask, w, h, o.fillHoles);
  const { x0, y0, x1, y1, area } = maskMoments(mask, w, h);
  return { file, width: w, height: h, scaleX, scaleY, mask, touchesEdge: touchesEdge({ box: { x0, y0, x1, y1 }, width: w, height: h }), area: area / (w * h) };
}

/** The size of an image after EXIF orientation, or an error naming the view. */
export async function viewSize(file: string, limitInputPixels: number): Promise<{ width: number; height: number }> {
  try {
    return await uprightSize(file, limitInputPixels);
  } catch (e) {
    throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `cannot read the image (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, file, { cause: e });
  }
}

/**
 * Silhouettes of the given image files (in order). Warnings name the views whose mask touches the
 * frame edge (from their common folder: row-2/frame-01.png); a view without an object is an error naming it.
 */
export async function silhouettes(files: readonly string[], opts?: Partial<SilhouetteOptions>): Promise<{ views: Silhouette[]; warnings: string[] }> {
  const o = withDefaults(SILHOUETTE_DEFAULTS, opts);
  checkOptions(o);
  const decode = { limitInputPixels: o.limitInputPixels, flatten: { r: 255, g: 255, b: 255 } };
  // Given masks are the silhouettes: the views themselves are not decoded, only their working size is needed.
  if (o.masks) {
    const masks = o.masks;
    const views = await mapLimit(files, o.concurrency, async (file, i) => {
      const size = await viewSize(file, o.limitInputPixels);
      const s = Math.min(1, o.size / Math.max(size.width, size.height));
      const w = Math.max(1, Math.round(size.width * s)),
        h = Math.max(1, Math.round(size.height * s));
      const mask = await loadMask(masks[i]!, w, h, decode);
      // The big components only, cracks closed, as any mask.
      return finishSilhouette(mask, w, h, w / size.width, h / size.height, file, { ...o, close: o.closePlate });
    });
    return { views, warnings: edgeWarnings(files, views) };
  }
  const images = await mapLimit(files, o.concurrency, async (file) => {
    const size = await viewSize(file, o.limitInputPixels);
    const img = await loadAnalysisImage({ file, row: 0, index: 0, width: size.width, height: size.height, hash: '' }, o.size, decode);
    return { img, scaleX: img.width / size.width, scaleY: img.height / size.height };
  });
  const views: Silhouette[] = new Array(files.length);
  const rows = o.rows ?? [files.length];
  let start = 0;
  for (const count of rows) {
    const row = images.slice(start, start + count);
    const sameSize = row.every((r) => r.img.width === row[0]!.img.width && r.img.height === row[0]!.img.height);
    const clean = o.cleanPlate && sameSize ? await loadCleanPlate(o.cleanPlate, row[0]!.img.width, row[0]!.img.height, decode) : undefined;
    const seg =
      o.segment === 'plate' && sameSize
        ? await segmentRow(
            row.map((r) => r.img),
            undefined,
            clean,
          )
        : null;
    row.forEach((r, j) => {
      const file = files[start + j]!;
      views[start + j] = seg
        ? finishSilhouette(seg.masks[j]!, r.img.width, r.img.height, r.scaleX, r.scaleY, file, { ...o, close: o.closePlate })
        : silhouetteOf(r.img, r.scaleX, r.scaleY, file, o);
    });
    if (seg) images.fill(undefined as never, start, start + count); // the decoded row is no longer needed
    start += count;
  }
  return { views, warnings: edgeWarnings(files, views) };
}

/** A warning naming the views whose mask touches the frame edge (from their common folder: row-2/frame-01.png), if any. */
function edgeWarnings(files: readonly string[], views: readonly Silhouette[]): string[] {
  const warnings: string[] = [];
  // Named from the views' common folder: the file name, with the row folder for views of several rows.
  const dirs = files.map((f) => path.dirname(path.resolve(f)));
  let common = dirs[0] ?? '';
  while (!dirs.every((d) => d === common || d.startsWith(common.endsWith(path.sep) ? common : common + path.sep))) common = path.dirname(common);
  const cut = views.filter((v) => v.touchesEdge).map((v) => path.relative(common, path.resolve(v.file)).split(path.sep).join('/'));
  if (cut.length) {
    warnings.push(
      `the object touches the frame edge (it may be cut off; carving does not cut there) in ${cut.length} view(s): ${cut.slice(0, 8).join(', ')}${cut.length > 8 ? ` and ${cut.length - 8} more` : ''}`,
    );
  }
  return warnings;
}
