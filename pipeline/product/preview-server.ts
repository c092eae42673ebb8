/**
 * The server of `xoay preview` (pipeline/product/preview.ts): Vite's dev server with one middleware in front of
 * Vite's own that answers every request (`handle`):
 *
 *   /                     a browser's top-level visit goes to the frame switch (inside the frame, `/` is the catalogue)
 *   /__xoay/preview       the frame switch: the product page in an iframe at phone, tablet or desktop size
 *   /__xoay/events        the build status for the frame switch (server-sent events)
 *   /<id>/, /index.html   the site's pages as built, with Vite's client injected (it reloads them after a rebuild)
 *   /viewer/…, spin/…     every other file of the site byte for byte: Vite's transforms would rewrite the prebuilt
 *                         viewer (dynamic imports, `new URL(…, import.meta.url)` decoder paths, inline source maps)
 *   /@vite/client, /@vite/env, /@fs/<vite>/dist/client/env.mjs    Vite's client, the only paths Vite itself answers
 *
 * Only the site's files are served: only the client paths above go on to Vite. Anything else is 404 (not 403: nothing
 * says what exists): `..` segments however encoded, backslashes, NUL, `%` left after decoding, dot-files, `/@fs/`,
 * `/@id/` and other Vite paths, `?raw` / `?import` tricks (no query reaches Vite), and files whose real path (symbolic
 * links followed) is outside the site.
 *
 * The site's files are served like pipeline/core/static-server.ts serves a folder (its path decoding, `resolveInside`,
 * MIME table), with what the preview adds: symbolic links followed only inside the site, 404 for everything refused,
 * pages through Vite's HTML transform, files streamed. (`serveStatic` itself cannot answer here: it is a server of its
 * own, and the pages must come from Vite's, which carries the reload socket.)
 */
import { createReadStream, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin, ViteDevServer } from 'vite';
import { XoayError } from '../core/errors.js';
import { escapeHtml } from '../core/html.js';
import { isInside } from '../core/inside.js';
import { decodeUrlPath, MIME_TYPES, mimeType, resolveInside } from '../core/static-server.js';
import type { StatusFeed } from './preview-status.js';

const STAGE = 'preview';

/** The path Vite's client imports its environment from (`/@fs/…/vite/dist/client/env.mjs`). */
function viteClientEnvPath(): string {
  const file = createRequire(import.meta.url).resolve('vite/dist/client/env.mjs');
  return `/@fs/${file.split(path.sep).join('/').replace(/^\/+/, '')}`;
}

export interface PreviewPluginOptions {
  /** The folder served (a real path). */
  site: string;
  /** The build status: the failure banner on the pages, the events of the frame switch. */
  feed: StatusFeed;
  /** The frame switch page, starting at the page asked for in its `page` query (or null). */
  framePage: (asked: string | null) => Promise<string>;
  /** Told of a request that failed on the server's side. */
  warn: (message: string) => void;
}

