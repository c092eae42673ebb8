/**
 * `reconstruct`: a turntable shoot → a 3D model. cameras (a Middlebury calibration file, or the
 * turntable model with the axis found from the silhouettes, every row of a multi-row shoot, settings from
 * the command line, else the shoot's shoot.json) → silhouettes → carve → surface →
 * texture (an atlas baked from the views that see each texel best, texture.ts) → iou check → a glTF Document in the model frame (centred, Y up) → the model
 * pipeline (meshopt + KTX2 by default) → `<out>/model.glb`, `model.json`, `reconstruct.json`.
 *
 * Output goes to a temporary sibling of `<out>` renamed into place when complete; the shoot is
 * never modified.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XoayError, isXoayError } from '../core/errors.js';
import type { OutputFolder } from '../core/fsout.js';
import { configureSharp, DEFAULT_LIMIT_INPUT_PIXELS, sharp } from '../core/image.js';
import { assertBoolean, assertInteger, assertNumber, assertOneOf, invalid, withDefaults } from '../core/options.js';
import { statInput } from '../core/input.js';
import { startRun, withOutput, type Run, type RunEvent } from '../core/run.js';
import { VERSION } from '../core/version.js';
import { createIO } from '../model/codecs.js';
import { model, type ModelReport } from '../model/model.js';
import { TEXTURE_MODES, type TextureMode } from '../model/textures.js';
import { loadAnalysisImage } from '../spin/analyse.js';
import { frameNumber, numberingGaps } from '../core/frames.js';
import { ingest } from '../spin/ingest.js';
import { readShoot, type ShootInfo } from '../spin/shoot.js';
import type { FrameRef } from '../core/frames.js';
import { checkCleanPlate, checkMasks } from '../segment/studio.js';
import { type Camera, readCalibration, ringUp, scaleCamera, shootCameras, shootFocal, turntableRows, type TurntableRow } from './cameras.js';
import { carve, carveViews, type VoxelGrid } from './carve.js';
import { buildDocument, type Frame, modelFrame, toModel, worldFromModel } from './glb.js';
import { viewIoU } from './iou.js';
import { type Silhouette, silhouettes, viewSize } from './silhouettes.js';
import { type Mesh, surface, type SurfaceResult } from './surface.js';
import { type TexturedMesh, texture } from './texture.js';

const STAGE = 'reconstruct';

export interface ReconstructOptions {
  /** A Middlebury `*_par.txt` calibration file (its images are looked up in the shoot folder); null: the turntable model. */
  cameras: string | null;
  /** Turntable model: the turntable turns clockwise seen from above. */
  reverse: boolean;
  /**
   * Turntable model: camera elevation above the turntable plane, degrees, one per row in row order (a
   * single row: one number). null: from the shoot's shoot.json, else 15° (a single row only).
   */
  elevation: number | number[] | null;
  /** Turntable model: horizontal field of view, degrees (0: from shoot.json, else the 35 mm focal length from EXIF). */
  fov: number;
  /**
   * Turntable model: the camera's distance from the point on the rotation axis it looks at, metres: one for
   * every row (a camera on an arc) or one per row. null: from shoot.json, else unknown (the model is then in
   * units of that distance, and every row is assumed at the same distance).
   */
  distance: number | number[] | null;
  /** Voxels along the longest side of the carved box. */
  resolution: number;
  /** Views a voxel may fall outside of and still be kept. */
  tolerance: number;
  /** Triangle target of the surface. */
  triangles: number;
  /** Longest side of the silhouettes' (and colour sampling's) working resolution. */
  size: number;
  /** Texture atlas size (when the texture stage is available). */
  textureSize: number;
  /** Texture format of the final GLB (the model pipeline's). */
  textures: TextureMode;
  /** Replace an existing output folder. */
  force: boolean;
  /** Decompression-bomb guard, in pixels. */
  limitInputPixels: number;
  /** Also write preview.png: input views above, a turntable render of model.glb below (needs Chromium and the built render page). */
  preview: boolean;
  /**
   * The lowest silhouette IoU (re-projected carved shape against a photo's mask) in any view for the result to be
   * written. Below it the cameras do not fit the photos (uneven steps, a wrong focal length or elevation, a
   * calibration of other photos) or the masks are poor, and the shape is wrong: refused with the reason. 0 keeps any.
   */
  minIoU: number;
  /** How silhouettes are cut: `border` (a backdrop model fitted to each view's border), `plate` (a clean plate from each row's turn: pipeline/segment), or `auto` (border, then plate when the border model finds no object, cuts most views at the frame edge, or its shape misses the photos). */
  segment: 'auto' | 'border' | 'plate';
  /** A shot of the empty turntable (same camera, framing and size as the views): the plate where the object covers a pixel in every view. Implies `segment: 'plate'`. */
  cleanPlate: string | null;
  /** A folder of masks or backlit-silhouette frames, one per view in view order: the silhouettes. */
  masks: string | null;
}

