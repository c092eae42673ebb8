/**
 * `xoay preview`: a product folder (or a catalogue folder of them, or a site made by `xoay build`) shown as it will
 * be published, in a Vite dev server on 127.0.0.1, with a phone / tablet / desktop frame switch (its routes, and
 * what it refuses: pipeline/product/preview-server.ts).
 *
 * Product folders are built with `build()` into a temporary site (removed on close and on exit) whose base URL is the
 * server's own address. The product folders are watched; a change re-runs the build (incremental: only the stages
 * whose inputs changed) and reloads the open pages. A failed rebuild keeps the last good pages, shows Vite's error
 * overlay and a banner on the pages, and is reported as an event. A site folder is served as it is and reloads open
 * pages when it changes. The server listens on 127.0.0.1 unless another host is given, and warns when it can be
 * reached from other machines.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ErrorPayload, ViteDevServer } from 'vite';
import { XoayError, isXoayError } from '../core/errors.js';
import { assertInteger, invalid, withDefaults } from '../core/options.js';
import { BUILD_DEFAULTS, type BuildEvent, type BuildOptions, build, findProducts } from './build.js';
import { looksLikeSite } from './site.js';
import { frameSwitch } from './preview-frame.js';
import { previewPlugin, startVite } from './preview-server.js';
import { isUnfinished } from '../core/fsout.js';
import { isInside } from '../core/inside.js';
import { FolderStorage } from '../core/storage.js';
import { statInput } from '../core/input.js';
import { type PreviewStatus, type StatusFeed, statusFeed } from './preview-status.js';
import { type ChangeBatch, changeBatch, type RebuildQueue, rebuildQueue } from './preview-rebuilds.js';

const STAGE = 'preview';

export interface PreviewOptions {
  /** TCP port; 0 = any free port. A port in use is an error (no silent move to another: the printed URL stays true). */
  port: number;
  /** Address to listen on. Loopback only by default; an address reachable from other machines gets a warning. */
  host: string;
  /** Stage cache folder for the builds (as `xoay build --cache`). */
  cache: string;
  /** Further options for the builds (spin widths, model, title…); the base URL and the site folder are the preview's. */
  build: Partial<Omit<BuildOptions, 'baseUrl' | 'cache' | 'prune' | 'force'>>;
  /** Quiet time after the last change in a watched folder before the rebuild starts, in ms. */
  debounce: number;
}

export const PREVIEW_DEFAULTS: PreviewOptions = {
  port: 4174,
  host: '127.0.0.1',
  cache: BUILD_DEFAULTS.cache,
  build: {},
  debounce: 300,
};

/** Said whenever the server can be reached from other machines. */
export const BEYOND_LOOPBACK_WARNING = 'listening beyond this machine: anyone on the network can see these unpublished pages';

export type PreviewEvent =
  /** An event of a (re)build, as `build()` reports it. */
  | { type: 'build'; event: BuildEvent }
  | { type: 'listening'; url: string; network: string[] }
  | { type: 'warning'; message: string }
  /** Files changed in a watched folder (a rebuild follows after the quiet time). */
  | { type: 'change'; files: string[] }
  /** A build finished; `reloaded`: open pages were told to reload. */
  | { type: 'built'; built: number; reused: number; failed: number; seconds: number; reloaded: boolean }
  /** A build failed (the last good pages stay served). */
  | { type: 'error'; message: string };

export interface Preview {
  /** The address to open, e.g. http://127.0.0.1:4174/ */
  url: string;
  /** Vite's dev server (its `httpServer`, `ws`, `watcher`). */
  server: ViteDevServer;
  /** The folder being served: the temporary site (product mode) or the site given. */
  site: string;
  /** 'product': product folders built into a temporary site and rebuilt on change; 'site': a built site as it is. */
  mode: 'product' | 'site';
  status(): PreviewStatus;
  /** Re-runs the build now (product mode; waits for one in progress first) and returns the status after it. */
  rebuild(): Promise<PreviewStatus>;
  /** Stops watching and serving, and removes the temporary site. */
  close(): Promise<void>;
}

