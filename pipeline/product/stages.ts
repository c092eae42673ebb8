/**
 * The stages of `xoay build` (pipeline/product/build.ts) for one product: each stage's key (a content hash of its
 * inputs, options and code), and its output from the cache or made (spin, model, reconstruct, render, photos).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XoayError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import type { ModelOptions } from '../model/model.js';
import { type IsolateOptions, modelIsolated } from '../model/isolate.js';
import { checkFolderFiles } from '../core/inside.js';
import { IMAGE_EXTENSIONS } from '../core/frames.js';
import { reconstruct, type ReconstructOptions } from '../reconstruct/reconstruct.js';
import { spin, type SpinOptions } from '../spin/spin.js';
import { type CacheEntry, hashTree, key, listFiles, type StageCache } from './cache.js';
import { PHOTOS_DEFAULTS, publishPhotos, type PublishedPhoto } from './photos.js';
import type { ProductSource } from './product.js';
import type { RenderOptions, TurntableRenderer } from '../render/render.js';
import { modelWithFidelity, openFidelity } from '../render/fidelity.js';
import { addUsdz } from '../render/usdz.js';

/** The stages a product's output is made by (each from the cache when its key is there). */
export type StageName = 'spin' | 'model' | 'reconstruct' | 'render' | 'photos';

export type BuildEvent =
  | { type: 'product'; id: string; stage: 'read' | StageName | 'page'; cached?: boolean }
  | { type: 'progress'; id: string; stage: string; done: number; total: number }
  | { type: 'done'; id: string; status: 'built' | 'reused'; seconds: number; ran: string[] }
  | { type: 'failed'; id: string; folder: string; message: string }
  | { type: 'warning'; id: string; message: string };

const STAGE = 'build';

/** The package root (works from the sources under vitest and from dist/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new XoayError(STAGE, 'INPUT_MISSING', 'cannot find the xoay package folder');
    dir = up;
  }
  return dir;
}

export interface ProductContext {
  baseUrl: string;
  cache: StageCache;
  /** A local folder where product folders are assembled before they are put into the site. */
  scratch: string;
  code: Awaited<ReturnType<typeof codeKeys>>;
  /** One Chromium for every model-only product of the build, opened when the first needs it. */
  renderer: () => Promise<TurntableRenderer>;
  spinOptions: Partial<SpinOptions>;
  modelOptions: Partial<ModelOptions>;
  /** Also write model.usdz beside model.glb (AR Quick Look), in the build's renderer. */
  usdz: boolean;
  /** Render the compressed model against its source in the build's renderer (model.json `fidelity`), backing off when it misses. */
  fidelity: boolean;
  renderOptions: Partial<RenderOptions>;
  reconstructOptions: Partial<ReconstructOptions> | false;
  /** Folders outside a product folder its files may link into. */
  trustedRoots: string[];
  /** Limits of the model's worker thread. */
  isolate: Partial<IsolateOptions>;
  /** Cancels the build: each stage's run stops at its next step or frame (XoayError CANCELLED). */
  signal?: AbortSignal;
}

/** Files a model can read (itself, .bin, .mtl, textures) in the product folder, outside the shoot and the photos. */
const MODEL_PARTS = /\.(glb|gltf|obj|mtl|bin|png|jpe?g|webp|avif|ktx2|basis|tga|bmp|gif)$/i;
async function modelFiles(src: ProductSource): Promise<string[]> {
  return (await listFiles(src.dir)).filter((f) => MODEL_PARTS.test(f) && !f.startsWith('spin/') && !f.startsWith('photos/'));
}

/** Files the spin stage reads: the frames (an extension of core/frames.ts IMAGE_EXTENSIONS, any case) and the shoot's description, not notes or other files beside them. */
const FRAME = new RegExp(`(${IMAGE_EXTENSIONS.map((e) => `\\${e}`).join('|')}|(^|/)shoot\\.json)$`, 'i');

/**
 * The code that makes each stage's output, hashed: a changed encoder, page template or render page changes the keys
 * even when the version number does not (a development build, a patched install).
 */
export async function codeKeys(): Promise<Record<'spin' | 'model' | 'render' | 'reconstruct' | 'page', string>> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const tree = async (dir: string) => (existsSync(dir) ? hashTree(dir, await listFiles(dir)) : 'none');
  const [spinCode, modelCode, productCode, renderPage, reconstructCode] = await Promise.all([
    tree(path.join(here, '../spin')),
    tree(path.join(here, '../model')),
    tree(here),
    tree(path.join(packageRoot(), 'dist', 'render')),
    tree(path.join(here, '../reconstruct')),
  ]);
  return { spin: spinCode, model: modelCode, render: key(productCode, renderPage), reconstruct: key(reconstructCode, spinCode, modelCode), page: productCode };
}

