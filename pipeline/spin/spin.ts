/**
 * `spin`: the whole spin pipeline, ingest → analyse → recentre → crop → background + exposure →
 * encode → manifest and QA. Frames are streamed: each is decoded small for analysis, then once at
 * full size for rendering, so at most `concurrency` full-size frames are in memory at a time.
 * Output goes to a temporary folder that is renamed into place only when everything is written.
 * A `shoot.json` in the shoot folder (pipeline/spin/shoot.ts) gives each row's camera elevation in spin.json.
 */
import os from 'node:os';
import path from 'node:path';
import type { QaReport, SpinManifest } from '../../schema/spin.js';
import { XoayError } from '../core/errors.js';
import type { RgbImage } from '../core/frames.js';
import type { OutputFolder } from '../core/fsout.js';
import { configureSharp, type DecodeOptions, DEFAULT_LIMIT_INPUT_PIXELS } from '../core/image.js';
import { assertBoolean, assertInteger, assertNumber, assertOneOf, invalid, withDefaults } from '../core/options.js';
import { mapLimit } from '../core/pool.js';
import { type Run, startRun, withOutput } from '../core/run.js';
import { type FrameSegment, SEGMENT_FRAMES_DEFAULTS, segmentFrames } from '../segment/frames.js';
import { checkCleanPlate, checkMasks } from '../segment/studio.js';
import { ANALYSE_DEFAULTS, analyseFrame, loadAnalysisImage, nearDuplicates, touchesEdge } from './analyse.js';
import { BACKGROUND_MODES, type BackgroundMode } from './background.js';
import { type CropRect, cropRows } from './crop.js';
import {
  ENCODE_DEFAULTS,
  EXTENSION,
  type EncodeOptions,
  encodeLadder,
  encodeSprite,
  type FrameRenditions,
  ladder,
  placeholder,
  type RawImage,
  resizeRaw,
  type SpinFormat,
  type SpriteLayout,
  validateEncodeOptions,
} from './encode.js';
import { type Levels, matchExposure } from './exposure.js';
import { ingest } from './ingest.js';
import { qaPage, spinManifest } from './manifest.js';
import { borderInTrouble, frameOutline, OUTLINE_WIDTH, useSegment, writeDebugMasks } from './masks.js';
import { analyseOutput, backdropRegion, type FrameMeasures, purity, qaReport } from './qa.js';
import { recentre } from './recentre.js';
import { renderFrame } from './render-frame.js';
import { readShoot, type RowSettings, type ShootInfo, shootRows } from './shoot.js';
import type { FrameAnalysis, FrameRef, SpinSet } from './types.js';

const STAGE = 'spin';

export interface SpinOptions {
  /** Split one folder of N×M frames into N rows (0: rows from sub-folders). */
  rows: number;
  /** Reverse the frame order (clockwise shoots). */
  reverse: boolean;
  /** Remove the orbit of an off-axis object. */
  recentre: boolean;
  /** Match every frame's levels to the row's median. */
  exposure: boolean;
  /** Crop margin around the object, as a fraction (0.05 = 5 %). */
  margin: number;
  /** Output aspect (width / height), or null to keep the object's own aspect. */
  aspect: number | null;
  /** white | transparent | keep. */
  background: BackgroundMode;
  /** Remove the contact shadow instead of keeping it as a soft grey. */
  shadowRemove: boolean;
  /** Width ladder. */
  widths: number[];
  /** Output formats. */
  formats: SpinFormat[];
  /** Frames processed in parallel (default: all cores). */
  concurrency: number;
  /** Decompression-bomb guard, in pixels. */
  limitInputPixels: number;
  /** Replace an existing output folder. */
  force: boolean;
  /** Analysis size (longest side, px). */
  analysisSize: number;
  /** Fewest frames per row. */
  minFrames: number;
  /** How the object is told from the backdrop: `plate` (a clean plate from each row's turn, pipeline/segment: shadows and floor reflections are not object), `border` (a backdrop model fitted to each frame's border) or `auto` (plate where a row's backdrop stands still, else border). */
  segment: 'auto' | 'border' | 'plate';
  /** Working size of the plate segmentation (longest side, px). */
  segmentSize: number;
  /** Also write masks/: one 8-bit PNG per frame (255 = object, full frame size) and the row's plate. */
  debugMasks: boolean;
  /** A shot of the empty turntable (same camera, framing and size): the plate where the object covers a pixel in every frame. Implies `segment: 'plate'`. */
  cleanPlate: string | null;
  /** A folder of masks or backlit-silhouette frames, one per frame in frame order: used as the masks. Implies `segment: 'plate'`. */
  masks: string | null;
}

