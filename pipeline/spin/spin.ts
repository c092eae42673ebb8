/**
 * `spin`: the whole spin pipeline, ingest → analyse → recentre → crop → background + exposure →
 * encode → manifest and QA. Frames are streamed: each is decoded small for analysis, then once at
 * full size for rendering, so at most `concurrency` full-size frames are in memory at a time.
 * Output goes to a temporary folder that is renamed into place only when everything is written.
 * A `shoot.json` in the shoot folder (pipeline/spin/shoot.ts) gives each row's camera elevation in spin.json.
 */
import os from 'node:os';
import path from 'node:path';
import type { QaReport, QaRow, SpinManifest } from '../../schema/spin.js';
import { XoayError } from '../core/errors.js';
import { configureSharp, DEFAULT_LIMIT_INPUT_PIXELS, imageError, openImage, sharp } from '../core/image.js';
import { dilate } from '../core/mask.js';
import { mapLimit } from '../core/pool.js';
import { assertBoolean, assertInteger, assertNumber, assertOneOf, invalid, withDefaults } from '../core/options.js';
import { checkCleanPlate, checkMasks } from '../segment/studio.js';
import { openOutput } from '../core/fsout.js';
import { VERSION } from '../core/version.js';
import { analyseFrame, loadAnalysisImage, nearDuplicates, objectThreshold, touchesEdge, ANALYSE_DEFAULTS } from './analyse.js';
import { applyBackground, applySegmentBackground, BACKGROUND_MODES, type BackgroundMode, type FrameGeometry } from './background.js';
import { type FrameSegment, SEGMENT_FRAMES_DEFAULTS, segmentFrames } from '../segment/frames.js';
import { borderInTrouble, outlinePath, useSegment, writeDebugMasks } from './masks.js';
import type { RgbImage } from '../core/frames.js';
import { cropRows, type CropRect } from './crop.js';
import {
  ENCODE_DEFAULTS,
  EXTENSION,
  encodeImage,
  encodeSprite,
  ladder,
  placeholder,
  resizeRaw,
  validateEncodeOptions,
  type EncodeOptions,
  type RawImage,
  type SpinFormat,
  type SpriteLayout,
} from './encode.js';
import { matchExposure, type Levels } from './exposure.js';
import { ingest } from './ingest.js';
import { readShoot, shootRows } from './shoot.js';
import { checkManifest, qaPage } from './manifest.js';
import { backdropRegion, flicker, meanMeasured, orbitPercent, purity, worstMeasured } from './qa.js';
import { recentre } from './recentre.js';
import type { FrameAnalysis, FrameRef } from './types.js';

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

interface RenderedFrame {
  thumb: RawImage;
  /** What was cut as object, outlined for qa.html (SVG path in an OUTLINE_WIDTH-wide box). */
  outline: string;
  bytes: Record<string, Record<string, number>>;
  after: FrameAnalysis;
  purityByFormat: Record<string, number>;
  src: Record<string, Partial<Record<SpinFormat, string>>>;
}

