/**
 * Studio: what a studio can add to the segmentation, read and checked up front. A clean plate (a shot
 * of the empty turntable, `--clean-plate`) and a masks folder (`--masks`: one mask per frame, or one
 * backlit-silhouette frame per view, as backlit rigs produce: a dark object on a bright light is taken
 * as object where it is dark). Every problem is one line naming the file, before anything is written.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { XoayError } from '../core/errors.js';
import { statInput } from '../core/input.js';
import { type DecodeOptions, openImage, uprightSize } from '../core/image.js';
import type { RgbImage } from '../core/frames.js';
import { IMAGE_EXTENSIONS, orderFrames } from '../core/frames.js';
import type { FrameRef } from '../core/frames.js';

const STAGE = 'segment';

async function size(file: string, limitInputPixels: number, what: string): Promise<{ width: number; height: number }> {
  try {
    return await uprightSize(file, limitInputPixels);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `the ${what} is not an image that can be read (${why.slice(0, 200)})`, file, { cause: e });
  }
}

/** Check a clean plate against the frames' size (any difference of size or aspect is refused). */
export async function checkCleanPlate(file: string, frameWidth: number, frameHeight: number, limitInputPixels: number): Promise<void> {
  await statInput(STAGE, file, {
    kind: 'file',
    missing: 'the clean plate does not exist',
    wrongKind: 'the clean plate is not a file',
    wrongKindCode: 'UNREADABLE_IMAGE',
  });
  const s = await size(file, limitInputPixels, 'clean plate');
  if (s.width !== frameWidth || s.height !== frameHeight) {
    throw new XoayError(
      STAGE,
      'UNEQUAL_SIZES',
      `the clean plate is ${s.width}×${s.height} but the frames are ${frameWidth}×${frameHeight}: shoot it with the same camera, framing and size`,
      file,
    );
  }
}

/** The clean plate decoded at the working size `w × h`. */
export async function loadCleanPlate(file: string, w: number, h: number, decode: DecodeOptions): Promise<RgbImage> {
  const { data } = await openImage(file, decode).resize(w, h, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: w, height: h, channels: 3 };
}

/**
 * The masks folder's files, one per frame in frame order (ordered as frames are, by the last number in
 * their names), each checked readable and of the frames' size. Missing, extra or odd masks are refused.
 */
export async function checkMasks(dir: string, frames: readonly FrameRef[], limitInputPixels: number): Promise<string[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    names = (await readdir(dir)).filter((n) => !n.startsWith('.') && (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(n).toLowerCase()));
  } catch {
    throw new XoayError(STAGE, 'INPUT_MISSING', 'the masks folder does not exist or is not a folder', dir);
  }
  const ordered = orderFrames(names);
  if (ordered.length < frames.length) {
    const missing = frames[ordered.length]!;
    throw new XoayError(
      STAGE,
      'INPUT_MISSING',
      `${frames.length} frames but ${ordered.length} masks: no mask for frame ${path.basename(missing.file)} (masks are matched to frames in order)`,
      dir,
    );
  }
  if (ordered.length > frames.length) {
    throw new XoayError(
      STAGE,
      'UNEQUAL_ROWS',
      `${frames.length} frames but ${ordered.length} masks: ${ordered.slice(frames.length, frames.length + 4).join(', ')}${ordered.length - frames.length > 4 ? ' …' : ''} match no frame`,
      path.join(dir, ordered[frames.length]!),
    );
  }
  const files = ordered.map((n) => path.join(dir, n));
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const s = await size(f, limitInputPixels, 'mask');
    const fr = frames[i]!;
    if (s.width !== fr.width || s.height !== fr.height) {
      throw new XoayError(STAGE, 'UNEQUAL_SIZES', `the mask is ${s.width}×${s.height} but its frame ${path.basename(fr.file)} is ${fr.width}×${fr.height}`, f);
    }
  }
  return files;
}

/**
 * One mask at the working size `w × h` (1 = object). A mask whose border is mostly bright is a backlit
 * silhouette: the object is where it is dark. The cut is at the middle of the image's two levels (Otsu).
 */
export async function loadMask(file: string, w: number, h: number, decode: DecodeOptions): Promise<Uint8Array> {
  let grey: Buffer;
  try {
    grey = await openImage(file, decode).resize(w, h, { fit: 'fill', kernel: 'linear' }).toColourspace('b-w').extractChannel(0).raw().toBuffer();
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `the mask cannot be decoded (${why.slice(0, 200)})`, file, { cause: e });
  }
  const hist = new Float64Array(256);
  let border = 0,
    borderBright = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = grey[y * w + x]!;
      hist[v]!++;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) {
        border++;
        if (v >= 128) borderBright++;
      }
    }
  }
  const t = otsu(hist, w * h);
  const backlit = borderBright > border / 2;
  const out = new Uint8Array(w * h);
  for (let k = 0; k < out.length; k++) out[k] = backlit ? (grey[k]! <= t ? 1 : 0) : grey[k]! > t ? 1 : 0;
  return out;
}

/** Otsu's threshold of a 256-bin histogram (values ≤ t are the lower class). */
export function otsu(hist: ArrayLike<number>, total: number): number {
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  let sumB = 0,
    wB = 0,
    best = -1,
    t = 127;
  for (let i = 0; i < 256; i++) {
    wB += hist[i]!;
    if (!wB) continue;
    const wF = total - wB;
    if (!wF) break;
    sumB += i * hist[i]!;
    const mB = sumB / wB,
      mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      t = i;
    }
  }
  return t;
}