export const SPIN_DEFAULTS: SpinOptions = {
  rows: 0,
  reverse: false,
  recentre: true,
  exposure: true,
  margin: 0.05,
  aspect: 1,
  background: 'white',
  shadowRemove: false,
  widths: ENCODE_DEFAULTS.widths,
  formats: ENCODE_DEFAULTS.formats,
  concurrency: os.availableParallelism(),
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  force: false,
  analysisSize: ANALYSE_DEFAULTS.size,
  minFrames: 8,
  segment: 'auto',
  segmentSize: SEGMENT_FRAMES_DEFAULTS.size,
  debugMasks: false,
  cleanPlate: null,
  masks: null,
};

export type SpinEvent =
  | { type: 'stage'; stage: string }
  | { type: 'progress'; stage: 'analyse' | 'render'; done: number; total: number }
  | { type: 'warning'; message: string };

export interface SpinContext {
  /** Receives progress and warnings (the CLI draws them). */
  onEvent?: (e: SpinEvent) => void;
  /**
   * Receives each processed frame (cropped, levelled, matted, at the top width) before it is encoded:
   * the reference that benchmarks and tests compare the encoded renditions against.
   */
  onFrame?: (frame: FrameRef, image: RawImage) => void | Promise<void>;
  /** Cancels the run between steps and between frames (XoayError CANCELLED); the temporary output is removed. */
  signal?: AbortSignal;
}

export interface SpinResult {
  output: string;
  manifest: SpinManifest;
  qa: QaReport;
}

function validate(o: SpinOptions): void {
  assertInteger(STAGE, 'rows', o.rows, 0, 64);
  assertBoolean(STAGE, 'reverse', o.reverse);
  assertBoolean(STAGE, 'recentre', o.recentre);
  assertBoolean(STAGE, 'exposure', o.exposure);
  assertNumber(STAGE, 'margin', o.margin, 0, 1);
  if (o.aspect !== null) assertNumber(STAGE, 'aspect', o.aspect, 0.05, 20);
  assertOneOf(STAGE, 'background', o.background, BACKGROUND_MODES);
  assertBoolean(STAGE, 'shadowRemove', o.shadowRemove);
  assertInteger(STAGE, 'concurrency', o.concurrency, 1, 256);
  assertInteger(STAGE, 'limitInputPixels', o.limitInputPixels, 1, Number.MAX_SAFE_INTEGER);
  assertInteger(STAGE, 'analysisSize', o.analysisSize, 64, 4096);
  validateEncodeOptions({ ...ENCODE_DEFAULTS, widths: o.widths, formats: o.formats });
  assertOneOf(STAGE, 'segment', o.segment, ['auto', 'border', 'plate'] as const);
  assertInteger(STAGE, 'segmentSize', o.segmentSize, 64, 16384);
  assertBoolean(STAGE, 'debugMasks', o.debugMasks);
  if (o.cleanPlate !== null && (typeof o.cleanPlate !== 'string' || !o.cleanPlate)) throw invalid(STAGE, 'cleanPlate', 'a file path or null', o.cleanPlate);
  if (o.masks !== null && (typeof o.masks !== 'string' || !o.masks)) throw invalid(STAGE, 'masks', 'a folder path or null', o.masks);
}

/** What the ingest step found: the shoot's rows and frames (in frame order), each row's settings, the studio's masks. */
interface Shoot {
  set: SpinSet;
  /** Every frame, row after row. */
  frames: FrameRef[];
  /** Each row's settings from shoot.json. */
  rowSettings: RowSettings[];
  /** --masks: one file per frame, in frame order. */
  maskFiles: string[] | null;
}

