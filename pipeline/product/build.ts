/**
 * `xoay build`: product folders (or a catalogue folder of them) → a static site.
 *
 *   <site>/index.html            the catalogue (search and filters; works from file://)
 *   <site>/viewer/               the embeddable viewer (one copy for every page)
 *   <site>/<id>/index.html       the product page          <site>/<id>/embed.html   snippet for CMS editors
 *   <site>/<id>/qr.svg, qr.png   QR code of the page's public URL
 *   <site>/<id>/spin/            the spin (shot, or rendered from the model)   model/model.glb   photos/
 *
 * Incremental: every stage output (spin, model, fallback spin, photos) is stored in the cache under a
 * content hash of its inputs and options (cache.ts), and each product folder in the site carries the
 * key of everything it was made from (`.xoay-product.json`). A rebuild skips a product whose key has not
 * changed (its files are not touched) and re-runs only the stages whose inputs changed. Each product
 * folder is assembled in a local scratch folder and put into the site at once (`Storage.putFolder`: renamed
 * into place on a folder; its page and stamp last on a store without a folder rename), so a killed build
 * never leaves a half-written product; the next build resumes from the cache. Every write to the site and
 * the cache goes through `Storage` (pipeline/core/storage.ts).
 *
 * One product failing (bad product.json, an unreadable frame) does not stop the others; the result
 * lists built, reused and failed products with their reasons.
 */
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Product } from '../../schema/product.js';
import type { SpinManifest } from '../../schema/spin.js';
import { XoayError, isXoayError, oneLine } from '../core/errors.js';
import { FolderStorage, type Storage } from '../core/storage.js';
import { assertInteger, invalid, withDefaults } from '../core/options.js';
import { mapLimit } from '../core/pool.js';
import { VERSION } from '../core/version.js';
import type { ModelOptions } from '../model/model.js';
import { type IsolateOptions, modelIsolated } from '../model/isolate.js';
import { checkFolderFiles, isInside } from '../core/inside.js';
import { IMAGE_EXTENSIONS } from '../core/frames.js';
import { statInput } from '../core/input.js';
import { reconstruct, type ReconstructOptions } from '../reconstruct/reconstruct.js';
import { spin, type SpinOptions } from '../spin/spin.js';
import { type CacheEntry, hashTree, key, listFiles, openCache, type StageCache } from './cache.js';
import { type CatalogueEntry, cataloguePage } from './catalogue.js';
import { embedSnippet, type PageAssets, type PageImage, productPage, productUrl } from './page.js';
import { PHOTOS_DEFAULTS, publishPhotos, type PublishedPhoto } from './photos.js';
import { isProductFolder, PRODUCT_FILES, type ProductSource, readProduct } from './product.js';
import { qrPng, qrSvg } from './qr.js';
import { openTurntableRenderer, type RenderOptions, type TurntableRenderer } from '../render/render.js';

const STAGE = 'build';
const GENERATOR = `xoay ${VERSION}`;
/** The stamp in each built product folder. */
export const STAMP = '.xoay-product.json';
/** The marker of a site folder made by `xoay build`. */
export const SITE_MARKER = '.xoay-site.json';