function validate(o: PreviewOptions): void {
  assertInteger(STAGE, '--port', o.port, 0, 65535);
  if (typeof o.host !== 'string' || o.host.trim() === '' || /[\s/]/.test(o.host))
    throw invalid(STAGE, '--host', 'an address or host name to listen on, e.g. 127.0.0.1', o.host);
  if (typeof o.cache !== 'string' || o.cache === '') throw invalid(STAGE, '--cache', 'a folder', o.cache);
  assertInteger(STAGE, 'debounce', o.debounce, 0, 60_000);
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/** Vite, loaded only when a preview starts (it is not needed by any other command). */
async function loadVite(): Promise<typeof import('vite')> {
  try {
    return await import('vite');
  } catch (e) {
    throw new XoayError(STAGE, 'INPUT_MISSING', `needs the vite package (npm install vite@8): ${(e as Error).message}`, undefined, { cause: e });
  }
}

export async function preview(target: string, opts: Partial<PreviewOptions> = {}, ctx: { onEvent?: (e: PreviewEvent) => void } = {}): Promise<Preview> {
  const o = withDefaults(PREVIEW_DEFAULTS, opts);
  validate(o);
  const emit = ctx.onEvent ?? (() => {});
  const { dir, mode, folders } = await readTarget(target);
  const { createServer } = await loadVite();
  const work = await openWork();
  const site = mode === 'site' ? await realpath(dir) : path.join(work.dir, 'site');
  const feed = statusFeed(mode === 'product' ? 'building' : 'ok');
  const framePage = frameSwitch(site, path.resolve(o.cache), feed.get, mode === 'product' && folders.length === 1);
  const plugin = previewPlugin({ site, feed, framePage, warn: (message) => emit({ type: 'warning', message }) });
  const cacheDir = path.resolve(o.cache);
  const server = await startVite(createServer, { site, work: work.dir, cacheDir, host: o.host, port: o.port, mode, plugin }).catch(async (e: unknown) => {
    await work.remove();
    throw e;
  });
  const url = announce(server, emit);
  const s: Session = { o, dir, site, cacheDir, url, server, feed, emit };
  const queue = rebuildQueue(siteBuilder(s));
  const batch = changeBatch(o.debounce, (files) => {
    emit({ type: 'change', files });
    if (mode === 'product') void queue.run();
    else reload(server);
  });
  if (mode === 'product') await queue.run();
  watch(s, mode, batch);
  return opened(s, mode, work, queue, batch);
}

/** The folder to preview: a site made by `xoay build` (served as it is), or product folders (their list). */
async function readTarget(target: string): Promise<{ dir: string; mode: 'product' | 'site'; folders: string[] }> {
  const dir = path.resolve(target);
  await statInput(STAGE, dir, {
    kind: 'folder',
    missing: 'no such folder',
    wrongKind: 'is not a folder (give a product folder, a catalogue folder or a site made by xoay build)',
  });
  if (await looksLikeSite(new FolderStorage(dir))) return { dir, mode: 'site', folders: [] };
  return { dir, mode: 'product', folders: await findProducts([dir], STAGE, ' (or a site made by xoay build)') };
}

/** Everything temporary in one folder (the site in product mode, Vite's cache folder), removed on exit too. */
interface Work {
  dir: string;
  /** Removes the folder now (and forgets the removal on exit). */
  remove(): Promise<void>;
}

async function openWork(): Promise<Work> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-preview-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  return {
    dir,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      process.removeListener('exit', cleanup);
    },
  };
}

/** The server's address (a `listening` event), with a warning when machines other than this one can reach it. */
function announce(server: ViteDevServer, emit: (e: PreviewEvent) => void): string {
  const address = server.httpServer!.address() as AddressInfo;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const hostForUrl = wildcard ? '127.0.0.1' : address.address;
  const url = `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${address.port}/`;
  if (!isLoopback(address.address)) emit({ type: 'warning', message: `${STAGE}: ${address.address}:${address.port}: ${BEYOND_LOOPBACK_WARNING}` });
  emit({ type: 'listening', url, network: server.resolvedUrls?.network ?? [] });
  return url;
}