/** What the analyse and segment steps found, per frame (in frame order) and per row. */
interface Analysed {
  analyses: FrameAnalysis[];
  /** The same analyses by row. */
  byRow: FrameAnalysis[][];
  /** The input frames' background purity. */
  inputPurity: number[];
  /** Each frame's exposure levels, by row. */
  levels: Levels[][];
  /** The plate segmentation of each frame, where its row has one. */
  segments: (FrameSegment | null)[];
  /** Each row's plate, where it has one. */
  plates: (RgbImage | null)[];
}

/** Where each frame goes in the output: re-centring shifts, crops, output size and the width ladder. */
interface Plan {
  /** Analysis pixels per source pixel. */
  scale: number;
  shifts: { dx: number; dy: number }[][];
  rects: CropRect[];
  outW: number;
  outH: number;
  encodeOpts: EncodeOptions;
  /** The rendition QA measures: its width and (for orbit, jitter, flicker) format. */
  qaWidth: number;
  qaFormat: SpinFormat;
}

interface RenderedFrame extends FrameMeasures {
  thumb: RawImage;
  /** What was cut as object, outlined for qa.html (SVG path in an OUTLINE_WIDTH-wide box). */
  outline: string;
  src: FrameRenditions['src'];
}

/** The sprites and the poster: what a viewer loads before the first interaction. */
interface Preview {
  sprites: { sources: { avif: string; webp: string; jpeg: string }; layout: SpriteLayout; jpegBytes: number }[];
  poster: string;
  posterSources: { jpeg?: string; webp?: string };
  posterBytes: number;
  placeholder: string;
}

export async function spin(input: string, output: string, opts?: Partial<SpinOptions>, ctx: SpinContext = {}): Promise<SpinResult> {
  const o = withDefaults(SPIN_DEFAULTS, opts);
  validate(o);
  configureSharp();
  const run = startRun<SpinEvent>(ctx.onEvent, ctx.signal);
  const decode: DecodeOptions = { limitInputPixels: o.limitInputPixels, flatten: { r: 255, g: 255, b: 255 } };
  run.stage('ingest');
  // The output is checked (not inside the input, not existing, writable) before any frame is read.
  // shoot.json (optional) is checked before anything is written; each row's elevation comes from it.
  const shootInfo = await readShoot(input);
  const inputs = [input, ...[o.cleanPlate, o.masks].filter((p): p is string => !!p).map((p) => path.resolve(p))];
  return withOutput(output, { stage: STAGE, inputs, force: o.force }, async (out) => {
    const shoot = await ingestShoot(input, shootInfo, o, run);
    run.lap('ingest');
    const seen = await analyseShoot(shoot, o, decode, run);
    await segmentRows(shoot, seen, o, decode, run);
    warnCutOff(shoot.frames, seen.analyses, run);
    run.lap('analyse');
    const plan = planOutput(shoot, seen, o);
    run.lap('plan');
    const rendered = await renderFrames(shoot, seen, plan, o, decode, out, ctx, run);
    run.lap('render');
    const byRow = shoot.set.rows.map((_, r) => rendered.filter((_, i) => shoot.frames[i]!.row === r));
    const preview = await writePreview(byRow, plan, out);
    run.lap('sprites');
    const { manifest, qa } = await writeReports(shoot, seen, plan, byRow, preview, o, out, run);
    return { output: out.target, manifest, qa };
  });
}

/** 1. Ingest: find and check the frames, each row's settings from shoot.json, and what a studio adds (before any frame is processed). */
async function ingestShoot(input: string, shootInfo: ShootInfo | null, o: SpinOptions, run: Run<SpinEvent>): Promise<Shoot> {
  const set = await ingest(input, {
    rows: o.rows,
    reverse: o.reverse,
    minFrames: o.minFrames,
    limitInputPixels: o.limitInputPixels,
    concurrency: o.concurrency,
  });
  const rowSettings = shootRows(
    shootInfo,
    set.rows.map((r) => r.name),
  );
  for (const w of set.warnings) run.warn(w);
  const frames = set.rows.flatMap((r) => r.frames);
  if (o.cleanPlate) await checkCleanPlate(path.resolve(o.cleanPlate), set.width, set.height, o.limitInputPixels);
  const maskFiles = o.masks ? await checkMasks(path.resolve(o.masks), frames, o.limitInputPixels) : null;
  return { set, frames, rowSettings, maskFiles };
}

