/**
 * `xoay preview`: a product folder (or a catalogue folder of them, or a site made by `xoay build`) shown as it will
 * be published, in a Vite dev server on 127.0.0.1, with a phone / tablet / desktop frame switch.
 *
 *   /                     a browser's top-level visit goes to the frame switch (inside the frame, `/` is the catalogue)
 *   /__xoay/preview       the frame switch: the product page in an iframe at phone, tablet or desktop size
 *   /__xoay/events        the build status for the frame switch (server-sent events)
 *   /<id>/, /index.html   the site's pages as built, with Vite's client injected (it reloads them after a rebuild)
 *   /viewer/…, spin/…     every other file of the site byte for byte: Vite's transforms would rewrite the prebuilt
 *                         viewer (dynamic imports, `new URL(…, import.meta.url)` decoder paths, inline source maps)
 *   /@vite/client, /@vite/env, /@fs/<vite>/dist/client/env.mjs    Vite's client, the only paths Vite itself answers
 *
 * Product folders are built with `build()` into a temporary site (removed on close and on exit) whose base URL is the
 * server's own address. The product folders are watched; a change re-runs the build (incremental: only the stages
 * whose inputs changed) and reloads the open pages. A failed rebuild keeps the last good pages, shows Vite's error
 * overlay and a banner on the pages, and is reported as an event. A site folder is served as it is and reloads open
 * pages when it changes.
 *
 * Only the site's files are served: one middleware in front of Vite's answers every request, and only the client
 * paths above go on to Vite. Anything else is 404 (not 403: nothing says what exists): `..` segments however encoded,
 * backslashes, NUL, `%` left after decoding, dot-files, `/@fs/`, `/@id/` and other Vite paths, `?raw` / `?import`
 * tricks (no query reaches Vite), and files whose real path (symbolic links followed) is outside the site. The server
 * listens on 127.0.0.1 unless another host is given, and warns when it can be reached from other machines.
 */
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ErrorPayload, Plugin, ViteDevServer } from 'vite';
import { XoayError, isXoayError } from '../core/errors.js';
import { isInside } from '../core/inside.js';
import { assertInteger, invalid, withDefaults } from '../core/options.js';
import { decodeUrlPath, MIME_TYPES, mimeType } from '../core/static-server.js';
import { BUILD_DEFAULTS, type BuildEvent, type BuildOptions, build, findProducts, SITE_MARKER, STAMP } from './build.js';
import { escapeHtml } from '../core/html.js';

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

/** The frame switch's sizes (CSS pixels). */
export const FRAMES = [
  { name: 'Phone', width: 390, height: 844 },
  { name: 'Tablet', width: 820, height: 1180 },
  { name: 'Desktop', width: 1366, height: 800 },
] as const;

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

export interface PreviewStatus {
  state: 'building' | 'ok' | 'error';
  /** The failures of the last build, one per line. */
  message?: string;
  /** Products of the last build (product mode) with what happened to them. */
  products: { id: string; status: 'built' | 'reused' | 'failed'; message?: string }[];
  /** When the state last changed (ISO time). */
  at: string;
}

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

/** Whether `p` is `dir` or inside it. */
const inside = (dir: string, p: string) => isInside(p, dir);

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

/** The path Vite's client imports its environment from (`/@fs/…/vite/dist/client/env.mjs`). */
function viteClientEnvPath(): string {
  const file = createRequire(import.meta.url).resolve('vite/dist/client/env.mjs');
  return `/@fs/${file.split(path.sep).join('/').replace(/^\/+/, '')}`;
}

/** A message without its "stage: file: " head (to re-state a build error as the preview's). */
function bare(e: XoayError): string {
  const head = `${e.stage}: ${e.file ? `${e.file}: ` : ''}`;
  return e.message.startsWith(head) ? e.message.slice(head.length) : e.message;
}