/** What the steps after the server has started share. */
interface Session {
  o: PreviewOptions;
  /** The folder given (product mode: the product or catalogue folder). */
  dir: string;
  site: string;
  cacheDir: string;
  url: string;
  server: ViteDevServer;
  feed: StatusFeed;
  emit: (e: PreviewEvent) => void;
}

const reload = (server: ViteDevServer) => server.ws.send({ type: 'full-reload', path: '*' });

/** The rebuild task: the product folders built into the site, the status set, the open pages reloaded when they changed. */
function siteBuilder(s: Session): () => Promise<void> {
  let first = true;
  return async () => {
    const before = s.feed.get().state;
    s.feed.set({ state: 'building', products: s.feed.get().products, message: s.feed.get().message });
    try {
      const r = await build(
        [s.dir],
        s.site,
        { fidelity: false, ...s.o.build, baseUrl: s.url, cache: s.o.cache },
        { onEvent: (event) => s.emit({ type: 'build', event }) },
      );
      const products = r.products.map((pr) => ({ id: pr.id, status: pr.status, ...(pr.message ? { message: pr.message } : {}) }));
      const failures = r.products.filter((pr) => pr.status === 'failed').map((pr) => pr.message ?? `${pr.id} failed`);
      // Reload when a page changed, and when a failure's overlay and banner should go.
      const reloaded = !first && (r.built > 0 || (before === 'error' && failures.length === 0));
      if (failures.length) fail(s, failures.join('\n'), products);
      else s.feed.set({ state: 'ok', products });
      if (reloaded) reload(s.server);
      s.emit({ type: 'built', built: r.built, reused: r.reused, failed: r.failed, seconds: r.seconds, reloaded });
    } catch (e) {
      fail(s, isXoayError(e) ? e.message : `${STAGE}: ${s.dir}: ${(e as Error).message}`, s.feed.get().products);
    } finally {
      first = false;
    }
  };
}

/** A failed build: the status, an `error` event, and Vite's error overlay on the open pages. */
function fail(s: Session, message: string, products: PreviewStatus['products']): void {
  s.feed.set({ state: 'error', message, products });
  s.emit({ type: 'error', message });
  const err: ErrorPayload['err'] = {
    message: `${message}\n\nThe last good build is still shown; fix the product folder and it rebuilds.`,
    stack: '',
    plugin: 'xoay preview',
    id: s.dir,
  };
  s.server.ws.send({ type: 'error', err });
}

/** Changes to watch: the product folders (product mode), or the site's finished files (site mode). */
function watch(s: Session, mode: 'product' | 'site', batch: ChangeBatch): void {
  if (mode === 'product') {
    s.server.watcher.add(s.dir);
    s.server.watcher.on('all', (_event: string, file: string) => {
      if (isInside(file, s.dir) && !isInside(file, s.cacheDir) && !isInside(file, s.site)) batch.add(file);
    });
  } else {
    s.server.watcher.on('all', (_event: string, file: string) => {
      // Not the half-written folders of a build in progress (it renames them into place when done).
      if (isInside(file, s.site) && !isUnfinished(file)) batch.add(file);
    });
  }
}

/** The running preview, for the caller. */
function opened(s: Session, mode: 'product' | 'site', work: Work, queue: RebuildQueue, batch: ChangeBatch): Preview {
  let closed = false;
  return {
    url: s.url,
    server: s.server,
    site: s.site,
    mode,
    status: () => s.feed.get(),
    async rebuild() {
      if (mode === 'product') {
        await queue.running;
        await queue.run();
      }
      return s.feed.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      batch.close();
      // A build writing into the site while it is removed would leave files behind.
      await queue.close();
      s.feed.close();
      await s.server.close();
      await work.remove();
    },
  };
}
