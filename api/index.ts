/**
 * The JavaScript API of Xoay: `import { spin, model, reconstruct, build } from 'xoay'`.
 *
 * Each function is the command of the same name: the same inputs (paths, resolved against the working folder), the
 * options of the command's flags in camelCase with the same values and defaults (`--limit-input-pixels 5e7` is
 * `limitInputPixels: 5e7`, `--shadow remove` is `shadow: 'remove'`, `--margin 8` is `margin: 8`), and the report the
 * command prints with `--json` or writes beside its output. Like sharp, options are checked before any work starts: an
 * unknown option or a wrong type throws a XoayError with code BAD_OPTION that names the option, what was expected and
 * what was given. Every failure is a XoayError with a stable `code` (XoayErrorCode), the stage and the file.
 *
 * Two extra options on every call: `onProgress` receives the events the command's progress line is drawn from, and
 * `signal` (an AbortSignal) cancels the call between steps and between frames: it then throws XoayError CANCELLED and
 * leaves no output behind (the output folder is written atomically; `build` keeps the products finished before the
 * abort, each whole, as after a killed build).
 *
 * This layer only checks, translates and forwards: the work is the pipeline's (pipeline/spin/spin.ts,
 * pipeline/model/isolate.ts, pipeline/reconstruct/reconstruct.ts, pipeline/product/build.ts), as for the CLI.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XoayError } from '../pipeline/core/errors.js';
import type { QaReport, SpinManifest } from '../schema/spin.js';
import { invalid } from '../pipeline/core/options.js';
import { BASE_URL, BUILD_CHECKS, CALL, checkOptions, MODEL_CHECKS, RECONSTRUCT_CHECKS, RENDER_CHECKS, SPIN_CHECKS } from './checks.js';
import { checkSignal } from '../pipeline/core/run.js';
import type { Ktx2EncoderChoice } from '../pipeline/model/basisu.js';
import type { BudgetName } from '../pipeline/model/budget.js';
import type { GeometryMode, QuantizationVolume } from '../pipeline/model/geometry.js';
import type { MergeWhen } from '../pipeline/model/merge.js';
import type { ModelEvent, ModelReport } from '../pipeline/model/model.js';
import type { StillOptions, StillResult } from '../pipeline/render/still.js';
import type { TextureMode } from '../pipeline/model/textures.js';
import type { BuildEvent, BuildResult } from '../pipeline/product/build.js';
import type { ReconstructEvent, ReconstructResult } from '../pipeline/reconstruct/reconstruct.js';
import type { BackgroundMode } from '../pipeline/spin/background.js';
import type { SpinFormat } from '../pipeline/spin/encode.js';
import type { SpinEvent, SpinResult } from '../pipeline/spin/spin.js';

export { XoayError, isXoayError, type XoayErrorCode } from '../pipeline/core/errors.js';
export type { QaReport, SpinManifest, SpinEvent, SpinResult, ModelEvent, ModelReport, ReconstructEvent, ReconstructResult, BuildEvent, BuildResult };
export type { ReconstructReport } from '../pipeline/reconstruct/reconstruct.js';
export type { ProductResult } from '../pipeline/product/build.js';
export type { BackgroundMode, BudgetName, GeometryMode, Ktx2EncoderChoice, MergeWhen, SpinFormat, TextureMode };

/** The two options every call takes besides its command's. */
export interface CallOptions<E> {
  /** Receives the events the command's progress is drawn from (stages, frames done, warnings). */
  onProgress?: (event: E) => void;
  /** Cancels the call between steps and between frames: it throws XoayError CANCELLED and leaves no output. */
  signal?: AbortSignal;
}

