/**
 * The site `xoay build` writes (pipeline/product/build.ts): the site folder's marker, each product folder assembled
 * from its stages' outputs with its pages, QR codes and stamp, and the viewer and catalogue page.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Product } from '../../schema/product.js';
import type { SpinManifest } from '../../schema/spin.js';
import { XoayError } from '../core/errors.js';
import { FolderStorage, type Storage } from '../core/storage.js';
import { VERSION } from '../core/version.js';
import { type CacheEntry, hashTree, listFiles } from './cache.js';
import { type CatalogueEntry, cataloguePage } from './catalogue.js';
import { embedSnippet, type PageAssets, type PageImage, productPage, productUrl } from './page.js';
import type { PublishedPhoto } from './photos.js';
import { qrPng, qrSvg } from './qr.js';
import type { StageRun } from './stages.js';

const STAGE = 'build';
const GENERATOR = `xoay ${VERSION}`;
/** The stamp in each built product folder. */
export const STAMP = '.xoay-product.json';
/** The marker of a site folder made by `xoay build`. */
export const SITE_MARKER = '.xoay-site.json';

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

/** The stamp of the product `id` in the site, or undefined when there is none (or it cannot be read). */
export async function readStamp(site: Storage, id: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse((await site.read(`${id}/${STAMP}`)).toString('utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** What the stages made for one product (each missing when the product has no such stage). */
export interface StageOutputs {
  spin?: CacheEntry;
  model?: CacheEntry;
  photosEntry?: CacheEntry;
  photos: PublishedPhoto[];
}

/** The product folder assembled in the scratch folder, then put into the site at once (its pages and stamp last). */
export async function assembleProduct(r: StageRun, site: Storage, pageKey: string, made: StageOutputs): Promise<void> {
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
export async function writeSite(site: Storage, viewerDist: string, ids: string[], o: { prune: boolean; title: string }): Promise<void> {
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
