/**
 * The site `xoay build` writes (pipeline/product/build.ts): each product folder assembled from its stages' outputs with
 * its pages and QR codes, the viewer and catalogue page; and the site's build state (marker, stamps) beside the cache.
 */
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Product } from '../../schema/product.js';
import type { SpinManifest } from '../../schema/spin.js';
import { XoayError } from '../core/errors.js';
import { FolderStorage, type Storage } from '../core/storage.js';
import { VERSION } from '../core/version.js';
import { type CacheEntry, hashTree, key, listFiles } from './cache.js';
import { type CatalogueEntry, cataloguePage } from './catalogue.js';
import { embedSnippet, type PageAssets, type PageImage, productPage, productUrl } from './page.js';
import type { PublishedPhoto } from './photos.js';
import { qrPng, qrSvg } from './qr.js';
import type { StageRun } from './stages.js';

const STAGE = 'build';
const GENERATOR = `xoay ${VERSION}`;

/**
 * A site's build state: the site marker, each product's stamp (the key of everything it was made from, and what the
 * catalogue needs) and the viewer's key. It lives beside the stage cache, in its storage under `sites/<key of the
 * site's address>/`, never in the site: a web server publishes the site folder as it is, and only what a visitor may
 * fetch belongs there (no dot-file, nothing that names a machine's paths or the build's keys).
 */
export interface SiteState {
  /** The storage holding it (the stage cache's). */
  readonly store: Storage;
  /** Its prefix in the storage, ending in '/'. */
  readonly prefix: string;
}

/** The state of the site `site`, kept in the cache's storage. */
export function siteState(cache: Storage, site: Storage): SiteState {
  return { store: cache, prefix: `sites/${key('site', site.root)}/` };
}

/** The state's marker: the site was prepared by `xoay build` (its address, for whoever looks into the cache). */
const STATE_MARKER = 'site.json';
const stampName = (state: SiteState, id: string) => `${state.prefix}products/${id}.json`;
const viewerKeyName = (state: SiteState) => `${state.prefix}viewer.key`;

/** What an earlier version kept in the site itself (published by any web server): moved out by `prepareSite`. */
export const LEGACY = { site: '.xoay-site.json', stamp: '.xoay-product.json', viewerKey: 'viewer/.xoay-viewer-key' } as const;

/** What a built product remembers (its key, and what the catalogue needs). */
interface Stamp {
  version: 1;
  generator: string;
  key: string;
  stages: Record<string, string>;
  product: Product;
  /** The card picture, relative to the product folder. */
  thumb: PageImage;
}

/**
 * Whether a folder holds a site `xoay build` made, from what it publishes (its catalogue page's generator), or the
 * marker of an earlier version: for a site whose state is not in this cache (another --cache, the cache deleted).
 */
export async function looksLikeSite(site: Storage): Promise<boolean> {
  if (await site.exists(LEGACY.site)) return true;
  const index = await site.read('index.html').then(
    (b) => b.toString('utf8', 0, 4096),
    () => '',
  );
  return /<meta name="generator" content="xoay [^"]*">/.test(index) && (await site.exists('viewer/xoay-viewer.js'));
}

/**
 * Refuses to write into a folder that is not a Xoay site (unless forced) or cannot be written; clears what a killed
 * build left; moves an earlier version's state out of the site. Returns whether it did (the build says so).
 */