/** `xoay spin`'s options (README, "xoay spin"). */
export interface SpinOptions extends CallOptions<SpinEvent> {
  /** Split one folder of N×M frames (in order) into N rows; 0 (default): one row, or one sub-folder per row. */
  rows?: number;
  /** Reverse the frame order (clockwise shoots). Default false. */
  reverse?: boolean;
  /** Remove the orbit of an off-axis object. Default true (`--no-recentre`: false). */
  recentre?: boolean;
  /** Match exposure and white balance between frames. Default true (`--no-exposure`: false). */
  exposure?: boolean;
  /** Margin around the object, per cent of its size (0–100). Default 5. */
  margin?: number;
  /** Output aspect: `'W:H'` (`'4:3'`), a number (width / height) or `'keep'`. Default `'1:1'`. */
  aspect?: string | number;
  /** What becomes of the backdrop: white (#FFFFFF), transparent or keep. Default white. */
  background?: BackgroundMode;
  /** The contact shadow: keep (a soft grey) or remove. Default keep. */
  shadow?: 'keep' | 'remove';
  /** How the object is told from the backdrop: auto, border or plate. Default auto. */
  segment?: 'auto' | 'border' | 'plate';
  /** A shot of the empty turntable (same camera, framing and size); implies segment plate. */
  cleanPlate?: string;
  /** A folder of one mask (white = object) or backlit-silhouette frame per frame, in frame order; implies segment plate. */
  masks?: string;
  /** Also write masks/ (one 8-bit PNG per frame, and the plate). Default false. */
  debugMasks?: boolean;
  /** The width ladder. Default [512, 1024, 2048]. */
  widths?: number[];
  /** The formats. Default ['avif', 'webp', 'jpeg']. */
  formats?: SpinFormat[];
  /** Refuse inputs with more pixels than this (decompression-bomb guard). Default 100,000,000. */
  limitInputPixels?: number;
  /** Frames processed in parallel. Default: all cores. */
  concurrency?: number;
  /** Replace an existing output folder. Default false. */
  force?: boolean;
}

/** `xoay model`'s options (README, "xoay model"). */
export interface ModelOptions extends CallOptions<ModelEvent> {
  /** Geometry compression: auto (meshopt, or Draco where it saves more than its decoder costs), meshopt, draco or none. Default auto. */
  geometry?: GeometryMode;
  /** Positions on one grid per mesh ('mesh', glTF Transform's default) or for the whole scene ('scene', as gltfpack). Default mesh. */
  quantizationVolume?: QuantizationVolume;
  /** Texture format: auto (KTX2 only where the GPU budget needs it, WebP elsewhere), ktx2, webp, avif, jpeg or keep. Default auto. */
  textures?: TextureMode;
  /** KTX2 encoder: auto (native basisu when installed, else WASM), native or wasm. Default auto. */
  ktx2Encoder?: Ktx2EncoderChoice;
  /** Largest texture side, px. Default 2048. */
  maxTextureSize?: number;
  /** Khronos 3D Commerce budget to meet: mobile, desktop or none (the report says whether it is met). Default mobile. */
  budget?: BudgetName;
  /** Triangle target; 0 (default): the budget's. */
  triangles?: number;
  /** Largest simplification error, as a fraction of the mesh size. Default 0.001. */
  maxError?: number;
  /** Also write n coarser levels of detail (model.lod1.glb …), each half the triangles (0–6). Default 0. */
  lods?: number;
  /** Join meshes and merge identical materials: auto (as far as the budget's draw-call limit needs), always, never. Default auto. */
  merge?: MergeWhen;
  /** Memory cap of the worker thread that reads and compresses the model, MiB. Default 2048. */
  maxMemory?: number;
  /** Time limit for the model, seconds (0: none). Default 1200. */
  timeout?: number;
  /**
   * Also render source and output from 9 views in headless Chromium and compare them (report.fidelity); below 0.98 mean
   * / 0.95 worst view, retry with a smaller maxError and a higher texture quality (report.fidelity.backoff). Starts a
   * browser: ≈ 10–25 s more. Default false.
   */
  fidelity?: boolean;
  /**
   * Also write the USDZ for AR Quick Look beside the GLB (model.usdz; out.usdz beside out.glb), made by three's
   * USDZExporter in headless Chromium (report.usdz: bytes, names, size in metres, what USDZ could not carry, or the
   * error; a failed export keeps the GLB). Starts a browser: ≈ 5–15 s more. Default false (`xoay build`: on).
   */
  usdz?: boolean;
  /** Replace an existing output folder. Default false. */
  force?: boolean;
}

/** `xoay reconstruct`'s options (README, "xoay reconstruct"). */
export interface ReconstructOptions extends CallOptions<ReconstructEvent> {
  /** A calibration file (Middlebury `*_par.txt`); default: the turntable model. */
  cameras?: string;
  /** The turntable turns clockwise seen from above. Default false. */
  reverse?: boolean;
  /** Camera elevation above the turntable, degrees: one number, or one per row. Default: shoot.json, else 15. */
  elevation?: number | number[];
  /** Horizontal field of view, degrees. Default: shoot.json, else the 35 mm focal length from EXIF. */
  fov?: number;
  /** Camera distance from the point on the axis it looks at, metres (sets the scale): one, or one per row. Default: shoot.json. */
  distance?: number | number[];
  /** Voxels along the longest side. Default 256. */
  resolution?: number;
  /** Views a voxel may fall outside of and be kept. Default 0. */
  tolerance?: number;
  /** Triangle target. Default 50,000. */
  triangles?: number;
  /** Working resolution of the silhouettes (longest side), px. Default 1024. */
  size?: number;
  /** Texture atlas size (square), px. Default 1024. */
  textureSize?: number;
  /** Texture format of model.glb. Default ktx2. */
  textures?: TextureMode;
  /** The lowest silhouette IoU in any view for the result to be written (0: keep any). Default 0.9. */
  minIou?: number;
  /** How silhouettes are cut: auto, border or plate. Default auto. */
  segment?: 'auto' | 'border' | 'plate';
  /** A shot of the empty turntable; implies segment plate. */
  cleanPlate?: string;
  /** A folder of one mask or backlit-silhouette frame per view, in view order: the silhouettes. */
  masks?: string;
  /** Also write preview.png (needs Chromium). Default false. */
  preview?: boolean;
  /** Replace an existing output folder. Default false. */
  force?: boolean;
}