export interface BuildOptions {
  /** The site's public address (QR codes, canonical and Open Graph URLs), e.g. https://ocop.example.vn/san-pham/. */
  baseUrl: string;
  /** Folder of the stage cache (content-addressed; safe to delete, costs a full rebuild). */
  cache: string;
  /** Products built at the same time; 0 = from the cores and free memory. */
  jobs: number;
  /** Options for `spin` (every product's shoot, and the fallback spins). */
  spin: Partial<SpinOptions>;
  /** Options for `model`. */
  model: Partial<ModelOptions>;
  /** Options for the fallback spin rendered from a model when there is no shoot. */
  render: Partial<RenderOptions>;
  /**
   * Make a 3D model from the shoot (`xoay reconstruct`) for products that have a shoot but no model: its options,
   * or false (off). When it cannot be made (no focal length; silhouettes the result misses, IoU below `minIoU`) the
   * product keeps its spin and the build warns with the reason.
   */
  reconstruct: Partial<ReconstructOptions> | false;
  /** The catalogue page's title. */
  title: string;
  /** Remove product folders of the site that this build did not include (off: published URLs and printed QR codes keep working). */
  prune: boolean;
  /** Replace an output folder that exists but was not made by `xoay build`. */
  force: boolean;
  /**
   * Folders outside the product folders that their files may be symbolic links into (absolute paths; the sample
   * catalogue links its shoot and model from samples/). None by default: a link to anything outside its product folder
   * fails that product.
   */
  trustedRoots: string[];
  /** Memory cap and time limit of the worker thread each product's model is read and compressed in. */
  isolate: Partial<IsolateOptions>;
}

export const BUILD_DEFAULTS: BuildOptions = {
  baseUrl: '',
  cache: '.xoay-cache',
  jobs: 0,
  spin: {},
  model: {},
  render: {},
  reconstruct: false,
  title: 'Sản phẩm OCOP',
  prune: false,
  force: false,
  trustedRoots: [],
  isolate: {},
};

export type BuildEvent =
  | { type: 'product'; id: string; stage: 'read' | 'spin' | 'model' | 'reconstruct' | 'render' | 'photos' | 'page'; cached?: boolean }
  | { type: 'progress'; id: string; stage: string; done: number; total: number }
  | { type: 'done'; id: string; status: 'built' | 'reused'; seconds: number; ran: string[] }
  | { type: 'failed'; id: string; folder: string; message: string }
  | { type: 'warning'; id: string; message: string };

export interface ProductResult {
  /** The product id (or the folder name when product.json could not be read). */
  id: string;
  folder: string;
  status: 'built' | 'reused' | 'failed';
  /** The stages that ran (not taken from the cache). */
  ran: string[];
  seconds: number;
  /** For failures: the reason. */
  message?: string;
  url?: string;
}

export interface BuildResult {
  site: string;
  products: ProductResult[];
  built: number;
  reused: number;
  failed: number;
  seconds: number;
  jobs: number;
}

/** What a built product folder remembers (its key, and what the catalogue needs). */
interface Stamp {
  version: 1;
  generator: string;
  key: string;
  stages: Record<string, string>;
  product: Product;
  /** The card picture, relative to the product folder. */
  thumb: PageImage;
}

/** The package root (works from the sources under vitest and from dist/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new XoayError(STAGE, 'INPUT_MISSING', 'cannot find the xoay package folder');
    dir = up;
  }
  return dir;
}

function defaultJobs(): number {
  // A product's spin already uses every core for its frames; products in parallel mostly overlap I/O
  // and the single-threaded parts. Each product may hold ~1 GiB at the peak (large shoots).
  const byMemory = Math.floor(os.freemem() / 2 ** 30);
  return Math.max(1, Math.min(os.availableParallelism(), byMemory));
}

function validate(o: BuildOptions): void {
  let base: URL;
  try {
    base = new URL(o.baseUrl);
  } catch {
    throw invalid(STAGE, '--base-url', 'the public address of the site, e.g. https://ocop.example.vn/san-pham/', o.baseUrl);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw invalid(STAGE, '--base-url', 'an http(s) address', o.baseUrl);
  assertInteger(STAGE, 'jobs', o.jobs, 0, 64);
  if (o.reconstruct !== false && (typeof o.reconstruct !== 'object' || o.reconstruct === null))
    throw invalid(STAGE, 'reconstruct', 'false or the options of `xoay reconstruct`', o.reconstruct);
  if (!Array.isArray(o.trustedRoots) || o.trustedRoots.some((r) => typeof r !== 'string' || !path.isAbsolute(r)))
    throw invalid(STAGE, 'trustedRoots', 'a list of absolute folder paths', o.trustedRoots);
}

/**
 * The product folders named by the inputs: product folders as given, catalogue folders' sub-folders. Errors are
 * the `stage`'s, with `hint` after each message (`xoay preview` adds that a site is also accepted).
 */