export async function preview(target: string, opts: Partial<PreviewOptions> = {}, ctx: { onEvent?: (e: PreviewEvent) => void } = {}): Promise<Preview> {
  const o = withDefaults(PREVIEW_DEFAULTS, opts);
  validate(o);
  const emit = ctx.onEvent ?? (() => {});
  const dir = path.resolve(target);
  let s;
  try {
    s = await stat(dir);
  } catch {
    throw new XoayError(STAGE, 'INPUT_MISSING', 'no such folder', dir);
  }
  if (!s.isDirectory())
    throw new XoayError(STAGE, 'INPUT_MISSING', 'is not a folder (give a product folder, a catalogue folder or a site made by xoay build)', dir);
  let mode: 'product' | 'site' = 'product';
  try {
    await stat(path.join(dir, SITE_MARKER));
    mode = 'site';
  } catch {
    // not a site: a product or catalogue folder
  }
  let folders: string[] = [];
  if (mode === 'product') {
    try {
      folders = await findProducts([dir]);
    } catch (e) {
      if (isXoayError(e)) throw new XoayError(STAGE, e.code, `${bare(e)} (or a site made by xoay build)`, e.file ?? dir, { cause: e });
      throw e;
    }
  }
  const { createServer } = await loadVite();

  // Everything temporary in one folder: the site (product mode) and Vite's cache folder.
  const work = await mkdtemp(path.join(os.tmpdir(), 'xoay-preview-'));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  process.once('exit', cleanup);
  const site = mode === 'site' ? await realpath(dir) : path.join(work, 'site');
  const cacheDir = path.resolve(o.cache);

  let status: PreviewStatus = { state: mode === 'product' ? 'building' : 'ok', products: [], at: new Date().toISOString() };
  const streams = new Set<ServerResponse>();
  const setStatus = (next: Omit<PreviewStatus, 'at'>) => {
    status = { ...next, at: new Date().toISOString() };
    const line = `data: ${JSON.stringify(status)}\n\n`;
    for (const r of streams) r.write(line);
  };

  const envPath = viteClientEnvPath();
  const guard: Plugin = {
    name: 'xoay-preview',
    configureServer(server) {
      // Added before Vite's own middlewares: every request is answered here but Vite's client.
      server.middlewares.use((req, res, next) => {
        handle(req, res, next).catch((e: unknown) => {
          emit({ type: 'warning', message: `${STAGE}: ${req.url}: ${(e as Error).message}` });
          if (!res.headersSent) notFound(req, res);
          else res.destroy();
        });
      });
    },
    transformIndexHtml: {
      order: 'post',
      handler() {
        if (status.state !== 'error') return [];
        const text = `xoay preview: the last build failed; this is the last good build.\n${status.message ?? ''}`;
        return [
          {
            tag: 'div',
            attrs: {
              role: 'alert',
              'data-xoay-preview-error': '',
              style:
                'position:sticky;top:0;z-index:2147483647;margin:0;padding:.6em 1em;background:#b91c1c;color:#fff;font:14px/1.4 system-ui,sans-serif;white-space:pre-wrap',
            },
            children: escapeHtml(text),
            injectTo: 'body-prepend',
          },
        ];
      },
    },
  };

  let server: ViteDevServer;
  let viteServer: ViteDevServer | undefined;

  /** The one request handler: Vite's client goes on to Vite; the site's files are served here; everything else 404. */
  async function handle(req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void): Promise<void> {
    const raw = req.url ?? '';
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    if (!rawPath.startsWith('/') || rawPath.startsWith('//')) return notFound(req, res);
    const p = decodeUrlPath(rawPath);
    if (p === null) return notFound(req, res);
    // Vite's reconnect ping (any path, this accept header).
    if (req.headers.accept === 'text/x-vite-ping') return void res.writeHead(204).end();
    if (/[\\\0%]/.test(p) || p.split('/').some((seg) => seg === '..' || seg === '.' || seg.startsWith('.'))) return notFound(req, res);
    // Vite's client (no query: a query is how Vite is asked for raw or transformed versions of files).
    if (p === '/@vite/client' || p === '/@vite/env' || p === envPath) return query === '' && req.method === 'GET' ? next() : notFound(req, res);
    if (p === '/__xoay/preview') return framePage(req, res, new URLSearchParams(query).get('page'));
    if (p === '/__xoay/events') return events(req, res);
    if (p.startsWith('/@') || p.startsWith('/__')) return notFound(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(req, res);
    // A top-level visit to / shows the frame switch; inside it (the iframe, links from the pages) / is the catalogue.
    const dest = req.headers['sec-fetch-dest'];
    if (p === '/' && dest !== 'iframe' && dest !== 'frame') return void res.writeHead(302, { location: '/__xoay/preview', 'cache-control': 'no-store' }).end();

    let file = path.join(site, p);
    if (!inside(site, file)) return notFound(req, res);
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return notFound(req, res);
    }
    if (!inside(site, real)) return notFound(req, res);
    let st = await stat(real);
    if (st.isDirectory()) {
      if (!p.endsWith('/')) return void res.writeHead(301, { location: `${encodeURI(p)}/${q < 0 ? '' : `?${query}`}`, 'cache-control': 'no-store' }).end();
      file = path.join(real, 'index.html');
      try {
        real = await realpath(file);
      } catch {
        return notFound(req, res);
      }
      if (!inside(site, real)) return notFound(req, res);
      st = await stat(real);
    }
    if (!st.isFile()) return notFound(req, res);
    const ext = path.extname(real).toLowerCase();
    if (ext === '.html') {
      // Pages go through Vite's HTML transform: its client (reload, error overlay) and the failure banner.
      const page = await server.transformIndexHtml(p.endsWith('/') ? `${p}index.html` : p, await readFile(real, 'utf8'), raw);
      return send(req, res, 200, page, MIME_TYPES['.html']!);
    }
    res.writeHead(200, { 'content-type': mimeType(real), 'content-length': st.size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve, reject) => {
      createReadStream(real).on('error', reject).on('end', resolve).pipe(res);
    });
  }

  function send(req: IncomingMessage, res: ServerResponse, code: number, body: string, type: string): void {
    const buf = Buffer.from(body);
    res.writeHead(code, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  function notFound(req: IncomingMessage, res: ServerResponse): void {
    // A page shown in a browser carries Vite's client, so it reloads when a build makes it exist.
    const dest = req.headers['sec-fetch-dest'];
    const page = dest === 'document' || dest === 'iframe';
    const body = page
      ? '<!doctype html><meta charset="utf-8"><title>Not found</title><script type="module" src="/@vite/client"></script><p>Not found (xoay preview).</p>\n'
      : 'not found\n';
    send(req, res, 404, body, page ? MIME_TYPES['.html']! : 'text/plain; charset=utf-8');
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(status)}\n\n`);
    streams.add(res);
    req.on('close', () => streams.delete(res));
  }

  /** The products in the served site (from their stamps), for the frame switch's links. */
  async function siteProducts(): Promise<{ id: string; name: string }[]> {
    const out: { id: string; name: string }[] = [];
    let entries;
    try {
      entries = await readdir(site, { withFileTypes: true });
    } catch {
      return out;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'viewer') continue;
      try {
        const stamp = JSON.parse(await readFile(path.join(site, e.name, STAMP), 'utf8')) as { product?: { name?: { vi?: string } } };
        out.push({ id: e.name, name: stamp.product?.name?.vi ?? e.name });
      } catch {
        // not a product folder
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async function framePage(req: IncomingMessage, res: ServerResponse, asked: string | null): Promise<void> {
    const products = await siteProducts();
    const single = mode === 'product' && folders.length === 1 ? (status.products[0]?.id ?? products[0]?.id) : undefined;
    // Only a path on this server may be framed.
    const start = asked && /^\/(?![/\\])[^\s"'<>]*$/.test(asked) ? asked : single ? `/${single}/` : '/index.html';
    send(req, res, 200, frameHtml(start, products, status), MIME_TYPES['.html']!);
  }

  try {
    viteServer = await createServer({
      root: site,
      base: '/',
      configFile: false,
      envDir: false,
      publicDir: false,
      cacheDir: path.join(work, 'vite'),
      appType: 'mpa',
      clearScreen: false,
      logLevel: 'silent',
      plugins: [guard],
      // The pages use the prebuilt viewer: nothing to discover or pre-bundle.
      optimizeDeps: { noDiscovery: true, include: [], entries: [] },
      server: {
        host: o.host,
        port: o.port,
        strictPort: true,
        cors: false,
        open: false,
        preTransformRequests: false,
        fs: { strict: true, allow: [site] },
        // Product mode: the site is written by our builds (we reload after each); the product folders are added below.
        watch: {
          ignored: (p: string) =>
            (mode === 'product' && inside(site, p)) || inside(cacheDir, p) || inside(work, p) || /(^|[/\\])(\.git|node_modules)([/\\]|$)/.test(p),
        },
      },
    });
    server = viteServer;
    try {
      await server.listen();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE' || /already in use/i.test(err.message))
        throw new XoayError(STAGE, 'PORT_IN_USE', `port ${o.port} is in use: choose another with --port (0 = any free port)`, undefined, { cause: e });
      if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
        throw new XoayError(STAGE, 'BAD_OPTION', `cannot listen on ${o.host}: not an address of this machine (option --host)`, undefined, { cause: e });
      throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', `cannot listen on ${o.host}:${o.port}: ${err.message}`, undefined, { cause: e });
    }
  } catch (e) {
    await viteServer?.close().catch(() => {});
    process.removeListener('exit', cleanup);
    cleanup();
    throw e;
  }

  const address = server.httpServer!.address() as AddressInfo;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const hostForUrl = wildcard ? '127.0.0.1' : address.address;
  const url = `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${address.port}/`;
  if (!isLoopback(address.address)) emit({ type: 'warning', message: `${STAGE}: ${address.address}:${address.port}: ${BEYOND_LOOPBACK_WARNING}` });
  emit({ type: 'listening', url, network: server.resolvedUrls?.network ?? [] });

  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  let first = true;

  const reload = () => server.ws.send({ type: 'full-reload', path: '*' });

  async function runBuild(): Promise<void> {
    const before = status.state;
    setStatus({ state: 'building', products: status.products, message: status.message });
    try {
      const r = await build([dir], site, { ...o.build, baseUrl: url, cache: o.cache }, { onEvent: (event) => emit({ type: 'build', event }) });
      const products = r.products.map((pr) => ({ id: pr.id, status: pr.status, ...(pr.message ? { message: pr.message } : {}) }));
      const failures = r.products.filter((pr) => pr.status === 'failed').map((pr) => pr.message ?? `${pr.id} failed`);
      // Reload when a page changed, and when a failure's overlay and banner should go.
      const reloaded = !first && (r.built > 0 || (before === 'error' && failures.length === 0));
      if (failures.length) fail(failures.join('\n'), products);
      else setStatus({ state: 'ok', products });
      if (reloaded) reload();
      emit({ type: 'built', built: r.built, reused: r.reused, failed: r.failed, seconds: r.seconds, reloaded });
    } catch (e) {
      fail(isXoayError(e) ? e.message : `${STAGE}: ${dir}: ${(e as Error).message}`, status.products);
    } finally {
      first = false;
    }
  }

  function fail(message: string, products: PreviewStatus['products']): void {
    setStatus({ state: 'error', message, products });
    emit({ type: 'error', message });
    const err: ErrorPayload['err'] = {
      message: `${message}\n\nThe last good build is still shown; fix the product folder and it rebuilds.`,
      stack: '',
      plugin: 'xoay preview',
      id: dir,
    };
    server.ws.send({ type: 'error', err });
  }

  /** Runs a build now, or once more after the one in progress (changes during a build are not lost). */
  function queue(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await runBuild();
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const onChange = (file: string) => {
    if (closed) return;
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed = new Set();
      emit({ type: 'change', files });
      if (mode === 'product') void queue();
      else reload();
    }, o.debounce);
  };

  if (mode === 'product') {
    await queue();
    server.watcher.add(dir);
    server.watcher.on('all', (_event: string, file: string) => {
      if (inside(dir, file) && !inside(cacheDir, file) && !inside(site, file)) onChange(file);
    });
  } else {
    server.watcher.on('all', (_event: string, file: string) => {
      // Not the half-written folders of a build in progress (it renames them into place when done).
      if (inside(site, file) && !/\.xoay-(tmp|old)-/.test(file)) onChange(file);
    });
  }

  return {
    url,
    server,
    site,
    mode,
    status: () => status,
    async rebuild() {
      if (mode === 'product') {
        await running;
        await queue();
      }
      return status;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      // A build writing into the site while it is removed would leave files behind.
      await running?.catch(() => {});
      for (const r of streams) r.end();
      streams.clear();
      await server.close();
      await rm(work, { recursive: true, force: true });
      process.removeListener('exit', cleanup);
    },
  };
}

/** The frame switch: buttons that size an iframe of the page like a phone, a tablet or a desktop screen. */
function frameHtml(start: string, products: { id: string; name: string }[], status: PreviewStatus): string {
  const buttons = FRAMES.map(
    (f, i) =>
      `<button type="button" data-width="${f.width}" data-height="${f.height}" aria-pressed="${i === 0}" aria-keyshortcuts="${i + 1}">${f.name} <small>${f.width}×${f.height}</small></button>`,
  ).join('');
  const links = [
    `<a href="/index.html" target="page">Catalogue</a>`,
    ...products.map((p) => `<a href="/${encodeURIComponent(p.id)}/" target="page">${escapeHtml(p.name)}</a>`),
  ].join(' ');
  const first = FRAMES[0];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>xoay preview</title>
<style>
*{box-sizing:border-box}
html,body{height:100%}
body{margin:0;display:flex;flex-direction:column;background:#e7e8ec;color:#1c1c1e;font:14px/1.4 system-ui,sans-serif}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 1rem;background:#fff;border-bottom:1px solid #c8c8cc}
header h1{font-size:1rem;margin:0}
[role=group]{display:flex;gap:.25rem}
button{font:inherit;padding:.35rem .75rem;border:1px solid #8e8e93;border-radius:6px;background:#fff;color:inherit;cursor:pointer}
button[aria-pressed=true]{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
button small{opacity:.75}
a{color:#1d4ed8}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
nav{display:flex;flex-wrap:wrap;gap:.25rem .75rem}
#status{margin-left:auto;white-space:pre-wrap;max-width:40em}
#status[data-state=error]{color:#b91c1c;font-weight:600}
main{flex:1;min-height:0;overflow:hidden;display:flex;justify-content:center;padding:16px}
.device{flex:none;align-self:flex-start;transform-origin:top center;padding:12px;border-radius:22px;background:#1c1c1e;box-shadow:0 6px 28px rgba(0,0,0,.3)}
iframe{display:block;border:0;border-radius:10px;background:#fff}
</style>
</head>
<body>
<header>
<h1>xoay preview</h1>
<div role="group" aria-label="Screen size">${buttons}</div>
<nav aria-label="Pages">${links} <a id="alone" href="${escapeHtml(start)}">Open without the frame</a></nav>
<p id="status" role="status" data-state="${status.state}">${escapeHtml(statusText(status))}</p>
</header>
<main><div class="device" id="device"><iframe name="page" title="The page as published" src="${escapeHtml(start)}" width="${first.width}" height="${first.height}"></iframe></div></main>
<script>
(() => {
  const frame = document.querySelector('iframe');
  const device = document.getElementById('device');
  const main = document.querySelector('main');
  const buttons = [...document.querySelectorAll('[role=group] button')];
  const statusLine = document.getElementById('status');
  const alone = document.getElementById('alone');
  let current = buttons[0];
  // Larger than the window: scaled down to fit (the page still lays out at the device's width).
  const fit = () => {
    const w = Number(current.dataset.width) + 24, h = Number(current.dataset.height) + 24;
    const scale = Math.min(1, (main.clientWidth - 32) / w, (main.clientHeight - 32) / h);
    device.style.transform = scale < 1 ? 'scale(' + scale + ')' : '';
  };
  const choose = (b) => {
    current = b;
    for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
    frame.width = b.dataset.width;
    frame.height = b.dataset.height;
    try { sessionStorage.setItem('xoay-preview-frame', String(buttons.indexOf(b))); } catch {}
    fit();
  };
  buttons.forEach((b) => b.addEventListener('click', () => choose(b)));
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target instanceof HTMLInputElement) return;
    const b = buttons[Number(e.key) - 1];
    if (b) { choose(b); b.focus(); }
  });
  addEventListener('resize', fit);
  let saved = null;
  try { saved = sessionStorage.getItem('xoay-preview-frame'); } catch {}
  choose(buttons[Number(saved)] || buttons[0]);
  frame.addEventListener('load', () => {
    try { alone.href = frame.contentWindow.location.pathname + frame.contentWindow.location.search; } catch {}
  });
  const text = (s) => s.state === 'building' ? 'Building…' : s.state === 'error' ? 'Build failed (the last good build is shown):\\n' + (s.message || '') : 'Up to date (' + new Date(s.at).toLocaleTimeString() + ')';
  if (window.EventSource) {
    const es = new EventSource('/__xoay/events');
    es.onmessage = (m) => { const s = JSON.parse(m.data); statusLine.dataset.state = s.state; statusLine.textContent = text(s); };
  }
})();
</script>
</body>
</html>
`;
}

function statusText(s: PreviewStatus): string {
  if (s.state === 'building') return 'Building…';
  if (s.state === 'error') return `Build failed (the last good build is shown):\n${s.message ?? ''}`;
  return 'Up to date';
}