/** The key of each stage the product needs (spin, model, reconstruct, render, photos): a content hash of its inputs and options. */
export async function stageKeys(src: ProductSource, c: ProductContext): Promise<Record<string, string>> {
  const stages: Record<string, string> = {};
  // How many cores run a stage does not change its output: it is not part of the key.
  const { concurrency: _c, force: _f, ...spinKeyOptions } = c.spinOptions;
  const { chromium: _x, pageDir: _d, ...renderKeyOptions } = c.renderOptions;
  if (src.spinDir) {
    // Frames and shoot.json: UTF-8 names, regular files inside the product folder (checked before they are hashed or read).
    await checkFolderFiles(src.spinDir, FRAME, { stage: 'spin', roots: [src.dir, ...c.trustedRoots], what: 'frame' });
    const frames = (await listFiles(src.spinDir)).filter((f) => FRAME.test(f));
    stages.spin = key('spin', VERSION, c.code.spin, spinKeyOptions, await hashTree(src.spinDir, frames));
  }
  if (src.modelFile)
    stages.model = key(
      'model',
      VERSION,
      c.code.model,
      c.modelOptions,
      c.usdz ? ['usdz', c.code.render] : [],
      c.fidelity ? ['fidelity', c.code.render] : [],
      path.relative(src.dir, src.modelFile),
      await hashTree(src.dir, await modelFiles(src)),
    );
  const { force: _rf, preview: _rp, ...reconstructKeyOptions } = c.reconstructOptions || {};
  if (c.reconstructOptions && stages.spin && !stages.model)
    stages.reconstruct = key('reconstruct', VERSION, c.code.reconstruct, reconstructKeyOptions, c.usdz ? ['usdz', c.code.render] : [], stages.spin);
  if (stages.model && !stages.spin) stages.render = key('render', VERSION, c.code.render, c.code.spin, stages.model, renderKeyOptions, spinKeyOptions);
  if (src.photos.length) {
    const photos = src.photos.map((f) => path.relative(src.dir, f));
    stages.photos = key('photos', VERSION, c.code.page, PHOTOS_DEFAULTS, await hashTree(src.dir, photos));
  }
  return stages;
}

/** One product's stages being made: what they share, and the stages that ran (not taken from the cache). */
export interface StageRun {
  src: ProductSource;
  c: ProductContext;
  id: string;
  /** The stage keys (stageKeys). */
  stages: Record<string, string>;
  emit: (e: BuildEvent) => void;
  ran: string[];
}

/** A stage's output: from the cache when its key is there, else made by `make` into a folder and stored. */
async function cachedStage(r: StageRun, name: StageName, make: (tmp: string) => Promise<void>): Promise<CacheEntry> {
  const k = r.stages[name]!;
  const hit = await r.c.cache.get(name, k);
  r.emit({ type: 'product', id: r.id, stage: name, cached: Boolean(hit) });
  if (hit) return hit;
  r.ran.push(name);
  return r.c.cache.put(name, k, make);
}

/** A spin's events as the build's: its progress (named `stageName:step`) and its warnings. */
function spinEvents(r: StageRun, stageName: string) {
  return (e: { type: string; stage?: string; done?: number; total?: number; message?: string }) => {
    if (e.type === 'progress') r.emit({ type: 'progress', id: r.id, stage: `${stageName}:${e.stage}`, done: e.done!, total: e.total! });
    else if (e.type === 'warning') r.emit({ type: 'warning', id: r.id, message: e.message! });
  };
}

/** The spin of the shoot. */
export function spinStage(r: StageRun): Promise<CacheEntry> {
  return cachedStage(r, 'spin', async (tmp) => void (await spin(r.src.spinDir!, tmp, r.c.spinOptions, { onEvent: spinEvents(r, 'spin'), signal: r.c.signal })));
}

/** Sizes (largest side, metres) a product shown in AR is expected between; outside, the build warns. */
export const AR_SIZE = { min: 0.01, max: 20 };