/** `xoay build`'s options (README, "xoay build"); `baseUrl` is required. */
export interface BuildOptions extends CallOptions<BuildEvent> {
  /** The public address the site will be published at (QR codes, link previews), e.g. https://ocop.example.vn/san-pham/. */
  baseUrl: string;
  /** Stage cache folder (content-addressed). Default `.xoay-cache` in the working folder. */
  cache?: string;
  /** Products built at the same time (1–64). Default: from the cores and free memory. */
  jobs?: number;
  /** Title of the catalogue page. */
  title?: string;
  /** Spin width ladder. Default: as `spin`. */
  widths?: number[];
  /** Spin formats. Default: as `spin`. */
  formats?: SpinFormat[];
  /** Model texture format. Default: as `model`. */
  textures?: TextureMode;
  /** Make a 3D model from the shoot for products that have a shoot but no model. Default false. */
  reconstruct?: boolean;
  /** Folders outside the product folders that their symbolic links may point into. Default none. */
  allowLinksInto?: string[];
  /** Remove products from the site that this build did not include. Default false. */
  prune?: boolean;
  /** Write model.usdz (AR Quick Look) beside each product's model.glb, and point the viewer's ios-src at it. Default true. */
  usdz?: boolean;
  /**
   * Render each product's compressed model against its source (9 views, SSIM) into its model.json `fidelity`, made
   * again with stricter settings when it misses 0.98 mean / 0.95 worst view, as `model(…, { fidelity: true })`. Default true.
   */
  fidelity?: boolean;
  /** Build into an existing folder that was not made by `build`. Default false. */
  force?: boolean;
}

/** What `model()` returns: the output folder (or the .glb file, for an output ending in .glb) and model.json's report. */
export interface ModelResult {
  output: string;
  report: ModelReport;
}

// Each check table has exactly the options of its interface (a new option is checked, and allowed in config files).
type Keys<T> = keyof Omit<T, keyof CallOptions<never>>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameKeys: [
  Same<keyof typeof SPIN_CHECKS, Keys<SpinOptions>>,
  Same<keyof typeof MODEL_CHECKS, Keys<ModelOptions>>,
  Same<keyof typeof RECONSTRUCT_CHECKS, Keys<ReconstructOptions>>,
  Same<keyof typeof BUILD_CHECKS, Keys<BuildOptions>>,
  Same<keyof typeof RENDER_CHECKS, keyof RenderOptions>,
] = [true, true, true, true, true];
void sameKeys;

/** An input or output path argument: a non-empty string. */
function checkPath(stage: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw invalid(stage, name, 'a path (a non-empty string)', v);
  return v;
}

/** Turns a cancelled call's pending abort into the documented error before anything starts. */
function notAborted(stage: string, signal: AbortSignal | undefined): void {
  checkSignal(signal, stage);
}

/**
 * Turns a turntable shoot (a folder of frames, or of one sub-folder per row) into a 360° spin in the folder `output`:
 * spin.json, qa.json, qa.html and the frames. As `xoay spin <input> -o <output>`.
 *
 *   const { manifest, qa } = await spin('shoots/stool', 'site/stool/spin', { widths: [512, 1024], shadow: 'remove' });
 */