/** 2. Analyse every frame at a reduced size; refuse a row with the same picture twice; find the exposure levels. */
async function analyseShoot(shoot: Shoot, o: SpinOptions, decode: DecodeOptions, run: Run<SpinEvent>): Promise<Analysed> {
  const { set, frames } = shoot;
  run.stage('analyse');
  let done = 0;
  const total = frames.length;
  const inputPurity: number[] = new Array(total);
  const analyses = await mapLimit(frames, o.concurrency, async (f, i) => {
    const img = await loadAnalysisImage(f, o.analysisSize, decode);
    const a = analyseFrame(img, img.scale, f.file, { size: o.analysisSize, shadowRemove: o.shadowRemove });
    inputPurity[i] = purity(img, a, backdropRegion(a));
    run.emit({ type: 'progress', stage: 'analyse', done: ++done, total });
    return a;
  });
  const byRow = set.rows.map((_, ri) => analyses.filter((_, i) => frames[i]!.row === ri));
  byRow.forEach((row, ri) => {
    const dup = nearDuplicates(row)[0];
    if (dup) {
      const [i, j] = dup.pair.map((k) => set.rows[ri]!.frames[k]!.file);
      throw new XoayError(
        'analyse',
        'DUPLICATE_FRAMES',
        `frames ${path.basename(i!)} and ${path.basename(j!)} are the same picture (they differ by ${dup.difference.toFixed(2)} levels on the object; neighbouring frames by ${dup.typical.toFixed(1)})`,
        i,
      );
    }
  });
  // 6. Exposure levels (applied in the background pass), from the border model's masks: with the object
  // reference they take in the floor and the contact shadow, which stand still and follow the exposure,
  // where the segmentation's masks hold only the turning object (a pale one mostly clipped): chained
  // around the turn its changing surfaces drift (a white table: gains up to 1.14 for a ±3 % jitter).
  const levels = byRow.map((row) => matchExposure(row, { enabled: o.exposure }));
  return { analyses, byRow, inputPurity, levels, segments: frames.map(() => null), plates: set.rows.map(() => null) };
}

/**
 * 2b. Segment: the rows told from their backdrop by a plate from the turn (--segment plate, a studio's
 * inputs, or auto where the border model is in trouble). Their masks (and the box, centre and area found
 * from them) replace the border model's in the analyses. Times itself (the analyse lap closes first).
 */
async function segmentRows(shoot: Shoot, seen: Analysed, o: SpinOptions, decode: DecodeOptions, run: Run<SpinEvent>): Promise<void> {
  const { set, frames, maskFiles } = shoot;
  const studio = Boolean(o.cleanPlate || o.masks);
  const plateRows = set.rows.map((_, ri) => o.segment === 'plate' || studio || (o.segment === 'auto' && borderInTrouble(seen.byRow[ri]!)));
  if (!plateRows.some(Boolean)) return;
  run.lap('analyse');
  run.stage('segment');
  let first = 0;
  for (let ri = 0; ri < set.rows.length; ri++) {
    const row = set.rows[ri]!;
    const rowMasks = maskFiles ? maskFiles.slice(first, first + row.frames.length) : null;
    first += row.frames.length;
    if (!plateRows[ri]) continue;
    run.check('segment'); // a row's plate takes seconds: a cancelled run stops between rows
    const seg = await segmentFrames(
      row.frames,
      decode,
      { size: o.segmentSize, concurrency: Math.min(o.concurrency, 4) },
      { cleanPlate: o.cleanPlate, masks: rowMasks },
    );
    if (!seg) {
      // auto: a short row or a moving backdrop simply keeps the border model's masks
      if (o.segment === 'auto' && !studio) continue;
      run.warn(`segment: the backdrop does not stand still over row ${row.name} (a moving camera?): its masks come from each frame's border`);
      continue;
    }
    seen.plates[ri] = seg.plate;
    row.frames.forEach((f, j) => {
      const i = frames.indexOf(f);
      seen.segments[i] = seg.frames[j]!;
      useSegment(seen.analyses[i]!, seg.frames[j]!);
    });
  }
  run.lap('segment');
}

