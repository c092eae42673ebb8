/**
 * Ingest: find the frames of a shoot, order them, and check the shoot before any pixel work.
 * Reads file headers only (sizes, orientation) and hashes the bytes to find duplicates.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { utf8Name } from '../core/inside.js';
import path from 'node:path';
import { XoayError } from '../core/errors.js';
import { statInput } from '../core/input.js';
import { assertBoolean, assertInteger, withDefaults } from '../core/options.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, imageError, sharp } from '../core/image.js';
import { mapLimit } from '../core/pool.js';
import type { Metadata } from 'sharp';
import { frameNumber, IMAGE_EXTENSIONS, isImageName, naturalCompare, numberingGaps, orderFrames } from '../core/frames.js';
import type { FrameRef, SpinRowInput, SpinSet } from './types.js';

const STAGE = 'ingest';

export interface IngestOptions {
  /** Split a single folder into this many rows of equal length, in order. 0: rows come from sub-folders (or one row). */
  rows: number;
  /** Reverse the turn of every row (for clockwise shoots): frame 1 stays first, the rest run backwards. */
  reverse: boolean;
  /** The fewest frames a row may have. */
  minFrames: number;
  /** sharp's decompression-bomb guard: the most pixels an input may have. */
  limitInputPixels: number;
  /** Files read in parallel. */
  concurrency: number;
}

export const INGEST_DEFAULTS: IngestOptions = {
  rows: 0,
  reverse: false,
  minFrames: 8,
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  concurrency: 4,
};

function validate(options: IngestOptions): void {
  assertInteger(STAGE, 'rows', options.rows, 0, 64);
  assertBoolean(STAGE, 'reverse', options.reverse);
  assertInteger(STAGE, 'minFrames', options.minFrames, 1, 100_000);
  assertInteger(STAGE, 'limitInputPixels', options.limitInputPixels, 1, Number.MAX_SAFE_INTEGER);
  assertInteger(STAGE, 'concurrency', options.concurrency, 1, 256);
}