export async function spin(input: string, output: string, options?: SpinOptions): Promise<SpinResult> {
  const o = checkOptions<SpinOptions>('spin', options, { ...SPIN_CHECKS, ...CALL });
  checkPath('spin', 'input', input);
  checkPath('spin', 'output', output);
  notAborted('spin', o.signal);
  const [{ parseAspect }, { spin: spinShoot, SPIN_DEFAULTS }] = await Promise.all([import('../pipeline/spin/crop.js'), import('../pipeline/spin/spin.js')]);
  const aspect = o.aspect === undefined ? SPIN_DEFAULTS.aspect : typeof o.aspect === 'number' ? o.aspect : parseAspect(o.aspect);
  return spinShoot(
    input,
    output,
    {
      rows: o.rows,
      reverse: o.reverse,
      recentre: o.recentre,
      exposure: o.exposure,
      margin: o.margin === undefined ? undefined : o.margin / 100,
      aspect,
      background: o.background,
      shadowRemove: o.shadow === undefined ? undefined : o.shadow === 'remove',
      segment: o.segment,
      cleanPlate: o.cleanPlate,
      masks: o.masks,
      debugMasks: o.debugMasks,
      widths: o.widths,
      formats: o.formats,
      limitInputPixels: o.limitInputPixels,
      concurrency: o.concurrency,
      force: o.force,
    },
    { onEvent: o.onProgress, signal: o.signal },
  );
}

/**
 * Compresses and validates a 3D model (.glb, .gltf with its files, or .obj with its .mtl) into the folder `output`:
 * model.glb and model.json (the report returned). As `xoay model <input> -o <output>`: in a worker thread with a memory
 * cap and a time limit, so a hostile model fails the call with one XoayError and never the process.
 *
 *   const { report } = await model('chair.glb', 'site/chair/model', { textures: 'webp', budget: 'desktop' });
 *   if (!report.budget.ok) console.warn(report.budget.failures);
 */