/** An object that touches the frame edge is probably cut off: say which frames. */
function warnCutOff(frames: readonly FrameRef[], analyses: readonly FrameAnalysis[], run: Run<SpinEvent>): void {
  const cut = frames.filter((_, i) => touchesEdge(analyses[i]!));
  if (!cut.length) return;
  const names = cut.map((f) => path.basename(f.file));
  run.warn(
    `the object touches the frame edge (it may be cut off) in ${cut.length} frame(s): ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''}`,
  );
}

/** 3. Re-centre, 4. crop (the exposure levels are found above), and the output size and width ladder. */
function planOutput(shoot: Shoot, seen: Analysed, o: SpinOptions): Plan {
  const scale = seen.analyses[0]!.scale;
  const shifts = seen.byRow.map((row) =>
    recentre(
      row.map((a) => ({ x: a.centre.x / scale, y: a.centre.y / scale })),
      { enabled: o.recentre },
    ),
  );
  const rects = cropRows(
    seen.byRow.map((row, r) =>
      row.map((a, i) => {
        const s = shifts[r]![i]!;
        return { x0: a.box.x0 / scale + s.dx, y0: a.box.y0 / scale + s.dy, x1: a.box.x1 / scale + s.dx, y1: a.box.y1 / scale + s.dy };
      }),
    ),
    { margin: o.margin, aspect: o.aspect },
  );
  const rect0 = rects[0]!;
  const outW = Math.min(Math.max(...o.widths), rect0.width);
  const outH = Math.max(1, Math.round((outW * rect0.height) / rect0.width));
  const widths = ladder(o.widths, outW);
  if (o.formats.includes('webp') && Math.max(outW, outH) > 16383) {
    throw new XoayError(
      'crop',
      'BAD_OPTION',
      `the processed frame would be ${outW}×${outH}, over WebP's 16383 px limit; use a wider --aspect, a smaller --margin or fewer --widths`,
      shoot.set.root,
    );
  }
  // QA on the first rendition of at least 512 px (what a phone loads first), else the largest.
  const qaWidth = widths.find((w) => w >= 512) ?? widths[widths.length - 1]!;
  const qaFormat: SpinFormat = o.formats.includes('jpeg') ? 'jpeg' : o.formats[0]!;
  return { scale, shifts, rects, outW, outH, encodeOpts: { ...ENCODE_DEFAULTS, widths, formats: o.formats }, qaWidth, qaFormat };
}

/** 5–7. Render each frame at the top width, encode the ladder, and measure the encoded output. */
async function renderFrames(
  shoot: Shoot,
  seen: Analysed,
  plan: Plan,
  o: SpinOptions,
  decode: DecodeOptions,
  out: OutputFolder,
  ctx: SpinContext,
  run: Run<SpinEvent>,
): Promise<RenderedFrame[]> {
  const { frames } = shoot;
  const { rects, shifts, outW, outH } = plan;
  const matte = { mode: o.background, shadowRemove: o.shadowRemove };
  run.stage('render');
  let done = 0;
  return mapLimit(frames, o.concurrency, async (f, i): Promise<RenderedFrame> => {
    const a = seen.analyses[i]!;
    const shift = shifts[f.row]![f.index]!;
    const img = await renderFrame(f, a, rects[f.row]!, shift, seen.levels[f.row]![f.index]!, outW, outH, matte, decode, seen.segments[i]!);
    await ctx.onFrame?.(f, img);
    const stem = String(f.index + 1).padStart(3, '0');
    const { src, bytes, smallest, decoded } = await encodeLadder(
      img,
      plan.encodeOpts,
      plan.qaWidth,
      f.file,
      (w, fmt) => `row-${f.row + 1}/${w}/${stem}.${EXTENSION[fmt]}`,
      (rel, data) => out.write(rel, data),
    );
    // "After" is measured on the encoded files: the analysis on one format, purity on each.
    const after = analyseOutput(decoded.get(plan.qaFormat)!, f.file, o.analysisSize);
    const purityByFormat: Record<string, number> = {};
    for (const [fmt, dec] of decoded) purityByFormat[fmt] = purity(dec, after.analysis, after.region);
    const thumb = await resizeRaw(smallest, Math.min(ENCODE_DEFAULTS.spriteWidth, smallest.width));
    run.emit({ type: 'progress', stage: 'render', done: ++done, total: frames.length });
    const outline = frameOutline(f, a, rects[f.row]!, shift, outW, outH, seen.segments[i] ?? null);
    return { thumb, bytes, after: after.analysis, purityByFormat, src, outline };
  });
}