/** The product's own model, compressed. */
export async function modelStage(r: StageRun): Promise<CacheEntry> {
  const { c } = r;
  // In a worker thread: a model that crashes a parser or runs away fails this product alone, with one line.
  const entry = await cachedStage(r, 'model', async (tmp) => {
    const options = { ...c.modelOptions, force: true, trustedRoots: c.trustedRoots };
    if (c.fidelity) {
      // The source renders in the build's browser while the model is compressed; retries as `xoay model --fidelity`.
      const session = await openFidelity(undefined, await c.renderer());
      try {
        await modelWithFidelity(r.src.modelFile!, tmp, options, {
          run: (input, out, o) => modelIsolated(input, out, o, { isolate: c.isolate, signal: c.signal }),
          session,
        });
      } finally {
        await session.close();
      }
    } else await modelIsolated(r.src.modelFile!, tmp, options, { isolate: c.isolate, signal: c.signal });
    // The USDZ for AR Quick Look; a failed export is reported in model.json and the GLB is published without it.
    if (c.usdz) await addUsdz(path.join(tmp, 'model.glb'), path.join(tmp, 'model.json'), { renderer: await c.renderer() });
  });
  // The model is written even when it misses its budget (as `xoay model` does); the build says so.
  const report = JSON.parse((await entry.read('model.json')).toString('utf8')) as {
    budget: { ok: boolean; failures: string[] };
    usdz?: { error?: string; size?: number[] };
    fidelity?: { pass: boolean; ssim: { mean: number; worst: number }; threshold: { mean: number; worst: number } };
  };
  const f = report.fidelity;
  if (f && !f.pass)
    r.emit({
      type: 'warning',
      id: r.id,
      message: `model: renders unlike its source even at the strictest settings: SSIM mean ${f.ssim.mean}, worst view ${f.ssim.worst} (threshold ${f.threshold.mean} / ${f.threshold.worst})`,
    });
  if (report.usdz?.error) r.emit({ type: 'warning', id: r.id, message: `model: no USDZ for AR Quick Look: ${report.usdz.error}` });
  // AR shows the model at its size in metres (glTF's unit): one in millimetres or kilometres would fill a city or vanish.
  const across = Math.max(0, ...(report.usdz?.size ?? []));
  if (across > AR_SIZE.max || (across > 0 && across < AR_SIZE.min))
    r.emit({
      type: 'warning',
      id: r.id,
      message: `model: ${across.toPrecision(3)} m across: AR shows it at this size (glTF units are metres); check the model's units`,
    });
  if (!report.budget.ok) r.emit({ type: 'warning', id: r.id, message: `model: misses its budget: ${report.budget.failures.join('; ')}` });
  return entry;
}

/** A model from the shoot. When it cannot be made, or misses the photos, the product is published with its spin (undefined). */
export async function reconstructStage(r: StageRun): Promise<CacheEntry | undefined> {
  try {
    return await cachedStage(r, 'reconstruct', async (tmp) => {
      await reconstruct(r.src.spinDir!, tmp, { ...r.c.reconstructOptions, force: true, preview: false }, { signal: r.c.signal });
      if (r.c.usdz) await addUsdz(path.join(tmp, 'model.glb'), path.join(tmp, 'model.json'), { renderer: await r.c.renderer() });
    });
  } catch (e) {
    if (r.c.signal?.aborted) throw e; // a cancelled build, not a shoot that makes no model
    r.emit({ type: 'warning', id: r.id, message: `no 3D model from the shoot: ${(e as Error).message}` });
    return undefined;
  }
}

/** The fallback spin: the compressed model (what the 3D view shows) rendered turning, then made a spin. */
export function renderStage(r: StageRun, model: CacheEntry): Promise<CacheEntry> {
  const { c } = r;
  return cachedStage(r, 'render', async (tmp) => {
    // The spin names a row of frames after their folder: a fixed name, as a shoot's spin/ is, not the temporary folder's
    // (which differs from run to run and would make spin.json differ, and publish a temporary path).
    const work = `${tmp}.frames`;
    const frames = path.join(work, 'spin');
    try {
      const { chromium: _x, pageDir: _d, ...perModel } = c.renderOptions;
      await (await c.renderer()).render(await model.read('model.glb'), frames, perModel);
      await spin(frames, tmp, { ...c.spinOptions, recentre: false, exposure: false }, { onEvent: spinEvents(r, 'render'), signal: c.signal });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** The photos, published (sizes and formats for the page), with their list. */
export async function photosStage(r: StageRun): Promise<{ photosEntry: CacheEntry; photos: PublishedPhoto[] }> {
  const photosEntry = await cachedStage(r, 'photos', async (tmp) => {
    await mkdir(tmp, { recursive: true });
    const list = await publishPhotos(r.src.photos, tmp);
    await writeFile(path.join(tmp, 'photos.json'), JSON.stringify(list));
  });
  return { photosEntry, photos: JSON.parse((await photosEntry.read('photos.json')).toString('utf8')) as PublishedPhoto[] };
}
