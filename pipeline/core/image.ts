/**
 * sharp set-up shared by every stage: pixel limits, concurrency and the colour handling that turns
 * any input (CMYK, 16-bit, grey, palette, alpha, rotated by EXIF) into 8-bit sRGB.
 */
import sharp, { type Sharp } from 'sharp';
import { XoayError } from './errors.js';

export { sharp };

import { DEFAULT_LIMIT_INPUT_PIXELS } from './pixel-limit.js';

export { DEFAULT_LIMIT_INPUT_PIXELS };

/**
 * libvips threads per operation: a fixed number, not the machine's cores. The AVIF encoder (libaom) writes
 * different bytes for different thread counts (measured: the same 512 px frame is 2848 bytes with 1 thread, 2949
 * with 2, 3065 with 4), and the build cache and the queue workers rely on the same input giving the same bytes on
 * any machine and under any --jobs or --concurrency. Parallelism comes from processing frames (and products) at
 * the same time instead.
 */
export const LIBVIPS_THREADS = 2;

let configured = false;
export function configureSharp(): void {
  if (configured) return;
  sharp.concurrency(LIBVIPS_THREADS);
  sharp.cache(false);
  configured = true;
}

export interface DecodeOptions {
  /** sharp's limitInputPixels (decompression-bomb guard). */
  limitInputPixels: number;
  /** Colour to flatten transparent inputs onto. */
  flatten: { r: number; g: number; b: number };
}

/**
 * An sRGB, 8-bit, EXIF-oriented, alpha-flattened pipeline for one input file.
 * `failOn: 'truncated'` makes a cut-off JPEG or PNG an error rather than a grey half.
 */
export function openImage(file: string | Buffer, opts: DecodeOptions): Sharp {
  return sharp(file, { limitInputPixels: opts.limitInputPixels, failOn: 'truncated', sequentialRead: true })
    .autoOrient()
    .flatten({ background: opts.flatten })
    .toColourspace('srgb');
}

/** Turn a sharp/libvips failure into a message a person can act on. */
export function imageError(stage: string, file: string, e: unknown, limitInputPixels?: number): XoayError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) {
    return new XoayError(
      stage,
      'PIXEL_LIMIT',
      `the image is larger than the pixel limit of ${limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS} pixels (a possible decompression bomb); raise it with --limit-input-pixels if the file is genuine`,
      file,
      { cause: e },
    );
  }
  if (/unsupported image format/i.test(msg)) {
    return new XoayError(stage, 'UNREADABLE_IMAGE', 'not an image in a supported format (JPEG, PNG, TIFF, WebP, AVIF)', file, { cause: e });
  }
  if (/premature end|truncated|unexpected end|corrupt|not enough data|read error|VipsJpeg|out of order|end of file/i.test(msg)) {
    return new XoayError(stage, 'UNREADABLE_IMAGE', `the image is truncated or corrupt (${firstLine(msg)})`, file, { cause: e });
  }
  return new XoayError(stage, 'UNREADABLE_IMAGE', `cannot decode the image (${firstLine(msg)})`, file, { cause: e });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** The size of an image after EXIF orientation (from its header; throws what sharp throws, or "no size"). */
export async function uprightSize(file: string, limitInputPixels: number): Promise<{ width: number; height: number }> {
  const m = await sharp(file, { limitInputPixels }).metadata();
  if (!m.width || !m.height) throw new Error('no size');
  const swap = (m.orientation ?? 1) >= 5;
  return { width: swap ? m.height : m.width, height: swap ? m.width : m.height };
}