export async function spin(input: string, output: string, opts?: Partial<SpinOptions>, ctx: SpinContext = {}): Promise<SpinResult> {
  const o = withDefaults(SPIN_DEFAULTS, opts);
  validate(o);
  const emit = ctx.onEvent ?? (() => {});
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = Math.round((timings[name] ?? 0) * 1000 + (t - t0)) / 1000; // a stage timed in two parts adds up
    t0 = t;
  };
  configureSharp();
  const white = { r: 255, g: 255, b: 255 };
  const decode = { limitInputPixels: o.limitInputPixels, flatten: white };

  emit({ type: 'stage', stage: 'ingest' });
  // The output is checked (not inside the input, not existing, writable) before any frame is read.
  // shoot.json (optional) is checked before anything is written; each row's elevation comes from it.
  const shootInfo = await readShoot(input);
  const out = await openOutput(output, {
    stage: STAGE,
    inputs: [input, ...[o.cleanPlate, o.masks].filter((p): p is string => !!p).map((p) => path.resolve(p))],
    force: o.force,
  });
  try {
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
    for (const w of set.warnings) emit({ type: 'warning', message: w });
    const frames = set.rows.flatMap((r) => r.frames);
    // What a studio adds is checked before any frame is processed.
    if (o.cleanPlate) await checkCleanPlate(path.resolve(o.cleanPlate), set.width, set.height, o.limitInputPixels);
    const maskFiles = o.masks ? await checkMasks(path.resolve(o.masks), frames, o.limitInputPixels) : null;
    lap('ingest');
    const total = frames.length;

    // 2. Analyse, at a reduced size.
    emit({ type: 'stage', stage: 'analyse' });
    let done = 0;
    const inputPurity: number[] = new Array(total);
    const analyses = await mapLimit(frames, o.concurrency, async (f, i) => {
      const img = await loadAnalysisImage(f, o.analysisSize, decode);
      const a = analyseFrame(img, img.scale, f.file, { size: o.analysisSize, shadowRemove: o.shadowRemove });
      inputPurity[i] = purity(img, a, backdropRegion(a));
      emit({ type: 'progress', stage: 'analyse', done: ++done, total });
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
    // With a plate from the turn, the masks (and the box, centre and area found from them) are the segmentation's.
    const segments: (FrameSegment | null)[] = frames.map(() => null);
    const plates: (RgbImage | null)[] = set.rows.map(() => null);
    const studio = Boolean(o.cleanPlate || o.masks);
    const plateRows = set.rows.map((_, ri) => o.segment === 'plate' || studio || (o.segment === 'auto' && borderInTrouble(byRow[ri]!)));
    if (plateRows.some(Boolean)) {
      lap('analyse');
      emit({ type: 'stage', stage: 'segment' });
      let first = 0;
      for (let ri = 0; ri < set.rows.length; ri++) {
        const row = set.rows[ri]!;
        const rowMasks = maskFiles ? maskFiles.slice(first, first + row.frames.length) : null;
        first += row.frames.length;
        if (!plateRows[ri]) continue;
        const seg = await segmentFrames(
          row.frames,
          decode,
          { size: o.segmentSize, concurrency: Math.min(o.concurrency, 4) },
          { cleanPlate: o.cleanPlate, masks: rowMasks },
        );
        if (!seg) {
          // auto: a short row or a moving backdrop simply keeps the border model's masks
          if (o.segment === 'auto' && !studio) continue;
          const message = `segment: the backdrop does not stand still over row ${row.name} (a moving camera?): its masks come from each frame's border`;
          set.warnings.push(message);
          emit({ type: 'warning', message });
          continue;
        }
        plates[ri] = seg.plate;
        row.frames.forEach((f, j) => {
          const i = frames.indexOf(f);
          segments[i] = seg.frames[j]!;
          useSegment(analyses[i]!, seg.frames[j]!);
        });
      }
      lap('segment');
    }
    // An object that touches the frame edge is probably cut off: say which frames.
    const cut = frames.filter((_, i) => touchesEdge(analyses[i]!));
    if (cut.length) {
      const names = cut.map((f) => path.basename(f.file));
      const message = `the object touches the frame edge (it may be cut off) in ${cut.length} frame(s): ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''}`;
      set.warnings.push(message);
      emit({ type: 'warning', message });
    }
    lap('analyse');

    // 3. Re-centre, 4. crop (the exposure levels are found above).
    const scale = analyses[0]!.scale;
    const shifts = byRow.map((row) =>
      recentre(
        row.map((a) => ({ x: a.centre.x / scale, y: a.centre.y / scale })),
        { enabled: o.recentre },
      ),
    );
    const rects = cropRows(
      byRow.map((row, r) =>
        row.map((a, i) => {
          const s = shifts[r]![i]!;
          return { x0: a.box.x0 / scale + s.dx, y0: a.box.y0 / scale + s.dy, x1: a.box.x1 / scale + s.dx, y1: a.box.y1 / scale + s.dy };
        }),
      ),
      { margin: o.margin, aspect: o.aspect },
    );
    const rect0 = rects[0]!;
    const topWidth = Math.min(Math.max(...o.widths), rect0.width);
    const outW = topWidth;
    const outH = Math.max(1, Math.round((outW * rect0.height) / rect0.width));
    const widths = ladder(o.widths, outW);
    if (o.formats.includes('webp') && Math.max(outW, outH) > 16383) {
      throw new XoayError(
        'crop',
        'BAD_OPTION',
        `the processed frame would be ${outW}×${outH}, over WebP's 16383 px limit; use a wider --aspect, a smaller --margin or fewer --widths`,
        set.root,
      );
    }
    // QA on the first rendition of at least 512 px (what a phone loads first), else the largest.
    const qaWidth = widths.find((w) => w >= 512) ?? widths[widths.length - 1]!;
    const encodeOpts: EncodeOptions = { ...ENCODE_DEFAULTS, widths, formats: o.formats };
    lap('plan');

    // 5–7. Render each frame at the top width, encode the ladder, and measure the encoded output.
    emit({ type: 'stage', stage: 'render' });
    done = 0;
    const qaFormat: SpinFormat = o.formats.includes('jpeg') ? 'jpeg' : o.formats[0]!;
    const rendered = await mapLimit(frames, o.concurrency, async (f, i): Promise<RenderedFrame> => {
      const a = analyses[i]!;
      const shift = shifts[f.row]![f.index]!;
      const img = await renderFrame(f, a, rects[f.row]!, shift, levels[f.row]![f.index]!, outW, outH, o, decode, segments[i]!);
      await ctx.onFrame?.(f, img);
      const src: RenderedFrame['src'] = {};
      const bytes: RenderedFrame['bytes'] = {};
      const decoded = new Map<SpinFormat, RawImage>();
      const stem = String(f.index + 1).padStart(3, '0');
      let smallest = img;
      for (const w of [...widths].reverse()) {
        src[String(w)] = {};
        bytes[String(w)] = {};
        // Resize once per rung, then encode every format from it.
        const rung = await resizeRaw(img, w);
        smallest = rung;
        for (const fmt of o.formats) {
          const data = await encodeImage(rung, w, fmt, encodeOpts).catch((e: unknown) => {
            throw new XoayError('encode', 'BAD_OPTION', `cannot encode ${fmt} at ${rung.width}×${rung.height} (${(e as Error).message})`, f.file, { cause: e });
          });
          const rel = `row-${f.row + 1}/${w}/${stem}.${EXTENSION[fmt]}`;
          await out.write(rel, data);
          src[String(w)]![fmt] = rel;
          bytes[String(w)]![fmt] = data.length;
          if (w === qaWidth) decoded.set(fmt, await decodeForQa(data));
        }
      }
      // "After" is measured on the encoded files: the analysis on one format, purity on each.
      const after = analyseOutput(decoded.get(qaFormat)!, f.file, o.analysisSize);
      const purityByFormat: Record<string, number> = {};
      for (const [fmt, dec] of decoded) purityByFormat[fmt] = purity(dec, after.analysis, after.region);
      const thumb = await resizeRaw(smallest, Math.min(ENCODE_DEFAULTS.spriteWidth, smallest.width));
      emit({ type: 'progress', stage: 'render', done: ++done, total });
      const outline = frameOutline(f, a, rects[f.row]!, shift, outW, outH, segments[i] ?? null);
      return { thumb, bytes, after: after.analysis, purityByFormat, src, outline };
    });
    lap('render');

    // Sprites per row; the poster is the first frame's smallest rendition (already written, cached by browsers).
    const rowFrames = (r: number) => rendered.filter((_, i) => frames[i]!.row === r);
    const sprites: { layout: SpriteLayout; jpegBytes: number }[] = [];
    for (let r = 0; r < set.rows.length; r++) {
      const thumbs = rowFrames(r).map((x) => x.thumb);
      const sprite = await encodeSprite(thumbs);
      await out.write(`row-${r + 1}/sprite.jpg`, sprite.jpeg);
      await out.write(`row-${r + 1}/sprite.webp`, sprite.webp);
      await out.write(`row-${r + 1}/sprite.avif`, sprite.avif);
      sprites.push({ layout: sprite.layout, jpegBytes: sprite.jpeg.length });
    }
    const first = rendered[0]!;
    const posterSources = first.src[String(widths[0])]!;
    const poster = posterSources.jpeg ?? posterSources.webp ?? posterSources.avif!;
    const posterBytes = first.bytes[String(widths[0])]![posterSources.jpeg ? 'jpeg' : posterSources.webp ? 'webp' : 'avif']!;
    const placeholderText = await placeholder(first.thumb);
    lap('sprites');

    // 8. Manifest and QA, written last.
    const manifest: SpinManifest = checkManifest({
      $schema: 'https://xoay.dev/schema/spin.schema.json',
      version: 1,
      generator: `xoay ${VERSION}`,
      width: outW,
      height: outH,
      widths,
      formats: o.formats,
      background: o.background,
      direction: 'ccw', // --reverse reorders clockwise shoots, so frames always advance counter-clockwise
      rows: set.rows.map((r, ri) => ({
        name: r.name,
        elevation: rowSettings[ri]!.elevation,
        frames: rowFrames(ri).map((x) => ({ src: x.src })),
        sprite: {
          src: `row-${ri + 1}/sprite.jpg`,
          sources: { avif: `row-${ri + 1}/sprite.avif`, webp: `row-${ri + 1}/sprite.webp`, jpeg: `row-${ri + 1}/sprite.jpg` },
          ...sprites[ri]!.layout,
        },
      })),
      poster,
      posterSources: { jpeg: posterSources.jpeg, webp: posterSources.webp },
      placeholder: placeholderText,
      placeholderType: 'thumbhash',
    });

    const worstPurity = (x: RenderedFrame) => worstMeasured(Object.values(x.purityByFormat), true);
    const qaRows: QaRow[] = byRow.map((row, ri) => {
      const afterRow = rowFrames(ri).map((x) => x.after);
      const b = orbitPercent(row, rects[ri]!.width * scale),
        a = orbitPercent(afterRow);
      const fb = flicker(row),
        fa = flicker(afterRow);
      return {
        name: set.rows[ri]!.name,
        frames: row.length,
        backdrop: row[0]!.backdrop.kind,
        crop: { ...rects[ri]! },
        orbit: { before: b.orbit, after: a.orbit },
        jitter: { before: b.jitter, after: a.jitter },
        flicker: { before: fb.mean, after: fa.mean },
        flickerMax: { before: fb.max, after: fa.max },
        purity: { before: meanMeasured(inputPurity.filter((_, i) => frames[i]!.row === ri)), after: meanMeasured(rowFrames(ri).map(worstPurity)) },
      };
    });
    const worst = (k: 'orbit' | 'jitter' | 'flicker') => ({
      before: worstMeasured(qaRows.map((r) => r[k].before)),
      after: worstMeasured(qaRows.map((r) => r[k].after)),
    });
    const bytes: Record<string, Record<string, number>> = {};
    for (const x of rendered) {
      for (const [w, byFmt] of Object.entries(x.bytes)) {
        bytes[w] ??= {};
        for (const [fmt, n] of Object.entries(byFmt)) bytes[w]![fmt] = (bytes[w]![fmt] ?? 0) + n;
      }
    }
    const purityByFormat: Record<string, number> = {};
    for (const fmt of o.formats) purityByFormat[fmt] = meanMeasured(rendered.map((x) => x.purityByFormat[fmt]!));
    lap('qa');
    const qa: QaReport = {
      version: 1,
      input: set.root,
      frames: total,
      sourceWidth: set.width,
      sourceHeight: set.height,
      units: {
        orbit: '% of the output frame width: amplitude of the fitted first harmonic of the object centre over the turn',
        jitter: '% of the output frame width: std of the frame-to-frame change of the centre after removing the orbit',
        flicker: '% mean frame-to-frame change of the object luminance (flickerMax: the largest)',
        purity: '% of backdrop pixels that are exactly white (#FFFFFF), worst format',
      },
      measuredOn: `the encoded ${qaWidth} px renditions (orbit, jitter, flicker on ${qaFormat.toUpperCase()}; purity on every format)`,
      rows: qaRows,
      orbit: worst('orbit'),
      jitter: worst('jitter'),
      flicker: worst('flicker'),
      purity: {
        before: worstMeasured(
          qaRows.map((r) => r.purity.before),
          true,
        ),
        after: worstMeasured(
          qaRows.map((r) => r.purity.after),
          true,
        ),
      },
      purityByFormat,
      bytes,
      firstInteractionBytes: posterBytes + sprites[0]!.jpegBytes,
      warnings: set.warnings,
      timings,
    };
    if (o.debugMasks) await writeDebugMasks(out, set, frames, analyses, segments, plates);
    await out.write('spin.json', JSON.stringify(manifest, null, 2) + '\n');
    await out.write('qa.json', JSON.stringify(qa, null, 2) + '\n');
    await out.write(
      'qa.html',
      qaPage(manifest, qa, {
        width: OUTLINE_WIDTH,
        height: Math.max(1, Math.round((OUTLINE_WIDTH * outH) / outW)),
        paths: set.rows.map((_, r) => rowFrames(r).map((x) => x.outline)),
      }),
    );
    await out.commit();
    return { output: out.target, manifest, qa };
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** Decode, crop (with the re-centring shift), resize to the top width, then matte and level in one pass. */
async function renderFrame(
  f: FrameRef,
  a: FrameAnalysis,
  rect: CropRect,
  shift: { dx: number; dy: number },
  lv: Levels,
  outW: number,
  outH: number,
  o: SpinOptions,
  decode: { limitInputPixels: number; flatten: { r: number; g: number; b: number } },
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
    const r = applySegmentBackground(new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), geometry, segment, lv, {
      mode: o.background,
      shadowRemove: o.shadowRemove,
    });
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
      threshold: objectThreshold(a.backdrop, { ...ANALYSE_DEFAULTS, shadowRemove: o.shadowRemove }),
      levels: lv,
    },
    { mode: o.background, shadowRemove: o.shadowRemove },
  );
  return { data, width: outW, height: outH, channels };
}