export const RECONSTRUCT_DEFAULTS: ReconstructOptions = {
  cameras: null,
  reverse: false,
  elevation: null,
  fov: 0,
  distance: null,
  resolution: 256,
  tolerance: 0,
  triangles: 50_000,
  size: 1024,
  textureSize: 1024,
  textures: 'ktx2',
  force: false,
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  preview: false,
  minIoU: 0.9,
  segment: 'auto',
  cleanPlate: null,
  masks: null,
};

/** The fewest views carving is tried with. */
export const MIN_VIEWS = 8;
/** The fewest views in one row of a multi-row shoot (the axis fit needs a turn). */
export const MIN_ROW_VIEWS = 4;

/** The events a reconstruction sends (stages and warnings): a run's. */
export type ReconstructEvent = RunEvent;

export interface ReconstructReport {
  version: 1;
  generator: string;
  input: string;
  output: string;
  /** How the silhouettes were cut (pipeline/segment: `plate`; the border model: `border`; a studio's `--masks`: `masks`). */
  segment: 'border' | 'plate' | 'masks';
  cameras: {
    source: 'calibration' | 'turntable';
    /** The calibration file. */
    file: string | null;
    views: number;
    /** Turntable model, a single row: its elevation and the axis' image column (also in rows). */
    elevation?: number;
    fov?: number;
    axisX?: number;
    /** Turntable model: the shoot.json it read (null: none). */
    shoot?: string | null;
    /** Turntable model: every row, in order (views in the report's order). */
    rows?: TurntableRow[];
  };
  /** 'm' when the scale is known (a calibration file, or --distance), else 'camera-distance'. */
  units: 'm' | 'camera-distance';
  /** Every view (the row's folder in the name of a multi-row shoot's views, e.g. row-2/frame-01.png): its silhouette IoU, whether its mask reaches the frame edge, and its camera P = K[R|t] (3×4, row-major, source pixels, the world frame of `worldFromModel`) to re-project the model with. */
  views: { name: string; iou: number; touchesEdge: boolean; P: number[] }[];
  iou: { min: number; mean: number };
  voxels: { grid: [number, number, number]; kept: number; size: number };
  triangles: { extracted: number; final: number };
  colour: 'texture';
  /** Maps the GLB's scene coordinates to the cameras' world frame: 16 numbers, column-major like glTF. */
  worldFromModel: number[];
  warnings: string[];
  /** Seconds per stage. */
  timings: Record<string, number>;
  options: ReconstructOptions;
}

export interface ReconstructResult {
  output: string;
  report: ReconstructReport;
  model: ModelReport;
}

/** A number or a list of numbers within [min, max], or null. */
function assertNumbers(option: string, v: unknown, min: number, max: number): void {
  if (v === null) return;
  if (Array.isArray(v)) {
    if (v.length < 1 || v.length > 64) throw new XoayError(STAGE, 'BAD_OPTION', `expected 1 to 64 numbers for option ${option} but received ${v.length}`);
    v.forEach((x, i) => assertNumber(STAGE, `${option}[${i}]`, x, min, max));
  } else assertNumber(STAGE, option, v, min, max);
}