export async function prepareSite(site: Storage, state: SiteState, siteDir: string, force: boolean): Promise<{ migrated: boolean }> {
  await checkWritable(site, siteDir);
  const legacy = await site.exists(LEGACY.site);
  const ours = legacy || (await state.store.exists(state.prefix + STATE_MARKER)) || (await site.list('')).length === 0 || (await looksLikeSite(site));
  if (!ours && !force) {
    throw new XoayError(STAGE, 'OUTPUT_EXISTS', 'the folder exists and was not made by `xoay build`; choose another or pass --force to build into it', siteDir);
  }
  // A product put in place by renames and interrupted between them: the old one is put back.
  if (site instanceof FolderStorage) await site.tidy();
  try {
    if (!(await state.store.exists(state.prefix + STATE_MARKER)))
      await state.store.writeAtomic(state.prefix + STATE_MARKER, JSON.stringify({ generator: GENERATOR, site: site.root }) + '\n');
    if (legacy) await moveLegacyState(site, state);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', `cannot write the site's build state in the cache (${why}); check --cache`, state.store.root, { cause: e });
  }
  return { migrated: legacy };
}

/** A site folder that cannot be made or written is refused before any product is built (one line, not one per product). */
async function checkWritable(site: Storage, siteDir: string): Promise<void> {
  if (!(site instanceof FolderStorage)) return;
  try {
    await mkdir(site.dir, { recursive: true });
    await access(site.dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file stands where a folder of its path should be' : (code ?? String(e));
    throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', `cannot write the site folder (${why})`, siteDir, { cause: e });
  }
}

/**
 * A site an earlier version wrote kept its stamps in the product folders and its marker at the top, where any web
 * server published them: each stamp is moved to the state (one already there is newer and kept), then the viewer's
 * key, then the marker last, so a move that is interrupted is finished by the next build. The pages are not touched.
 */
async function moveLegacyState(site: Storage, state: SiteState): Promise<void> {
  for (const name of await site.list('')) {
    if (!name.endsWith('/')) continue;
    const id = name.slice(0, -1);
    const old = `${id}/${LEGACY.stamp}`;
    const bytes = await site.read(old).catch(() => undefined);
    if (!bytes) continue;
    if (!(await state.store.exists(stampName(state, id)))) await state.store.writeAtomic(stampName(state, id), bytes);
    await site.remove(old);
  }
  await site.remove(LEGACY.viewerKey);
  await site.remove(LEGACY.site);
}

/** The stamp of the product `id`, or undefined when there is none (or it cannot be read). */
export async function readStamp(state: SiteState, id: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse((await state.store.read(stampName(state, id))).toString('utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** The stamp of the product `id` when its page is in the site (a folder removed by hand is built again). */
export async function publishedStamp(site: Storage, state: SiteState, id: string): Promise<Stamp | undefined> {
  const stamp = await readStamp(state, id);
  return stamp && (await site.exists(`${id}/index.html`)) ? stamp : undefined;
}

/** What the stages made for one product (each missing when the product has no such stage). */
export interface StageOutputs {
  spin?: CacheEntry;
  model?: CacheEntry;
  photosEntry?: CacheEntry;
  photos: PublishedPhoto[];
}

/** The product folder assembled in the scratch folder, then put into the site at once (its pages last), then its stamp. */
export async function assembleProduct(r: StageRun, site: Storage, state: SiteState, pageKey: string, made: StageOutputs): Promise<void> {
  const { c, id } = r;
  r.emit({ type: 'product', id, stage: 'page' });
  await mkdir(c.scratch, { recursive: true });
  const tmp = await mkdtemp(path.join(c.scratch, `${id}-`));
  try {
    const { poster, thumb, manifest } = await copyStageFiles(tmp, made);
    const url = productUrl(c.baseUrl, id);
    await writeFile(path.join(tmp, 'qr.svg'), await qrSvg(url));
    await writeFile(path.join(tmp, 'qr.png'), await qrPng(url));
    const assets: PageAssets = {
      spin: made.spin ? 'spin/spin.json' : undefined,
      spinManifest: manifest,
      spinFromModel: Boolean(r.stages.render),
      model: made.model ? 'model/model.glb' : undefined,
      ...(made.model?.files.includes('model.usdz') ? { iosSrc: 'model/model.usdz' } : {}),
      poster,
      photos: made.photos.map((ph) => ({ src: ph.src, thumb: ph.thumb, width: ph.thumbWidth, height: ph.thumbHeight })),
      qr: 'qr.svg',
    };
    const p = r.src.product;
    const input = { product: p, story: r.src.story, assets, baseUrl: c.baseUrl, viewer: '../viewer/xoay-viewer.js', generator: GENERATOR };
    await writeFile(path.join(tmp, 'index.html'), productPage(input));
    await writeFile(path.join(tmp, 'embed.html'), embedSnippet(input));
    await site.putFolder(id, tmp, { move: true, last: ['embed.html', 'index.html'] });
    // The stamp after the folder: the commit point (the reuse check and the catalogue trust a product that has one).
    const stamp: Stamp = { version: 1, generator: GENERATOR, key: pageKey, stages: r.stages, product: p, thumb };
    await state.store.writeAtomic(stampName(state, id), JSON.stringify(stamp, null, 2) + '\n');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The spin, photos and model files copied into the product folder; the poster and card pictures (the spin's first frame, else the first photo). */
async function copyStageFiles(tmp: string, made: StageOutputs): Promise<{ poster: PageImage; thumb: PageImage; manifest?: SpinManifest }> {
  let poster: PageImage;
  let thumb: PageImage;
  let manifest: SpinManifest | undefined;
  if (made.spin) {
    await copyTree(made.spin, path.join(tmp, 'spin'), (f) => !/^qa\.(html|json)$/.test(f));
    manifest = JSON.parse((await made.spin.read('spin.json')).toString('utf8')) as SpinManifest;
    poster = spinPoster(manifest, 1200, true);
    thumb = spinPoster(manifest, 512);
  } else {
    await copyTree(made.photosEntry!, tmp, (f) => f !== 'photos.json');
    const first = made.photos[0]!;
    poster = {
      src: first.src,
      width: first.width,
      height: first.height,
      srcset: [
        { src: first.thumb, width: first.thumbWidth },
        { src: first.src, width: first.width },
      ].filter((c, i, all) => i === all.length - 1 || c.width < first.width),
    };
    thumb = { src: first.thumb, width: first.thumbWidth, height: first.thumbHeight };
  }
  if (made.spin && made.photosEntry) await copyTree(made.photosEntry, tmp, (f) => f !== 'photos.json');
  if (made.model) {
    await mkdir(path.join(tmp, 'model'));
    for (const f of made.model.files) if (/\.(glb|usdz)$/.test(f) && !f.includes('/')) await made.model.copyOut(f, path.join(tmp, 'model', f));
  }
  return { poster, thumb, manifest };
}

/**
 * The JPEG of the first frame at the largest width ≤ `max` (else the smallest), for posters and cards; with `srcset`,
 * the first frame at every width of the spin's ladder too (the page's poster `<img>` picks the one that fits).
 */
function spinPoster(m: SpinManifest, max: number, srcset = false): PageImage {
  const widths = [...m.widths].sort((a, b) => a - b);
  const w = [...widths].reverse().find((x) => x <= max) ?? widths[0]!;
  const file = (width: number) => {
    const frame = m.rows[0]!.frames[0]!.src[String(width)]!;
    return `spin/${frame.jpeg ?? frame.webp ?? frame.avif!}`;
  };
  const poster: PageImage = { src: file(w), width: w, height: Math.round((w * m.height) / m.width) };
  if (srcset && widths.length > 1) poster.srcset = widths.filter((x) => m.rows[0]!.frames[0]!.src[String(x)]).map((x) => ({ src: file(x), width: x }));
  return poster;
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

/** The viewer, the catalogue page and (with --prune) removal of products not in this build (`ids`: those it included). */
export async function writeSite(site: Storage, state: SiteState, viewerDist: string, ids: string[], o: { prune: boolean; title: string }): Promise<void> {
  await writeViewer(site, state, viewerDist);
  // A failed product keeps its last good page; --prune removes only products this build did not include.
  const included = new Set(ids);
  const entries: CatalogueEntry[] = [];
  for (const name of await site.list('')) {
    if (!name.endsWith('/') || name === 'viewer/') continue;
    const id = name.slice(0, -1);
    const stamp = await publishedStamp(site, state, id);
    if (!stamp) continue;
    if (o.prune && !included.has(id)) {
      await site.remove(name);
      await state.store.remove(stampName(state, id));
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

/** The viewer: replaced only when it changed (a rebuild leaves the files and their dates alone); its key in the state. */
async function writeViewer(site: Storage, state: SiteState, viewerDist: string): Promise<void> {
  const viewerKey = await hashTree(viewerDist, await listFiles(viewerDist));
  const current = await state.store.read(viewerKeyName(state)).then(
    (b) => b.toString('utf8'),
    () => '',
  );
  if (current === viewerKey && (await site.exists('viewer/xoay-viewer.js'))) return;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-viewer-'));
  try {
    await cp(viewerDist, tmp, { recursive: true, filter: (f) => !f.endsWith('.map') });
    await site.putFolder('viewer', tmp, { move: true, last: ['xoay-viewer.js'] });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await state.store.writeAtomic(viewerKeyName(state), viewerKey);
}