export async function findProducts(inputs: string[], stage = STAGE, hint = ''): Promise<string[]> {
  const found: string[] = [];
  for (const input of inputs) {
    const dir = path.resolve(input);
    await statInput(stage, dir, {
      kind: 'folder',
      missing: `no such folder${hint}`,
      wrongKind: `is not a folder (give a product folder or a catalogue folder)${hint}`,
    });
    if (await isProductFolder(dir)) {
      found.push(dir);
      continue;
    }
    const subs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => path.join(dir, e.name));
    const products = [];
    for (const sub of subs.sort()) if (await isProductFolder(sub)) products.push(sub);
    if (products.length === 0)
      throw new XoayError(stage, 'INPUT_EMPTY', `neither a product folder (${PRODUCT_FILES.join(' / ')}) nor a catalogue of them${hint}`, dir);
    found.push(...products);
  }
  return [...new Set(found)];
}

/** What every product of one build shares: options, the site, the cache, the code keys, one Chromium. */
export interface BuildContext {
  o: BuildOptions;
  baseUrl: string;
  siteDir: string;
  /** Where the site is written (every write of a product and of the index goes through it). */
  site: Storage;
  viewerDist: string;
  cache: StageCache;
  /** A local folder for this process's work in progress (removed by close()). */
  scratch: string;
  jobs: number;
  product: ProductContext;
  /** Closes the shared Chromium, if one was opened; removes the scratch folder. */
  close(): Promise<void>;
}

/** Where a build writes: the site and the stage cache (default: the folders `site` and `--cache`). */
export interface BuildStorage {
  site: Storage;
  cache: Storage;
}