/** Sprites per row; the poster is the first frame's smallest rendition (already written, cached by browsers). */
async function writePreview(byRow: RenderedFrame[][], plan: Plan, out: OutputFolder): Promise<Preview> {
  const sprites: Preview['sprites'] = [];
  for (let r = 0; r < byRow.length; r++) {
    const sprite = await encodeSprite(byRow[r]!.map((x) => x.thumb));
    const sources = { avif: `row-${r + 1}/sprite.avif`, webp: `row-${r + 1}/sprite.webp`, jpeg: `row-${r + 1}/sprite.jpg` };
    await out.write(sources.jpeg, sprite.jpeg);
    await out.write(sources.webp, sprite.webp);
    await out.write(sources.avif, sprite.avif);
    sprites.push({ sources, layout: sprite.layout, jpegBytes: sprite.jpeg.length });
  }
  const first = byRow[0]![0]!;
  const smallest = String(plan.encodeOpts.widths[0]);
  const posterSources = first.src[smallest]!;
  const poster = posterSources.jpeg ?? posterSources.webp ?? posterSources.avif!;
  const posterBytes = first.bytes[smallest]![posterSources.jpeg ? 'jpeg' : posterSources.webp ? 'webp' : 'avif']!;
  return { sprites, poster, posterSources: { jpeg: posterSources.jpeg, webp: posterSources.webp }, posterBytes, placeholder: await placeholder(first.thumb) };
}

/** 8. Manifest and QA (and --debug-masks), written last. */
async function writeReports(
  shoot: Shoot,
  seen: Analysed,
  plan: Plan,
  byRow: RenderedFrame[][],
  preview: Preview,
  o: SpinOptions,
  out: OutputFolder,
  run: Run<SpinEvent>,
): Promise<{ manifest: SpinManifest; qa: QaReport }> {
  const { set } = shoot;
  const manifest = spinManifest({
    width: plan.outW,
    height: plan.outH,
    widths: plan.encodeOpts.widths,
    formats: o.formats,
    background: o.background,
    rows: set.rows.map((r, ri) => ({
      name: r.name,
      elevation: shoot.rowSettings[ri]!.elevation,
      frames: byRow[ri]!.map((x) => x.src),
      sprite: preview.sprites[ri]!,
    })),
    poster: preview.poster,
    posterSources: preview.posterSources,
    placeholder: preview.placeholder,
  });
  const qa = qaReport({
    input: set.root,
    sourceWidth: set.width,
    sourceHeight: set.height,
    rows: seen.byRow.map((before, ri) => ({
      name: set.rows[ri]!.name,
      before,
      purityBefore: seen.inputPurity.filter((_, i) => shoot.frames[i]!.row === ri),
      crop: plan.rects[ri]!,
      frames: byRow[ri]!,
    })),
    scale: plan.scale,
    qaWidth: plan.qaWidth,
    qaFormat: plan.qaFormat,
    formats: o.formats,
    firstInteractionBytes: preview.posterBytes + preview.sprites[0]!.jpegBytes,
    warnings: run.warnings,
    timings: run.timings,
  });
  run.lap('qa');
  if (o.debugMasks) await writeDebugMasks(out, set, shoot.frames, seen.analyses, seen.segments, seen.plates);
  await out.write('spin.json', JSON.stringify(manifest, null, 2) + '\n');
  await out.write('qa.json', JSON.stringify(qa, null, 2) + '\n');
  const outlines = {
    width: OUTLINE_WIDTH,
    height: Math.max(1, Math.round((OUTLINE_WIDTH * plan.outH) / plan.outW)),
    paths: byRow.map((row) => row.map((x) => x.outline)),
  };
  await out.write('qa.html', qaPage(manifest, qa, outlines));
  return { manifest, qa };
}
