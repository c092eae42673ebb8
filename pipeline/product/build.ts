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
 * content hash of its inputs and options (cache.ts), and each built product has a stamp with the key of
 * everything it was made from (in the site's build state, beside the cache: the site holds only what a visitor
 * may fetch; site.ts). A rebuild skips a product whose key has not changed (its files are not touched) and
 * re-runs only the stages whose inputs changed. Each product folder is assembled in a local scratch folder and
 * put into the site at once (`Storage.putFolder`: renamed into place on a folder; its pages last on a store
 * without a folder rename), then its stamp is written, so a killed build
 * never leaves a half-written product; the next build resumes from the cache. Every write to the site and
 * the cache goes through `Storage` (pipeline/core/storage.ts).
 *
 * One product failing (bad product.json, an unreadable frame) does not stop the others; the result
 * lists built, reused and failed products with their reasons.
 *
 * Here: the options, the product folders found, the build context and the build's steps; each product's stages
 * (their keys, cached or made) are in stages.ts, the site (marker, stamps, product folders, catalogue) in site.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { XoayError, isXoayError, oneLine } from '../core/errors.js';
import { FolderStorage, type Storage } from '../core/storage.js';
import { assertInteger, invalid, withDefaults } from '../core/options.js';
import { mapLimit } from '../core/pool.js';
import { checkSignal } from '../core/run.js';
import { VERSION } from '../core/version.js';
import type { ModelOptions } from '../model/model.js';
import type { IsolateOptions } from '../model/isolate.js';
import { isInside } from '../core/inside.js';
import { statInput } from '../core/input.js';
import type { ReconstructOptions } from '../reconstruct/reconstruct.js';
import type { SpinOptions } from '../spin/spin.js';
import { key, openCache, type StageCache } from './cache.js';
import { productUrl } from './page.js';
import { isProductFolder, PRODUCT_FILES, type ProductSource, readProduct } from './product.js';
import { openTurntableRenderer, type RenderOptions, type TurntableRenderer } from '../render/render.js';
import { assembleProduct, prepareSite, publishedStamp, type SiteState, siteState, writeSite } from './site.js';
import {
  type BuildEvent,
  codeKeys,
  modelStage,
  packageRoot,
  photosStage,
  type ProductContext,
  reconstructStage,
  renderStage,
  spinStage,
  type StageRun,
  stageKeys,
} from './stages.js';

const STAGE = 'build';

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
  /** Write model.usdz (AR Quick Look, pipeline/render/usdz.ts) beside each product's model.glb; the page's viewer gets ios-src. */
  usdz: boolean;
  /**
   * Render each product's compressed model against its source (9 views, SSIM: pipeline/render/fidelity.ts) in the
   * build's browser; model.json gets `fidelity`, and a model that misses the threshold is made again with the stricter
   * settings `xoay model --fidelity` backs off to. The build warns when it still misses.
   */
  fidelity: boolean;
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
  usdz: true,
  fidelity: true,
  force: false,
  trustedRoots: [],
  isolate: {},
};

export type { BuildEvent, StageName } from './stages.js';

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
  /** The site's build state (stamps), beside the cache: not in the site. */
  state: SiteState;
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
  return openChecked(site, buildOptions(opts), ctx);
}

/** The options with their defaults, checked. */
function buildOptions(opts: Partial<BuildOptions>): BuildOptions {
  const o = withDefaults(BUILD_DEFAULTS, opts);
  validate(o);
  return o;
}

/** openBuild with options already checked (buildOptions). */
async function openChecked(site: string, o: BuildOptions, ctx: { jobs?: number; storage?: BuildStorage; signal?: AbortSignal }): Promise<BuildContext> {
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
    state: siteState(storage.cache, storage.site),
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
      usdz: o.usdz,
      fidelity: o.fidelity,
      renderOptions: o.render,
      reconstructOptions: o.reconstruct,
      trustedRoots: o.trustedRoots,
      isolate: o.isolate,
      signal: ctx.signal,
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
  const r = await buildProduct(source, b, emit);
  emit({ type: 'done', id, status: r.status, seconds: (performance.now() - start) / 1000, ran: r.ran });
  return { id, folder, status: r.status, ran: r.ran, seconds: (performance.now() - start) / 1000, url: productUrl(b.baseUrl, id) };
}