function validate(o: ReconstructOptions): void {
  if (o.cameras !== null && (typeof o.cameras !== 'string' || !o.cameras))
    throw new XoayError(STAGE, 'BAD_OPTION', 'cameras must be a calibration file path or null');
  assertBoolean(STAGE, 'reverse', o.reverse);
  assertNumbers('elevation', o.elevation, -89, 89);
  assertNumber(STAGE, 'fov', o.fov, 0, 179);
  assertNumbers('distance', o.distance, 1e-6, 1e6);
  assertInteger(STAGE, 'resolution', o.resolution, 16, 1024);
  assertInteger(STAGE, 'tolerance', o.tolerance, 0, 64);
  assertInteger(STAGE, 'triangles', o.triangles, 100, 10_000_000);
  assertInteger(STAGE, 'size', o.size, 64, 8192);
  assertInteger(STAGE, 'textureSize', o.textureSize, 64, 8192);
  assertOneOf(STAGE, 'textures', o.textures, TEXTURE_MODES);
  assertBoolean(STAGE, 'force', o.force);
  assertInteger(STAGE, 'limitInputPixels', o.limitInputPixels, 1, Number.MAX_SAFE_INTEGER);
  assertBoolean(STAGE, 'preview', o.preview);
  assertNumber(STAGE, 'minIoU', o.minIoU, 0, 1);
  assertOneOf(STAGE, 'segment', o.segment, ['auto', 'border', 'plate'] as const);
  for (const key of ['cleanPlate', 'masks'] as const) {
    if (o[key] !== null && (typeof o[key] !== 'string' || !o[key])) throw invalid(STAGE, key, 'a path or null', o[key]);
  }
}

/**
 * What a studio adds, checked before the output is opened: a clean plate of the views' size, and one mask
 * per view (none missing or extra, each of its view's size, each an image).
 */
async function studioInputs(found: FoundViews, o: ReconstructOptions): Promise<{ cleanPlate: string | null; masks: string[] | null }> {
  if (!o.cleanPlate && !o.masks) return { cleanPlate: null, masks: null };
  const refs: FrameRef[] = await Promise.all(
    found.files.map(async (file, index) => ({ file, row: 0, index, ...(await viewSize(file, o.limitInputPixels)), hash: '' })),
  );
  const cleanPlate = o.cleanPlate ? path.resolve(o.cleanPlate) : null;
  if (cleanPlate) await checkCleanPlate(cleanPlate, refs[0]!.width, refs[0]!.height, o.limitInputPixels);
  const masks = o.masks ? await checkMasks(path.resolve(o.masks), refs, o.limitInputPixels) : null;
  return { cleanPlate, masks };
}

/** preview.png: 8 input views (evenly picked) above, 8 frames of a turntable render of the GLB below, 256 px cells. */
async function writePreview(glb: Uint8Array, files: readonly string[], scratch: string, file: string, limitInputPixels: number): Promise<void> {
  const { renderTurntable } = await import('../render/render.js');
  const CELL = 256,
    N = 8;
  const rendered = await renderTurntable(glb, path.join(scratch, 'preview'), { frames: N, width: CELL, height: CELL });
  const picks = Array.from({ length: N }, (_, i) => files[Math.floor((i * files.length) / N)]!);
  const inputs = await Promise.all(
    picks.map((f) =>
      sharp(f, { limitInputPixels }).rotate().resize(CELL, CELL, { fit: 'contain', background: '#ffffff' }).flatten({ background: '#ffffff' }).png().toBuffer(),
    ),
  );
  await sharp({ create: { width: N * CELL, height: 2 * CELL, channels: 3, background: '#ffffff' } })
    .composite([...inputs.map((input, i) => ({ input, left: i * CELL, top: 0 })), ...rendered.frames.map((input, i) => ({ input, left: i * CELL, top: CELL }))])
    .png()
    .toFile(file);
}