async function listFolder(dir: string): Promise<{ images: string[]; folders: string[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    throw new XoayError(STAGE, 'INPUT_MISSING', `cannot read the folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, dir, { cause: e });
  }
  const images: string[] = [],
    folders: string[] = [];
  for (const e of entries) {
    const name = utf8Name(e.name, dir, STAGE); // a name that is not UTF-8 is named as such, not reported missing later
    if (name.startsWith('.')) continue;
    let isFile = e.isFile(),
      isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      // Follow links (shoots are often assembled from links to the camera's files).
      const st = await stat(path.join(dir, name)).catch(() => null);
      isFile = Boolean(st?.isFile());
      isDir = Boolean(st?.isDirectory());
    }
    if (isFile && isImageName(name)) images.push(name);
    else if (isDir) folders.push(name);
  }
  return { images, folders };
}

/** A row before its frames are read: its name, folder and frame file names in order. */
interface RowDef {
  name: string;
  dir: string;
  names: string[];
}

/** Find and check the frames of a shoot. Throws a XoayError naming the file and the problem. */
export async function ingest(input: string, opts?: Partial<IngestOptions>): Promise<SpinSet> {
  const options = withDefaults(INGEST_DEFAULTS, opts);
  validate(options);
  const root = path.resolve(input);
  await statInput(STAGE, root, { kind: 'folder', missing: 'the input folder does not exist', wrongKind: 'the input is not a folder of frames' });

  const warnings: string[] = [];
  const rowDefs = await findRows(root, options, warnings);
  checkRowLengths(rowDefs, options, root);
  warnNumberingGaps(rowDefs, options, warnings);
  const refs = await readFrames(rowDefs, options);
  checkSizes(refs, root);
  checkDuplicates(refs, root);

  const rows: SpinRowInput[] = rowDefs.map((r, i) => {
    let frames = refs.filter((f) => f.row === i);
    // A clockwise shoot: keep the first frame first (it is the poster) and reverse the rest.
    if (options.reverse) frames = [frames[0]!, ...frames.slice(1).reverse()];
    frames.forEach((f, index) => (f.index = index));
    return { name: r.name, frames };
  });
  return { root, rows, width: refs[0]!.width, height: refs[0]!.height, warnings };
}

/**
 * The rows: frames at the top level make one row (or --rows rows); otherwise each sub-folder is a row. A few
 * stray images next to row folders (a preview, a reference shot) do not hide the rows.
 */
async function findRows(root: string, options: IngestOptions, warnings: string[]): Promise<RowDef[]> {
  const top = await listFolder(root);
  let rowDefs: RowDef[] = [];
  const strayImages = top.images.length > 0 && top.images.length < options.minFrames && top.folders.length > 0;
  if (strayImages) warnings.push(`ignored ${top.images.length} image(s) next to the row folders: ${top.images.join(', ')}`);
  if (top.images.length > 0 && !strayImages) {
    if (top.folders.length > 0) warnings.push(`sub-folders ignored because ${root} holds frames itself: ${top.folders.join(', ')}`);
    const ordered = orderFrames(top.images);
    if (options.rows > 1) {
      if (ordered.length % options.rows !== 0) {
        throw new XoayError(STAGE, 'UNEQUAL_ROWS', `${ordered.length} frames cannot be split into ${options.rows} equal rows (--rows ${options.rows})`, root);
      }
      const per = ordered.length / options.rows;
      for (let r = 0; r < options.rows; r++) rowDefs.push({ name: `row-${r + 1}`, dir: root, names: ordered.slice(r * per, (r + 1) * per) });
    } else {
      rowDefs = [{ name: path.basename(root), dir: root, names: ordered }];
    }
  } else {
    for (const f of [...top.folders].sort(naturalCompare)) {
      const sub = await listFolder(path.join(root, f));
      if (sub.images.length > 0) rowDefs.push({ name: f, dir: path.join(root, f), names: orderFrames(sub.images) });
    }
    if (options.rows > 1 && rowDefs.length !== options.rows) {
      throw new XoayError(STAGE, 'UNEQUAL_ROWS', `--rows ${options.rows} was given but the input has ${rowDefs.length} row folders`, root);
    }
  }
  if (rowDefs.length === 0) {
    throw new XoayError(STAGE, 'INPUT_EMPTY', `no frames found (looked for ${IMAGE_EXTENSIONS.join(' ')} files, or sub-folders of them, one per row)`, root);
  }
  return rowDefs;
}

/** Every row has at least `minFrames` frames, and all rows as many. */
function checkRowLengths(rowDefs: readonly RowDef[], options: IngestOptions, root: string): void {
  for (const r of rowDefs) {
    if (r.names.length < options.minFrames) {
      throw new XoayError(STAGE, 'TOO_FEW_FRAMES', `row "${r.name}" has ${r.names.length} frames; a spin needs at least ${options.minFrames}`, r.dir);
    }
  }
  const counts = new Set(rowDefs.map((r) => r.names.length));
  if (counts.size > 1) {
    throw new XoayError(STAGE, 'UNEQUAL_ROWS', `rows have different frame counts: ${rowDefs.map((r) => `${r.name}: ${r.names.length}`).join(', ')}`, root);
  }
}

/** Numbering gaps (reported, not fatal). */
function warnNumberingGaps(rowDefs: readonly RowDef[], options: IngestOptions, warnings: string[]): void {
  const allNames = options.rows > 1 ? [rowDefs.flatMap((r) => r.names)] : rowDefs.map((r) => r.names);
  allNames.forEach((names, i) => {
    const nums = names.map(frameNumber);
    if (nums.every((n): n is number => n !== null)) {
      const gaps = numberingGaps(nums);
      if (gaps.length) warnings.push(`${options.rows > 1 ? 'frames' : `row "${rowDefs[i]!.name}"`}: frame numbers missing: ${gaps.join(', ')}`);
    }
  });
}

/** Read every frame's header (size, orientation) and hash its bytes. */
async function readFrames(rowDefs: readonly RowDef[], options: IngestOptions): Promise<FrameRef[]> {
  const flat = rowDefs.flatMap((r, row) => r.names.map((name, index) => ({ file: path.join(r.dir, name), row, index })));
  return mapLimit(flat, options.concurrency, async ({ file, row, index }): Promise<FrameRef> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file, { cause: e });
    }
    if (bytes.length === 0) throw new XoayError(STAGE, 'EMPTY_FILE', 'the file is empty (0 bytes)', file);
    let meta: Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: options.limitInputPixels }).metadata();
    } catch (e) {
      throw imageError(STAGE, file, e, options.limitInputPixels);
    }
    if (!meta.width || !meta.height) throw new XoayError(STAGE, 'UNREADABLE_IMAGE', 'the image has no size', file);
    const rotated = (meta.orientation ?? 1) >= 5;
    return {
      file,
      row,
      index,
      width: rotated ? meta.height : meta.width,
      height: rotated ? meta.width : meta.height,
      hash: createHash('sha256').update(bytes).digest('hex'),
    };
  });
}

/** Equal sizes: name the odd ones out against the most common size. */
function checkSizes(refs: readonly FrameRef[], root: string): void {
  const bySize = new Map<string, FrameRef[]>();
  for (const f of refs) {
    const k = `${f.width}×${f.height}`;
    bySize.set(k, [...(bySize.get(k) ?? []), f]);
  }
  if (bySize.size > 1) {
    const sizes = [...bySize.entries()].sort((a, b) => b[1].length - a[1].length);
    const [common, commonFrames] = sizes[0]!;
    const odd = sizes.slice(1).flatMap(([k, fs]) => fs.map((f) => `${path.relative(root, f.file)} (${k})`));
    throw new XoayError(
      STAGE,
      'UNEQUAL_SIZES',
      `frames have different sizes: ${commonFrames.length} are ${common}, but ${odd.slice(0, 12).join(', ')}${odd.length > 12 ? ` and ${odd.length - 12} more` : ''}`,
      odd.length === 1 ? sizes[1]![1][0]!.file : root,
    );
  }
}

/** Duplicates: the same bytes twice. */
function checkDuplicates(refs: readonly FrameRef[], root: string): void {
  const byHash = new Map<string, FrameRef[]>();
  for (const f of refs) byHash.set(f.hash, [...(byHash.get(f.hash) ?? []), f]);
  const dups = [...byHash.values()].filter((fs) => fs.length > 1);
  if (dups.length) {
    const list = dups.map((fs) => fs.map((f) => path.relative(root, f.file)).join(' = ')).join('; ');
    throw new XoayError(STAGE, 'DUPLICATE_FRAMES', `duplicate frames (identical content): ${list}`, dups[0]![1]!.file);
  }
}