export async function build(
  inputs: string[],
  site: string,
  opts: Partial<BuildOptions>,
  ctx: { onEvent?: (e: BuildEvent) => void; storage?: BuildStorage; signal?: AbortSignal } = {},
): Promise<BuildResult> {
  const o = buildOptions(opts);
  const emit = ctx.onEvent ?? (() => {});
  const t0 = performance.now();
  const siteDir = path.resolve(site);
  const folders = await findProducts(inputs);
  checkSiteOutsideInputs(folders, siteDir);
  checkSignal(ctx.signal, STAGE);
  const storage = ctx.storage ?? defaultStorage(siteDir, o.cache);
  const { migrated } = await prepareSite(storage.site, siteState(storage.cache, storage.site), siteDir, o.force);
  if (migrated)
    emit({ type: 'warning', id: '-', message: `${siteDir}: made by an earlier xoay; its build state (.xoay-*.json) moved out of the site, beside the cache` });
  const b = await openChecked(site, o, { storage, signal: ctx.signal });
  let results: ProductResult[];
  try {
    // Cancelled: the products finished so far stay (each whole, as after a killed build), the catalogue page is not rewritten.
    const sources = await readSources(folders, o.trustedRoots);
    results = await buildAll(b, sources, emit);
    checkSignal(ctx.signal, STAGE);
    await writeSiteOf(b, sources, results, emit);
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

/** A product folder read: its source, or why it could not be read. */
interface ReadFolder {
  folder: string;
  source?: ProductSource;
  error?: Error;
}

/** Every product read first: duplicate ids are refused for both folders before anything is built. */
function readSources(folders: string[], trustedRoots: string[]): Promise<ReadFolder[]> {
  return Promise.all(
    folders.map(async (folder) => {
      try {
        return { folder, source: await readProduct(folder, { trustedRoots }) };
      } catch (e) {
        return { folder, error: e as Error };
      }
    }),
  );
}

/** The folders of each product id (more than one is a duplicate id). */
function foldersById(sources: ReadFolder[]): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const s of sources) if (s.source) byId.set(s.source.product.id, [...(byId.get(s.source.product.id) ?? []), s.folder]);
  return byId;
}

/** Every product built (`b.jobs` at a time); one failing is a failed result, not the build's error. */
function buildAll(b: BuildContext, sources: ReadFolder[], emit: (e: BuildEvent) => void): Promise<ProductResult[]> {
  const byId = foldersById(sources);
  return mapLimit(sources, b.jobs, async (s): Promise<ProductResult> => {
    checkSignal(b.product.signal, STAGE);
    const start = performance.now();
    const id = s.source?.product.id ?? path.basename(s.folder);
    try {
      return await buildProductFolder(b, s.folder, emit, { ...s, twins: s.source ? byId.get(id) : undefined });
    } catch (e) {
      checkSignal(b.product.signal, STAGE); // the build is cancelled: not this product's failure
      const message = failureMessage(e, s.folder);
      emit({ type: 'failed', id, folder: s.folder, message });
      return { id, folder: s.folder, status: 'failed', ran: [], seconds: (performance.now() - start) / 1000, message };
    }
  });
}

/** The viewer and catalogue page written; --prune only when every product could be read. */
async function writeSiteOf(b: BuildContext, sources: ReadFolder[], results: ProductResult[], emit: (e: BuildEvent) => void): Promise<void> {
  // A product whose facts are broken is known by its folder, not its id, and its last good page must stay.
  const unread = sources.filter((s) => !s.source).length;
  if (b.o.prune && unread) emit({ type: 'warning', id: '-', message: `--prune skipped: ${unread} product(s) could not be read` });
  await writeSite(
    b.site,
    b.state,
    b.viewerDist,
    results.map((r) => r.id),
    { ...b.o, prune: b.o.prune && unread === 0 },
  );
}

/**
 * One product into the site: reused when the key of everything it is made from matches its stamp's; else its stages
 * (each from the cache when its key is there) and its folder assembled and put into the site.
 */
async function buildProduct(src: ProductSource, b: BuildContext, emit: (e: BuildEvent) => void): Promise<{ status: 'built' | 'reused'; ran: string[] }> {
  const c = b.product;
  const stages = await stageKeys(src, c);
  const pageKey = key('page', VERSION, c.code.page, src.product, src.story ?? '', c.baseUrl, stages);
  const old = await publishedStamp(b.site, b.state, src.product.id);
  if (old?.key === pageKey) return { status: 'reused', ran: [] };
  const r: StageRun = { src, c, id: src.product.id, stages, emit, ran: [] };
  let spinEntry = stages.spin ? await spinStage(r) : undefined;
  let modelEntry = stages.model ? await modelStage(r) : undefined;
  if (stages.reconstruct) modelEntry = (await reconstructStage(r)) ?? modelEntry;
  if (stages.render) spinEntry = await renderStage(r, modelEntry!);
  const photos = stages.photos ? await photosStage(r) : { photos: [] };
  await assembleProduct(r, b.site, b.state, pageKey, { spin: spinEntry, model: modelEntry, ...photos });
  return { status: 'built', ran: r.ran };
}