/** Decode an encoded rendition back to raw pixels (RGB, or RGBA when it has alpha). */
async function decodeForQa(data: Buffer): Promise<RawImage> {
  const { data: px, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(px.buffer, px.byteOffset, px.length), width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}

/** Analyse an encoded output frame the same way as the input (its backdrop is found from its own borders). */
function analyseOutput(img: RawImage, file: string, size: number): { analysis: FrameAnalysis; region: Uint8Array } {
  // Reduce to the analysis size by nearest-neighbour sampling (the QA rendition is usually ≤ the
  // analysis size already, so this is most often a plain copy with alpha flattened onto white).
  const s = Math.min(1, size / Math.max(img.width, img.height));
  const w = Math.max(1, Math.round(img.width * s)),
    h = Math.max(1, Math.round(img.height * s));
  const small = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const ys = Math.min(img.height - 1, Math.floor((y + 0.5) / s));
    for (let x = 0; x < w; x++) {
      const xs = Math.min(img.width - 1, Math.floor((x + 0.5) / s));
      const p = (ys * img.width + xs) * img.channels,
        q = (y * w + x) * 3;
      const alpha = img.channels === 4 ? img.data[p + 3]! / 255 : 1;
      for (let c = 0; c < 3; c++) small[q + c] = Math.round(img.data[p + c]! * alpha + 255 * (1 - alpha));
    }
  }
  const analysis = analyseFrame({ data: small, width: w, height: h, channels: 3 }, s, `${file} (output)`);
  return { analysis, region: backdropRegion(analysis) };
}

/** Width of the box the QA page's mask outlines are drawn in. */
const OUTLINE_WIDTH = 256;

/** The outline of frame f's mask (the segmentation's alpha ≥ ½, else the analysis mask) in output coordinates. */
function frameOutline(
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