export async function model(input: string, output: string, options?: ModelOptions): Promise<ModelResult> {
  const o = checkOptions<ModelOptions>('model', options, { ...MODEL_CHECKS, ...CALL });
  checkPath('model', 'input', input);
  checkPath('model', 'output', output);
  const { onProgress, signal, maxMemory, timeout, fidelity, usdz, ...rest } = o;
  const { MODEL_DEFAULTS, validateModelOptions } = await import('../pipeline/model/model-options.js');
  const { modelIsolated } = await import('../pipeline/model/isolate.js');
  const { modelWithFidelity } = fidelity ? await import('../pipeline/render/fidelity.js') : { modelWithFidelity: undefined };
  const pipelineOptions = { ...MODEL_DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  validateModelOptions(pipelineOptions); // here, before a worker thread is started for nothing
  notAborted('model', signal);
  const isolate = { maxMemoryMb: maxMemory, timeoutSeconds: timeout };
  const make = (folder: string, opts: typeof rest): Promise<ModelResult> =>
    modelWithFidelity
      ? modelWithFidelity(input, folder, opts, {
          run: (i, out, o2, onEvent) => modelIsolated(i, out, o2, { onEvent, signal, isolate }),
          onEvent: onProgress,
        })
      : modelIsolated(input, folder, opts, { onEvent: onProgress, signal, isolate });
  if (usdz && /\.glb$/i.test(output) && !rest.force && existsSync(output.replace(/\.glb$/i, '.usdz')))
    throw new XoayError('model', 'OUTPUT_EXISTS', 'the output already exists; pass --force (force: true) to replace it', output.replace(/\.glb$/i, '.usdz'));
  const made = await (/\.glb$/i.test(output) ? modelToFile(path.resolve(output), rest, make) : make(output, rest));
  if (!usdz) return made;
  onProgress?.({ type: 'stage', stage: 'usdz' });
  // Beside the GLB, its report beside it too: model.glb → model.usdz and model.json, out.glb → out.usdz and out.json.
  const { addUsdz } = await import('../pipeline/render/usdz.js');
  const entry = await addUsdz(made.report.output, made.report.output.replace(/\.glb$/i, '.json'));
  return { ...made, report: { ...made.report, usdz: entry } };
}

/**
 * `output` ending in .glb (as gltf-transform and gltfpack take it): that file, its report beside it (out.glb →
 * out.json; levels of detail out.lod1.glb …). Made in a temporary folder beside them, then each file renamed into
 * place: whole or absent, never half-written; nothing is left on failure.
 */
async function modelToFile<O extends { force?: boolean }>(
  file: string,
  options: O,
  make: (folder: string, options: O) => Promise<ModelResult>,
): Promise<ModelResult> {
  const dir = path.dirname(file);
  const stem = path.basename(file).replace(/\.glb$/i, '');
  const reportFile = path.join(dir, `${stem}.json`);
  if (!options?.force) {
    for (const f of [file, reportFile])
      if (existsSync(f)) throw new XoayError('model', 'OUTPUT_EXISTS', 'the output already exists; pass --force (force: true) to replace it', f);
  }
  const tmp = path.join(dir, `.${stem}.xoay-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const { output, report } = await make(tmp, { ...options, force: false });
    const names = (await readdir(output)).filter((n) => n.endsWith('.glb'));
    const renamed: ModelReport = {
      ...report,
      output: file,
      lods: report.lods.map((l) => ({ ...l, file: l.file.replace(/^model\./, `${stem}.`) })),
    };
    await writeFile(path.join(output, 'model.json'), JSON.stringify(renamed, null, 2) + '\n');
    for (const n of names) await rename(path.join(output, n), path.join(dir, n === 'model.glb' ? `${stem}.glb` : n.replace(/^model\./, `${stem}.`)));
    await rename(path.join(output, 'model.json'), reportFile);
    return { output: file, report: renamed };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Options of `render()`: the picture's size and the viewer's scene attributes (README, "`xoay render`"). */
export type RenderOptions = Partial<StillOptions>;
export type RenderResult = StillResult;

/**
 * One picture of a model (.glb, or .gltf with its files) at `output` (.png, .jpg/.jpeg or .webp): the picture
 * `<xoay-viewer>`'s `toBlob` gives for the same settings (the built viewer drawn in headless Chromium). As
 * `xoay render <model> -o <file>`.
 *
 *   await render('chair.glb', 'chair-side.webp', { cameraOrbit: '90deg 75deg 105%', width: 1200, height: 900 });
 */
export async function render(input: string, output: string, options?: RenderOptions): Promise<RenderResult> {
  const o = checkOptions<RenderOptions>('render', options, RENDER_CHECKS);
  checkPath('render', 'input', input);
  checkPath('render', 'output', output);
  const { renderStill } = await import('../pipeline/render/still.js');
  return renderStill(input, output, o);
}

/**
 * Makes a textured, compressed 3D model from a turntable shoot in the folder `output`: model.glb, model.json and
 * reconstruct.json. As `xoay reconstruct <shoot> -o <output>`.
 *
 *   const { report } = await reconstruct('shoots/stool', 'out/stool-3d', { elevation: 20, fov: 40 });
 */
export async function reconstruct(shoot: string, output: string, options?: ReconstructOptions): Promise<ReconstructResult> {
  const o = checkOptions<ReconstructOptions>('reconstruct', options, { ...RECONSTRUCT_CHECKS, ...CALL });
  checkPath('reconstruct', 'shoot', shoot);
  checkPath('reconstruct', 'output', output);
  notAborted('reconstruct', o.signal);
  const { onProgress, signal, minIou, ...rest } = o;
  const { reconstruct: reconstructShoot } = await import('../pipeline/reconstruct/reconstruct.js');
  return reconstructShoot(shoot, output, { ...rest, minIoU: minIou }, { onEvent: onProgress, signal });
}

/**
 * Builds product pages and a catalogue page from product folders (or catalogue folders of them) into the site folder
 * `site`, incrementally: unchanged products are reused. As `xoay build <folders…> -o <site> --base-url <url>`. A
 * product that fails does not stop the others: it is listed in the result with its reason (`failed` > 0).
 *
 *   const r = await build(['catalogue/'], 'site/', { baseUrl: 'https://ocop.example.vn/san-pham/' });
 */
export async function build(folders: string | string[], site: string, options: BuildOptions): Promise<BuildResult> {
  const o = checkOptions<BuildOptions>('build', options, { ...BUILD_CHECKS, ...CALL });
  if (o.baseUrl === undefined) throw invalid('build', 'baseUrl', `${BASE_URL} (required)`, undefined);
  const inputs = typeof folders === 'string' ? [folders] : folders;
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid('build', 'folders', 'a folder path or a non-empty array of them', folders);
  for (const f of inputs) checkPath('build', 'folders', f);
  checkPath('build', 'site', site);
  notAborted('build', o.signal);
  const textures = o.textures ? { textures: o.textures } : {};
  const { build: buildSite } = await import('../pipeline/product/build.js');
  return buildSite(
    inputs,
    site,
    {
      baseUrl: o.baseUrl,
      cache: o.cache,
      jobs: o.jobs,
      title: o.title,
      prune: o.prune,
      ...(o.usdz === undefined ? {} : { usdz: o.usdz }),
      ...(o.fidelity === undefined ? {} : { fidelity: o.fidelity }),
      force: o.force,
      trustedRoots: (o.allowLinksInto ?? []).map((d) => path.resolve(d)),
      spin: { ...(o.widths ? { widths: o.widths } : {}), ...(o.formats ? { formats: o.formats } : {}) },
      model: textures,
      reconstruct: o.reconstruct ? textures : false,
    },
    { onEvent: o.onProgress, signal: o.signal },
  );
}
