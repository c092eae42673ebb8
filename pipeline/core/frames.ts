/**
 * A shoot's frames as every stage sees them: an 8-bit image in memory, a reference to an input frame, and how
 * frame files are recognised and ordered (spin's ingest, the segmentation's studio masks and reconstruct share them).
 */
import path from 'node:path';

/** An 8-bit RGB image in memory. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA, alpha ignored). */
  channels: number;
}

/** One input frame, after ingest (nothing decoded yet). */
export interface FrameRef {
  /** Absolute path of the input file. */
  file: string;
  /** Row index (0-based). */
  row: number;
  /** Index of the frame within its row after ordering (0-based). */
  index: number;
  /** Size after EXIF orientation. */
  width: number;
  height: number;
  /** sha256 of the file's bytes. */
  hash: string;
}

/** Extensions of the frame files a shoot may hold. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.avif'] as const;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order of names: `img2` before `img10`, case-insensitive. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The frame number in a file name: the last run of digits in its stem (`12345_01_022.jpg` → 22). */
export function frameNumber(name: string): number | null {
  const stem = path.basename(name, path.extname(name));
  const runs = stem.match(/\d+/g);
  return runs ? Number(runs[runs.length - 1]) : null;
}

/** Whether a file name is a frame's (an image extension, not hidden). */
export function isImageName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase()) && !name.startsWith('.');
}

/**
 * Order frames naturally by their whole name (`IMG_2` before `IMG_10`, `12345_01_022` before
 * `12345_02_001`): the numbers in a name are compared as numbers, left to right.
 */
export function orderFrames(names: string[]): string[] {
  return [...names].sort(naturalCompare);
}

/** Missing numbers in an ordered list of frame numbers, e.g. [1,2,4,7] → [3,5,6]. */
export function numberingGaps(numbers: number[]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < numbers.length; i++) {
    for (let n = numbers[i - 1]! + 1; n < numbers[i]!; n++) {
      gaps.push(n);
      if (gaps.length > 50) return gaps;
    }
  }
  return gaps;
}