/** Checks the options, finds the viewer, opens the cache: the set-up shared by a local build and a queue worker. */
export async function openBuild(site: string, opts: Partial<BuildOptions>, ctx: { jobs?: number; storage?: BuildStorage } = {}): Promise<BuildContext> {
  const o = withDefaults(BUILD_DEFAULTS, opts);
  validate(o);
  const baseUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
  const siteDir = path.resolve(site);
  const viewerDist = viewerFolder();
  const storage = ctx.storage ?? defaultStorage(siteDir, o.cache);
  await sweepScratch();
  const scratch = await mkdtemp(path.join(os.tmpdir(), `${SCRATCH}${process.pid}-`));
  // Ctrl-C or a kill (main.ts exits through process.exit): the scratch folder goes too.
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  process.once('exit', removeScratch);
  const cache = openCache(storage.cache, path.join(scratch, 'cache'));
  const jobs = ctx.jobs ?? (o.jobs || defaultJobs());
  // Cores for one product's frames: shared between the products that run at once.
  const perProduct = Math.max(1, Math.floor(os.availableParallelism() / jobs));
  const spinOptions: Partial<SpinOptions> = { concurrency: perProduct, ...o.spin, force: true };
  const code = await codeKeys();
  let rendererOpen: Promise<TurntableRenderer> | undefined;
  const renderer = () => (rendererOpen ??= openTurntableRenderer({ chromium: o.render.chromium, pageDir: o.render.pageDir }));
  return {
    o,
    baseUrl,
    siteDir,
    site: storage.site,
    viewerDist,
    cache,
    scratch,
    jobs,
    product: {
      baseUrl,
      cache,
      scratch,
      code,
      renderer,
      spinOptions,
      modelOptions: o.model,
      renderOptions: o.render,
      reconstructOptions: o.reconstruct,
      trustedRoots: o.trustedRoots,
      isolate: o.isolate,
    },
    close: async () => {
      process.removeListener('exit', removeScratch);
      await rendererOpen?.then((r) => r.close()).catch(() => {});
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

const SCRATCH = 'xoay-scratch-';

/** Removes the scratch folders of builds on this machine that were killed (their process is gone). */
async function sweepScratch(): Promise<void> {
  for (const name of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    const pid = Number(new RegExp(`^${SCRATCH}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The site and the cache as folders. */
export function defaultStorage(siteDir: string, cacheDir: string): BuildStorage {
  return { site: new FolderStorage(siteDir), cache: new FolderStorage(cacheDir) };
}

/** The built viewer (dist/viewer), copied into every site. */
export function viewerFolder(): string {
  const viewerDist = path.join(packageRoot(), 'dist', 'viewer');
  if (!existsSync(path.join(viewerDist, 'xoay-viewer.js')))
    throw new XoayError(STAGE, 'INPUT_MISSING', 'the viewer is not built: run `npm run build` first', viewerDist);
  return viewerDist;
}

/** Refuses a site folder inside a product folder, or containing one. */
export function checkSiteOutsideInputs(folders: string[], siteDir: string): void {
  for (const f of folders) {
    if (isInside(siteDir, f)) throw new XoayError(STAGE, 'OUTPUT_INSIDE_INPUT', `the site folder is inside the product folder ${f}`, siteDir);
    if (isInside(f, siteDir)) throw new XoayError(STAGE, 'OUTPUT_INSIDE_INPUT', `the site folder contains the product folder ${f}`, siteDir);
  }
}

/** The message a failed product is reported with. */
export function failureMessage(e: unknown, folder: string): string {
  return isXoayError(e) ? e.message : oneLine(`${STAGE}: ${folder}: ${(e as Error).message}`);
}

/**
 * Builds one product folder into the site (or reuses it): the unit of work of a local build and of a queue job.
 * Throws on failure (the caller turns it into a failed result, or a failed job). `twins`: the folders that
 * share this product's id in the same build (more than one is refused).
 */
export async function buildProductFolder(
  b: BuildContext,
  folder: string,
  emit: (e: BuildEvent) => void = () => {},
  read?: { source?: ProductSource; error?: Error; twins?: string[] },
): Promise<ProductResult> {
  const start = performance.now();
  const source = read ? read.source : await readProduct(folder, { trustedRoots: b.o.trustedRoots });
  if (!source) throw read!.error;
  const id = source.product.id;
  const twins = read?.twins ?? [folder];
  if (twins.length > 1)
    throw new XoayError(STAGE, 'DUPLICATE_ID', `id "${id}" is used by ${twins.length} products (${twins.join(', ')}); ids must be unique`, source.file);
  const r = await buildProduct(source, b.site, b.product, emit);
  emit({ type: 'done', id, status: r.status, seconds: (performance.now() - start) / 1000, ran: r.ran });
  return { id, folder, status: r.status, ran: r.ran, seconds: (performance.now() - start) / 1000, url: productUrl(b.baseUrl, id) };
}

export async function build(
  inputs: string[],
  site: string,
  opts: Partial<BuildOptions>,
  ctx: { onEvent?: (e: BuildEvent) => void; storage?: BuildStorage } = {},
): Promise<BuildResult> {
  const o = withDefaults(BUILD_DEFAULTS, opts);
  validate(o);
  const emit = ctx.onEvent ?? (() => {});
  const t0 = performance.now();
  const siteDir = path.resolve(site);
  const folders = await findProducts(inputs);
  checkSiteOutsideInputs(folders, siteDir);
  const storage = ctx.storage ?? defaultStorage(siteDir, o.cache);
  await prepareSite(storage.site, siteDir, o.force);
  const b = await openBuild(site, opts, { storage });

  // Read every product first: duplicate ids are refused for both folders before anything is built.
  const sources = await Promise.all(
    folders.map(async (folder) => {
      try {
        return { folder, source: await readProduct(folder, { trustedRoots: o.trustedRoots }) };
      } catch (e) {
        return { folder, error: e as Error };
      }
    }),
  );
  const byId = new Map<string, string[]>();
  for (const s of sources) if (s.source) byId.set(s.source.product.id, [...(byId.get(s.source.product.id) ?? []), s.folder]);

  const results = await mapLimit(sources, b.jobs, async (s): Promise<ProductResult> => {
    const start = performance.now();
    const id = s.source?.product.id ?? path.basename(s.folder);
    try {
      return await buildProductFolder(b, s.folder, emit, { ...s, twins: s.source ? byId.get(id) : undefined });
    } catch (e) {
      const message = failureMessage(e, s.folder);
      emit({ type: 'failed', id, folder: s.folder, message });
      return { id, folder: s.folder, status: 'failed', ran: [], seconds: (performance.now() - start) / 1000, message };
    }
  });

  // --prune only when every product could be read: a product whose facts are broken is known by its folder, not its
  // id, and its last good page must stay.
  const unread = sources.filter((s) => !s.source).length;
  if (o.prune && unread) emit({ type: 'warning', id: '-', message: `--prune skipped: ${unread} product(s) could not be read` });
  try {
    await writeSite(
      b.site,
      b.viewerDist,
      results.map((r) => r.id),
      { ...o, prune: o.prune && unread === 0 },
    );
  } finally {
    await b.close();
  }
  const count = (st: ProductResult['status']) => results.filter((r) => r.status === st).length;
  return {
    site: siteDir,
    products: results,
    built: count('built'),
    reused: count('reused'),
    failed: count('failed'),
    seconds: (performance.now() - t0) / 1000,
    jobs: b.jobs,
  };
}

/** Refuses to write into a folder that is not a Xoay site (unless forced); clears what a killed build left. */
export async function prepareSite(site: Storage, siteDir: string, force: boolean): Promise<void> {
  const marked = await site.exists(SITE_MARKER);
  if (!marked && !force && (await site.list('')).length > 0) {
    throw new XoayError(STAGE, 'OUTPUT_EXISTS', 'the folder exists and was not made by `xoay build`; choose another or pass --force to build into it', siteDir);
  }
  // A product put in place by renames and interrupted between them: the old one is put back.
  if (site instanceof FolderStorage) await site.tidy();
  if (!marked) {
    try {
      await site.writeAtomic(SITE_MARKER, JSON.stringify({ generator: GENERATOR }) + '\n');
    } catch (e) {
      throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', `cannot create the site folder (${(e as NodeJS.ErrnoException).code ?? e})`, siteDir, { cause: e });
    }
  }
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
  renderOptions: Partial<RenderOptions>;
  reconstructOptions: Partial<ReconstructOptions> | false;
  /** Folders outside a product folder its files may link into. */
  trustedRoots: string[];
  /** Limits of the model's worker thread. */
  isolate: Partial<IsolateOptions>;
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
async function codeKeys(): Promise<Record<'spin' | 'model' | 'render' | 'reconstruct' | 'page', string>> {
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

/** The stamp of the product `id` in the site, or undefined when there is none (or it cannot be read). */
export async function readStamp(site: Storage, id: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse((await site.read(`${id}/${STAMP}`)).toString('utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/**
 * One product into the site: reused when the key of everything it is made from matches its stamp's; else its stages
 * (each from the cache when its key is there) and its folder assembled and put into the site.
 */
async function buildProduct(
  src: ProductSource,
  site: Storage,
  c: ProductContext,
  emit: (e: BuildEvent) => void,
): Promise<{ status: 'built' | 'reused'; ran: string[] }> {
  const stages = await stageKeys(src, c);
  const pageKey = key('page', VERSION, c.code.page, src.product, src.story ?? '', c.baseUrl, stages);
  const old = await readStamp(site, src.product.id);
  if (old?.key === pageKey) return { status: 'reused', ran: [] };
  const r: StageRun = { src, c, id: src.product.id, stages, emit, ran: [] };
  let spinEntry = stages.spin ? await spinStage(r) : undefined;
  let modelEntry = stages.model ? await modelStage(r) : undefined;
  if (stages.reconstruct) modelEntry = (await reconstructStage(r)) ?? modelEntry;
  if (stages.render) spinEntry = await renderStage(r, modelEntry!);
  const photos = stages.photos ? await photosStage(r) : { photos: [] };
  await assembleProduct(r, site, pageKey, { spin: spinEntry, model: modelEntry, ...photos });
  return { status: 'built', ran: r.ran };
}

/** The key of each stage the product needs (spin, model, reconstruct, render, photos): a content hash of its inputs and options. */
async function stageKeys(src: ProductSource, c: ProductContext): Promise<Record<string, string>> {
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
    stages.model = key('model', VERSION, c.code.model, c.modelOptions, path.relative(src.dir, src.modelFile), await hashTree(src.dir, await modelFiles(src)));
  const { force: _rf, preview: _rp, ...reconstructKeyOptions } = c.reconstructOptions || {};
  if (c.reconstructOptions && stages.spin && !stages.model)
    stages.reconstruct = key('reconstruct', VERSION, c.code.reconstruct, reconstructKeyOptions, stages.spin);
  if (stages.model && !stages.spin) stages.render = key('render', VERSION, c.code.render, c.code.spin, stages.model, renderKeyOptions, spinKeyOptions);
  if (src.photos.length) {
    const photos = src.photos.map((f) => path.relative(src.dir, f));
    stages.photos = key('photos', VERSION, c.code.page, PHOTOS_DEFAULTS, await hashTree(src.dir, photos));
  }
  return stages;
}

/** One product's stages being made: what they share, and the stages that ran (not taken from the cache). */
interface StageRun {
  src: ProductSource;
  c: ProductContext;
  id: string;
  /** The stage keys (stageKeys). */
  stages: Record<string, string>;
  emit: (e: BuildEvent) => void;
  ran: string[];
}

/** A stage's output: from the cache when its key is there, else made by `make` into a folder and stored. */
async function cachedStage(r: StageRun, name: string, make: (tmp: string) => Promise<void>): Promise<CacheEntry> {
  const k = r.stages[name]!;
  const hit = await r.c.cache.get(name, k);
  r.emit({ type: 'product', id: r.id, stage: name as 'spin', cached: Boolean(hit) });
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
function spinStage(r: StageRun): Promise<CacheEntry> {
  return cachedStage(r, 'spin', async (tmp) => void (await spin(r.src.spinDir!, tmp, r.c.spinOptions, { onEvent: spinEvents(r, 'spin') })));
}

/** The product's own model, compressed. */
async function modelStage(r: StageRun): Promise<CacheEntry> {
  const { c } = r;
  // In a worker thread: a model that crashes a parser or runs away fails this product alone, with one line.
  const entry = await cachedStage(
    r,
    'model',
    async (tmp) => void (await modelIsolated(r.src.modelFile!, tmp, { ...c.modelOptions, force: true, trustedRoots: c.trustedRoots }, { isolate: c.isolate })),
  );
  // The model is written even when it misses its budget (as `xoay model` does); the build says so.
  const report = JSON.parse((await entry.read('model.json')).toString('utf8')) as { budget: { ok: boolean; failures: string[] } };
  if (!report.budget.ok) r.emit({ type: 'warning', id: r.id, message: `model: misses its budget: ${report.budget.failures.join('; ')}` });
  return entry;
}

/** A model from the shoot. When it cannot be made, or misses the photos, the product is published with its spin (undefined). */
async function reconstructStage(r: StageRun): Promise<CacheEntry | undefined> {
  try {
    return await cachedStage(
      r,
      'reconstruct',
      async (tmp) => void (await reconstruct(r.src.spinDir!, tmp, { ...r.c.reconstructOptions, force: true, preview: false })),
    );
  } catch (e) {
    r.emit({ type: 'warning', id: r.id, message: `no 3D model from the shoot: ${(e as Error).message}` });
    return undefined;
  }
}

/** The fallback spin: the compressed model (what the 3D view shows) rendered turning, then made a spin. */
function renderStage(r: StageRun, model: CacheEntry): Promise<CacheEntry> {
  const { c } = r;
  return cachedStage(r, 'render', async (tmp) => {
    const frames = `${tmp}.frames`;
    try {
      const { chromium: _x, pageDir: _d, ...perModel } = c.renderOptions;
      await (await c.renderer()).render(await model.read('model.glb'), frames, perModel);
      await spin(frames, tmp, { ...c.spinOptions, recentre: false, exposure: false }, { onEvent: spinEvents(r, 'render') });
    } finally {
      await rm(frames, { recursive: true, force: true });
    }
  });
}

/** The photos, published (sizes and formats for the page), with their list. */
async function photosStage(r: StageRun): Promise<{ photosEntry: CacheEntry; photos: PublishedPhoto[] }> {
  const photosEntry = await cachedStage(r, 'photos', async (tmp) => {
    await mkdir(tmp, { recursive: true });
    const list = await publishPhotos(r.src.photos, tmp);
    await writeFile(path.join(tmp, 'photos.json'), JSON.stringify(list));
  });
  return { photosEntry, photos: JSON.parse((await photosEntry.read('photos.json')).toString('utf8')) as PublishedPhoto[] };
}

/** What the stages made for one product (each missing when the product has no such stage). */
interface StageOutputs {
  spin?: CacheEntry;
  model?: CacheEntry;
  photosEntry?: CacheEntry;
  photos: PublishedPhoto[];
}

/** The product folder assembled in the scratch folder, then put into the site at once (its pages and stamp last). */
async function assembleProduct(r: StageRun, site: Storage, pageKey: string, made: StageOutputs): Promise<void> {
  const { c, id } = r;
  r.emit({ type: 'product', id, stage: 'page' });
  await mkdir(c.scratch, { recursive: true });
  const tmp = await mkdtemp(path.join(c.scratch, `${id}-`));
  try {
    const { poster, thumb } = await copyStageFiles(tmp, made);
    const url = productUrl(c.baseUrl, id);
    await writeFile(path.join(tmp, 'qr.svg'), await qrSvg(url));
    await writeFile(path.join(tmp, 'qr.png'), await qrPng(url));
    const assets: PageAssets = {
      spin: made.spin ? 'spin/spin.json' : undefined,
      spinFromModel: Boolean(r.stages.render),
      model: made.model ? 'model/model.glb' : undefined,
      poster,
      photos: made.photos.map((ph) => ({ src: ph.src, thumb: ph.thumb, width: ph.thumbWidth, height: ph.thumbHeight })),
      qr: 'qr.svg',
    };
    const p = r.src.product;
    const input = { product: p, story: r.src.story, assets, baseUrl: c.baseUrl, viewer: '../viewer/xoay-viewer.js', generator: GENERATOR };
    await writeFile(path.join(tmp, 'index.html'), productPage(input));
    await writeFile(path.join(tmp, 'embed.html'), embedSnippet(input));
    const stamp: Stamp = { version: 1, generator: GENERATOR, key: pageKey, stages: r.stages, product: p, thumb };
    await writeFile(path.join(tmp, STAMP), JSON.stringify(stamp, null, 2) + '\n');
    await site.putFolder(id, tmp, { move: true, last: ['embed.html', 'index.html', STAMP] });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The spin, photos and model files copied into the product folder; the poster and card pictures (the spin's first frame, else the first photo). */
async function copyStageFiles(tmp: string, made: StageOutputs): Promise<{ poster: PageImage; thumb: PageImage }> {
  let poster: PageImage;
  let thumb: PageImage;
  if (made.spin) {
    await copyTree(made.spin, path.join(tmp, 'spin'), (f) => !/^qa\.(html|json)$/.test(f));
    const manifest = JSON.parse((await made.spin.read('spin.json')).toString('utf8')) as SpinManifest;
    poster = spinPoster(manifest, 1200);
    thumb = spinPoster(manifest, 512);
  } else {
    await copyTree(made.photosEntry!, tmp, (f) => f !== 'photos.json');
    const first = made.photos[0]!;
    poster = { src: first.src, width: first.width, height: first.height };
    thumb = { src: first.thumb, width: first.thumbWidth, height: first.thumbHeight };
  }
  if (made.spin && made.photosEntry) await copyTree(made.photosEntry, tmp, (f) => f !== 'photos.json');
  if (made.model) {
    await mkdir(path.join(tmp, 'model'));
    for (const f of made.model.files) if (f.endsWith('.glb') && !f.includes('/')) await made.model.copyOut(f, path.join(tmp, 'model', f));
  }
  return { poster, thumb };
}

/** The JPEG of the first frame at the largest width ≤ `max` (else the smallest), for posters and cards. */
function spinPoster(m: SpinManifest, max: number): PageImage {
  const widths = [...m.widths].sort((a, b) => a - b);
  const w = [...widths].reverse().find((x) => x <= max) ?? widths[0]!;
  const frame = m.rows[0]!.frames[0]!.src[String(w)]!;
  const file = frame.jpeg ?? frame.webp ?? frame.avif!;
  return { src: `spin/${file}`, width: w, height: Math.round((w * m.height) / m.width) };
}

/** Copies the files of a finished cache entry into a local folder. */
async function copyTree(from: CacheEntry, to: string, keep: (rel: string) => boolean): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const rel of from.files) {
    if (!keep(rel)) continue;
    await mkdir(path.dirname(path.join(to, rel)), { recursive: true });
    await from.copyOut(rel, path.join(to, rel));
  }
}

/** The viewer, the catalogue page and (with --prune) removal of products not in this build (`included`: their ids). */
export async function writeSite(site: Storage, viewerDist: string, ids: string[], o: Pick<BuildOptions, 'prune' | 'title'>): Promise<void> {
  // The viewer: replaced only when it changed (a rebuild leaves the files and their dates alone).
  const viewerKey = await hashTree(viewerDist, await listFiles(viewerDist));
  const current = await site.read('viewer/.xoay-viewer-key').then(
    (b) => b.toString('utf8'),
    () => '',
  );
  if (current !== viewerKey) {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-viewer-'));
    try {
      await cp(viewerDist, tmp, { recursive: true, filter: (s) => !s.endsWith('.map') });
      await writeFile(path.join(tmp, '.xoay-viewer-key'), viewerKey);
      await site.putFolder('viewer', tmp, { move: true, last: ['.xoay-viewer-key'] });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  // A failed product keeps its last good page; --prune removes only products this build did not include.
  const included = new Set(ids);
  const entries: CatalogueEntry[] = [];
  for (const name of await site.list('')) {
    if (!name.endsWith('/') || name === 'viewer/') continue;
    const id = name.slice(0, -1);
    const stamp = await readStamp(site, id);
    if (!stamp) continue;
    if (o.prune && !included.has(id)) {
      await site.remove(name);
      continue;
    }
    entries.push({ product: stamp.product, thumb: `${id}/${stamp.thumb.src}`, thumbWidth: stamp.thumb.width, thumbHeight: stamp.thumb.height });
  }
  const index = cataloguePage(entries, { title: o.title, generator: GENERATOR });
  const before = await site.read('index.html').then(
    (b) => b.toString('utf8'),
    () => '',
  );
  if (before !== index) await site.writeAtomic('index.html', index);
}