/** A view's name in messages and the report: its path from the shoot folder, with / (row-2/frame-01.png). */
function viewName(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** What the cameras stage found: the views (in order) and their cameras or the turntable model's rows to make them from. */
interface FoundViews {
  files: string[];
  /** A calibration file's cameras (at source resolution); null: the turntable model. */
  cameras: Camera[] | null;
  /** Turntable model: the rows, in order (their views are consecutive in `files`). */
  rows: TurntableRow[];
  /** Turntable model: the shoot's shoot.json, when there is one. */
  shoot: ShootInfo | null;
  /** Turntable model: the field of view from shoot.json (0: none). */
  fov: number;
  width: number;
  height: number;
}

/**
 * The views and their cameras (at source resolution), from a calibration file or the shoot's frames (every
 * row); every check that can fail before a pixel is read happens here, before the output is opened.
 */
async function findViews(shoot: string, o: ReconstructOptions): Promise<FoundViews> {
  if (o.cameras) {
    const cameras = await readCalibration(path.resolve(o.cameras), shoot);
    if (cameras.length < MIN_VIEWS)
      throw new XoayError('cameras', 'TOO_FEW_FRAMES', `${cameras.length} view(s); reconstruction needs at least ${MIN_VIEWS}`, path.resolve(o.cameras));
    return { files: cameras.map((c) => path.join(shoot, c.name)), cameras, rows: [], shoot: null, fov: 0, width: 0, height: 0 };
  }
  const info = await readShoot(shoot);
  // Every row is one turn in equal steps; ingest refuses rows of different lengths.
  const set = await ingest(shoot, { minFrames: 1, reverse: o.reverse });
  const total = set.rows.reduce((n, r) => n + r.frames.length, 0);
  if (total < MIN_VIEWS) throw new XoayError('ingest', 'TOO_FEW_FRAMES', `${total} view(s); reconstruction needs at least ${MIN_VIEWS}`, shoot);
  const perRow = set.rows[0]!.frames.length;
  if (set.rows.length > 1 && perRow < MIN_ROW_VIEWS) {
    throw new XoayError(
      'ingest',
      'TOO_FEW_FRAMES',
      `${set.rows.length} rows of ${perRow} view(s); each row of the turntable model needs at least ${MIN_ROW_VIEWS} (one turn in equal steps)`,
      shoot,
    );
  }
  for (const row of set.rows) {
    const frames = row.frames;
    // Without a calibration the views must be N equal steps: a gap in the frame numbers is a missing step.
    const nums = frames.map((f) => frameNumber(path.basename(f.file)));
    if (nums.every((n): n is number => n !== null)) {
      const sorted = [...nums].sort((a, b) => a - b);
      const gaps = numberingGaps(sorted);
      if (gaps.length) {
        const at = sorted.findIndex((n, i) => i > 0 && n !== sorted[i - 1]! + 1);
        const file = frames.find((f) => frameNumber(path.basename(f.file)) === sorted[at])!.file;
        throw new XoayError(
          'cameras',
          'UNSUPPORTED_INPUT',
          `the views are not evenly spaced: frame number(s) ${gaps.slice(0, 8).join(', ')} missing before ${path.basename(file)}; the turntable model needs N equal steps over one turn (give a calibration file with --cameras)`,
          file,
        );
      }
    }
  }
  const rows = turntableRows(
    set.rows.map((r) => ({ name: r.name, views: r.frames.length })),
    o,
    info,
    shoot,
  );
  return {
    files: set.rows.flatMap((r) => r.frames.map((f) => f.file)),
    cameras: null,
    rows,
    shoot: info,
    fov: info?.shoot.fov ?? 0,
    width: set.width,
    height: set.height,
  };
}

/** The shoot folder, resolved; an error when it is missing or not a folder. */
async function shootFolder(shoot: string): Promise<string> {
  const root = path.resolve(shoot);
  const why = 'the shoot folder does not exist or is not a folder';
  await statInput(STAGE, root, { kind: 'folder', missing: why, wrongKind: why });
  return root;
}

/** One way of cutting the silhouettes carried through to a checked shape. */
interface Shape {
  segment: 'border' | 'plate';
  sil: { views: Silhouette[]; warnings: string[] };
  views: Silhouette[];
  /** At source resolution. */
  cameras: Camera[];
  camInfo: ReconstructReport['cameras'];
  /** The cameras at the silhouettes' working resolution. */
  scaled: Camera[];
  grid: VoxelGrid;
  surf: SurfaceResult;
  mesh: Mesh;
  /** Per view, the silhouette IoU of the mesh. */
  ious: number[];
}

/** The views' cameras at source resolution: the calibration file's, else the turntable model's (every row). */
async function viewCameras(
  found: FoundViews,
  views: readonly Silhouette[],
  root: string,
  o: ReconstructOptions,
): Promise<{ cameras: Camera[]; camInfo: ReconstructReport['cameras'] }> {
  if (found.cameras) return { cameras: found.cameras, camInfo: { source: 'calibration', file: path.resolve(o.cameras!), views: found.cameras.length } };
  // The focal length: the option, else shoot.json, else EXIF.
  const { fov, focal35 } = await shootFocal(o.fov || found.fov, found.files[0]!, o.limitInputPixels);
  const names = found.files.map((f) => viewName(root, f));
  const cameras = shootCameras(found.rows, views, names, { width: found.width, height: found.height, fov, focal35 });
  const single = found.rows.length === 1 ? { elevation: found.rows[0]!.elevation, axisX: found.rows[0]!.axisX } : {};
  const camInfo: ReconstructReport['cameras'] = {
    source: 'turntable',
    file: null,
    views: cameras.length,
    fov: fov || (2 * Math.atan(found.width / 2 / cameras[0]!.K[0]!) * 180) / Math.PI,
    ...single,
    shoot: found.shoot?.file ?? null,
    rows: found.rows,
  };
  return { cameras, camInfo };
}

/** What the steps after the cameras stage work from. */
interface Job {
  /** The shoot folder. */
  root: string;
  o: ReconstructOptions;
  found: FoundViews;
  /** A studio's clean plate and masks (`studioInputs`). */
  studio: { cleanPlate: string | null; masks: string[] | null };
  run: Run<ReconstructEvent>;
}

/** Silhouettes cut one way (`segment`), then cameras, carve, surface and the IoU of the shape in every view. */
async function shapeFromSegment(segment: 'border' | 'plate', job: Job): Promise<Shape> {
  const { found, studio, root, o, run } = job;
  run.stage('silhouettes');
  const sil = await silhouettes(found.files, {
    size: o.size,
    limitInputPixels: o.limitInputPixels,
    segment,
    rows: found.cameras ? undefined : found.rows.map((r) => r.views),
    ...studio,
  });
  const views: Silhouette[] = sil.views;
  run.lap('silhouettes');

  const { cameras, camInfo } = await viewCameras(found, views, root, o);
  const scaled = cameras.map((c, i) => scaleCamera(c, views[i]!.scaleX, views[i]!.scaleY));

  run.stage('carve');
  const cv = carveViews(scaled, views);
  const { grid } = await carve(scaled, cv, { resolution: o.resolution, tolerance: o.tolerance });
  run.lap('carve');

  run.stage('surface');
  const surf = await surface(grid, { triangles: o.triangles });
  const mesh = surf.mesh;
  run.lap('surface');

  run.stage('iou');
  const ious = cv.map((v) => viewIoU(mesh, v.P, v.mask, v.width, v.height));
  run.lap('iou');
  return { segment, sil, views, cameras, camInfo, scaled, grid, surf, mesh, ious };
}

/**
 * Silhouettes to checked shape. With --segment auto, the border model first, and the plate from the turn when
 * the border model finds no object, cuts most views at the frame edge, or its shape misses the photos.
 */
async function bestShape(job: Job): Promise<Shape> {
  const { studio, o } = job;
  const attempt = (segment: 'border' | 'plate') => shapeFromSegment(segment, job);
  const worstOf = (r: { ious: number[] }) => Math.min(...r.ious);
  // A studio's clean plate or masks are the plate's inputs: nothing is tried before them.
  if (studio.cleanPlate || studio.masks) return attempt('plate');
  if (o.segment !== 'auto') return attempt(o.segment);
  let border: Shape | undefined;
  let borderError: unknown;
  try {
    border = await attempt('border');
  } catch (e) {
    if (!(isXoayError(e) && e.code === 'OBJECT_NOT_FOUND')) throw e;
    borderError = e;
  }
  const cut = border ? border.views.filter((v) => v.touchesEdge).length : 0;
  if (border && worstOf(border) >= o.minIoU && cut <= border.views.length / 2) return border;
  // The plate is the second opinion: when it cannot be made to work either, the border model's result (and
  // its reason for being refused) stands.
  let plate: Shape | undefined;
  try {
    plate = await attempt('plate');
  } catch (e) {
    // When both fail, a view without the object is named as the border model found it; but a plate that broke (not
    // a XoayError: a bug, a thread that died) is said as it is, not hidden behind the border model's reason.
    if (!border) throw isXoayError(e) ? (borderError ?? e) : e;
  }
  // A border model that cuts most views at the frame edge has carved the floor (a glossy floor, a sweep
  // of the object's colour): its shape can explain its own masks well and still be wrong, so the plate
  // wins whenever it does not cut most views itself.
  const cutOf = (r: { views: Silhouette[] }) => r.views.filter((v) => v.touchesEdge).length;
  const plateWins = plate && (!border || worstOf(plate) >= worstOf(border) || (cut > border.views.length / 2 && cutOf(plate) <= plate.views.length / 2));
  return plateWins ? plate! : border!;
}

/** Refuse a shape whose silhouette misses the photos in some view (IoU below `minIoU`), with the likely reason. */
function checkFit(shape: Shape, found: FoundViews, root: string, o: ReconstructOptions): void {
  const { ious, views } = shape;
  const worst = ious.indexOf(Math.min(...ious));
  if (ious[worst]! >= o.minIoU) return;
  const mean = ious.reduce((a, b) => a + b, 0) / ious.length;
  const why = found.cameras
    ? 'the calibration file does not fit these photos (is it the one made for them, in this order?)'
    : 'the views are not one turn in equal steps (a step missed or repeated), or the focal length (--fov, shoot.json, EXIF) or the elevation (--elevation, shoot.json) is wrong';
  throw new XoayError(
    STAGE,
    'RECONSTRUCT_FAILED',
    `the carved shape does not explain the photos: its silhouette covers ${ious[worst]!.toFixed(2)} of the object's in ${viewName(root, views[worst]!.file)} (IoU; mean ${mean.toFixed(2)}, at least ${o.minIoU} needed). Either ${why}, or the object does not stand out from the backdrop. --min-iou 0 writes the result anyway`,
    root,
  );
}

/** Texture the shape from the photos at the working resolution: the mesh with its texture atlas (texture.ts). */
async function textureShape(shape: Shape, files: readonly string[], o: ReconstructOptions): Promise<TexturedMesh> {
  const { views, scaled } = shape;
  const decode = { limitInputPixels: o.limitInputPixels, flatten: { r: 255, g: 255, b: 255 } };
  const images = [];
  for (let i = 0; i < files.length; i++) {
    const v = views[i]!;
    images.push(
      await loadAnalysisImage(
        { file: v.file, row: 0, index: i, width: Math.round(v.width / v.scaleX), height: Math.round(v.height / v.scaleY), hash: '' },
        Math.max(v.width, v.height),
        decode,
      ),
    );
  }
  return texture(
    shape.mesh,
    images.map((image, i) => ({ image, camera: scaled[i]!, mask: views[i]!.mask })),
    { size: o.textureSize },
  );
}

/**
 * A scratch folder for the intermediate GLB, the model stage's output and the preview's frames: inside the
 * output's temporary folder, so that the model's files are renamed on one filesystem (not from os.tmpdir,
 * which may be another one: EXDEV) and the folder goes when the output is aborted. Removed before the commit.
 */
async function scratchFolder(out: OutputFolder): Promise<string> {
  const scratch = path.join(out.dir, '.scratch');
  await mkdir(scratch);
  return scratch;
}

/** The textured mesh in the model frame as a GLB in `scratch`: its path. */
async function writeGlb(tex: TexturedMesh, frame: Frame, scratch: string): Promise<string> {
  const positions = new Float32Array(tex.positions.length);
  for (let i = 0; i < positions.length; i += 3) positions.set(toModel(frame, tex.positions[i]!, tex.positions[i + 1]!, tex.positions[i + 2]!), i);
  const doc = await buildDocument({ positions, indices: tex.indices, uvs: tex.uvs, image: tex.image });
  const io = await createIO();
  const intermediate = path.join(scratch, 'reconstruction.glb');
  await writeFile(intermediate, await io.writeBinary(doc));
  return intermediate;
}

/** The model pipeline on the intermediate GLB: model.glb and model.json in the output folder; model()'s report. */
async function writeModel(intermediate: string, scratch: string, out: OutputFolder, o: ReconstructOptions, signal?: AbortSignal): Promise<ModelReport> {
  const modelOut = path.join(scratch, 'model');
  // meshopt, not 'auto': a scan's one mesh and one atlas gain little from Draco, and the meshopt decoder is already in
  // the viewer's three.js bundle (no second fetch before the reconstruction shows).
  const m = await model(intermediate, modelOut, { textures: o.textures, geometry: 'meshopt', triangles: o.triangles, budget: 'none' }, { signal });
  await rename(path.join(modelOut, 'model.glb'), path.join(out.dir, 'model.glb'));
  const modelReport = { ...m.report, input: 'reconstruction (in memory)', output: path.join(out.target, 'model.glb') };
  await out.write('model.json', JSON.stringify(modelReport, null, 2) + '\n');
  return modelReport;
}

/** The contents of reconstruct.json: the job, the shape it kept, its model frame and the model stage's report. */
function reconstructReport(job: Job, shape: Shape, frame: Frame, modelReport: ModelReport, out: OutputFolder): ReconstructReport {
  const { found, studio, root, run, o } = job;
  const { views, cameras, ious, grid, surf } = shape;
  const metres = Boolean(found.cameras) || found.rows.every((r) => r.distance !== null);
  return {
    version: 1,
    generator: `xoay ${VERSION}`,
    input: root,
    output: out.target,
    segment: studio.masks ? 'masks' : shape.segment,
    cameras: shape.camInfo,
    units: metres ? 'm' : 'camera-distance',
    views: views.map((v, i) => ({
      name: viewName(root, v.file),
      iou: Math.round(ious[i]! * 1e4) / 1e4,
      touchesEdge: v.touchesEdge,
      P: cameras[i]!.P.map((x) => Number(x.toPrecision(10))),
    })),
    iou: { min: Math.round(Math.min(...ious) * 1e4) / 1e4, mean: Math.round((ious.reduce((s, x) => s + x, 0) / ious.length) * 1e4) / 1e4 },
    voxels: { grid: [grid.nx, grid.ny, grid.nz], kept: grid.count, size: grid.voxel },
    triangles: { extracted: surf.extracted, final: modelReport.after.triangles },
    colour: 'texture',
    worldFromModel: worldFromModel(frame),
    warnings: run.warnings,
    timings: run.timings,
    options: o,
  };
}

/** Run the reconstruction of `shoot` (a folder of frames) into the folder `output`. */
export async function reconstruct(
  shoot: string,
  output: string,
  opts?: Partial<ReconstructOptions>,
  ctx: { onEvent?: (e: ReconstructEvent) => void; signal?: AbortSignal } = {},
): Promise<ReconstructResult> {
  const o = withDefaults(RECONSTRUCT_DEFAULTS, opts);
  validate(o);
  configureSharp();
  // The signal is checked at every stage (and the model step's): the temporary output goes with the error.
  const run = startRun<ReconstructEvent>(ctx.onEvent, ctx.signal);
  const root = await shootFolder(shoot);

  run.stage('cameras');
  const found = await findViews(root, o);
  const studio = await studioInputs(found, o);
  run.lap('cameras');
  const inputs = [root, ...[o.cameras, o.cleanPlate, o.masks].filter((p): p is string => !!p).map((p) => path.resolve(p))];
  return withOutput(output, { stage: STAGE, inputs, force: o.force }, async (out) => {
    const job: Job = { root, o, found, studio, run };
    const shape = await bestShape(job);
    for (const w of shape.sil.warnings) run.warn(w);
    checkFit(shape, found, root, o);
    // The model frame: up = the turntable axis (+Y) or the calibration ring's normal; centred on the box.
    const frame = modelFrame(shape.mesh.positions, found.cameras ? (mid) => ringUp(shape.cameras, mid) : null);

    run.stage('texture');
    const tex = await textureShape(shape, found.files, o);
    run.lap('texture');

    run.stage('glb');
    const scratch = await scratchFolder(out);
    const intermediate = await writeGlb(tex, frame, scratch);
    run.lap('glb');

    run.stage('model');
    const modelReport = await writeModel(intermediate, scratch, out, o, ctx.signal);
    run.lap('model');
    if (o.preview) {
      run.stage('preview');
      await writePreview(
        new Uint8Array(await readFile(path.join(out.dir, 'model.glb'))),
        found.files,
        scratch,
        await out.file('preview.png'),
        o.limitInputPixels,
      );
      run.lap('preview');
    }
    await rm(scratch, { recursive: true, force: true });

    const report = reconstructReport(job, shape, frame, modelReport, out);
    await out.write('reconstruct.json', JSON.stringify(report, null, 2) + '\n');
    return { output: out.target, report, model: modelReport };
  });
}