/** The Vite plugin that answers every request (Vite's client excepted) and puts the failure banner on the pages. */
export function previewPlugin(opts: PreviewPluginOptions): Plugin {
  const envPath = viteClientEnvPath();
  return {
    name: 'xoay-preview',
    configureServer(server) {
      // Added before Vite's own middlewares: every request is answered here but Vite's client.
      server.middlewares.use((req, res, next) => {
        handle(server, opts, envPath, req, res, next).catch((e: unknown) => {
          opts.warn(`${STAGE}: ${req.url}: ${(e as Error).message}`);
          if (!res.headersSent) notFound(req, res);
          else res.destroy();
        });
      });
    },
    transformIndexHtml: {
      order: 'post',
      handler() {
        const status = opts.feed.get();
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
}

/** The one request handler: Vite's client goes on to Vite; the site's files are served here; everything else 404. */
async function handle(
  server: ViteDevServer,
  opts: PreviewPluginOptions,
  envPath: string,
  req: IncomingMessage,
  res: ServerResponse,
  next: (e?: unknown) => void,
): Promise<void> {
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
  if (p === '/__xoay/preview') return send(req, res, 200, await opts.framePage(new URLSearchParams(query).get('page')), MIME_TYPES['.html']!);
  if (p === '/__xoay/events') return opts.feed.subscribe(req, res);
  if (p.startsWith('/@') || p.startsWith('/__')) return notFound(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(req, res);
  // A top-level visit to / shows the frame switch; inside it (the iframe, links from the pages) / is the catalogue.
  const dest = req.headers['sec-fetch-dest'];
  if (p === '/' && dest !== 'iframe' && dest !== 'frame') return void res.writeHead(302, { location: '/__xoay/preview', 'cache-control': 'no-store' }).end();
  return serveSiteFile(server, opts.site, p, q < 0 ? '' : `?${query}`, req, res);
}

/** The real path and stat of a site file, or null when it is missing or (links followed) outside the site. */
async function siteEntry(site: string, file: string): Promise<{ real: string; st: Stats } | null> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return null;
  }
  if (!isInside(real, site)) return null;
  return { real, st: await stat(real) };
}

/** A file of the site (a folder's index.html), its path `p` decoded and checked; pages through Vite's HTML transform. */
async function serveSiteFile(server: ViteDevServer, site: string, p: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const file = resolveInside(site, p);
  if (!file) return notFound(req, res);
  let entry = await siteEntry(site, file);
  // A path ending in / names a folder (`resolveInside` drops the slash that made a file's real path fail).
  if (!entry || (p.endsWith('/') && !entry.st.isDirectory())) return notFound(req, res);
  if (entry.st.isDirectory()) {
    if (!p.endsWith('/')) return void res.writeHead(301, { location: `${encodeURI(p)}/${search}`, 'cache-control': 'no-store' }).end();
    entry = await siteEntry(site, path.join(entry.real, 'index.html'));
    if (!entry) return notFound(req, res);
  }
  const { real, st } = entry;
  if (!st.isFile()) return notFound(req, res);
  if (path.extname(real).toLowerCase() === '.html') {
    // Pages go through Vite's HTML transform: its client (reload, error overlay) and the failure banner.
    const page = await server.transformIndexHtml(p.endsWith('/') ? `${p}index.html` : p, await readFile(real, 'utf8'), req.url ?? '');
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

export interface ViteServerOptions {
  /** The folder served. */
  site: string;
  /** The temporary folder (Vite's cache goes in it; not watched). */
  work: string;
  /** The stage cache (not watched). */
  cacheDir: string;
  host: string;
  port: number;
  /** Product mode: the site is written by our builds (they reload the pages), so Vite does not watch it. */
  mode: 'product' | 'site';
  plugin: Plugin;
}

/** Vite's dev server, listening; a port in use or a host that is not this machine's is an error of the preview. */
export async function startVite(createServer: typeof import('vite').createServer, o: ViteServerOptions): Promise<ViteDevServer> {
  let server: ViteDevServer | undefined;
  try {
    server = await createServer({
      root: o.site,
      base: '/',
      configFile: false,
      envDir: false,
      publicDir: false,
      cacheDir: path.join(o.work, 'vite'),
      appType: 'mpa',
      clearScreen: false,
      logLevel: 'silent',
      plugins: [o.plugin],
      // The pages use the prebuilt viewer: nothing to discover or pre-bundle.
      optimizeDeps: { noDiscovery: true, include: [], entries: [] },
      server: {
        host: o.host,
        port: o.port,
        strictPort: true,
        cors: false,
        open: false,
        preTransformRequests: false,
        fs: { strict: true, allow: [o.site] },
        // Product mode: the site is written by our builds (we reload after each); the product folders are added later.
        watch: {
          ignored: (p: string) =>
            (o.mode === 'product' && isInside(p, o.site)) || isInside(p, o.cacheDir) || isInside(p, o.work) || /(^|[/\\])(\.git|node_modules)([/\\]|$)/.test(p),
        },
      },
    });
    await listen(server, o);
    return server;
  } catch (e) {
    await server?.close().catch(() => {});
    throw e;
  }
}

async function listen(server: ViteDevServer, o: ViteServerOptions): Promise<void> {
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
}
