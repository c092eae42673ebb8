/**
 * The one static-file server of Xoay: the demo, the turntable renderer's page, the benchmarks and the browser
 * tests serve folders through it (the preview, which sits in front of Vite, uses its MIME table and path checks).
 * Read-only (GET and HEAD), on 127.0.0.1 by default. A URL path is decoded once (a malformed `%` escape is a
 * 400, never a crash), must stay inside the folder it is mounted from (`isInside`: a sibling folder whose name
 * starts the same is outside), and only regular files are sent.
 */
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isInside } from './inside.js';

/** Content types by file extension (lower case, with the dot). */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.bin': 'application/octet-stream',
  '.ktx2': 'image/ktx2',
  '.avif': 'image/avif',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The content type of a file name (application/octet-stream when the extension is not in `MIME_TYPES`). */
export function mimeType(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Types worth compressing. */
const TEXT = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.txt', '.svg', '.gltf']);

/** A URL path decoded once, or null when it has a malformed `%` escape or a NUL. */
export function decodeUrlPath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : decoded;
}

/**
 * The file a decoded URL path names under `root`, or null when it leaves `root` once resolved (`/../x`, a
 * `%2e%2e` decoded to `..`, a sibling folder `root-other/` whose name starts like `root`'s).
 */
export function resolveInside(root: string, decodedPath: string): string | null {
  const base = path.resolve(root);
  const file = path.resolve(base, `.${decodedPath.startsWith('/') ? '' : '/'}${decodedPath}`);
  return isInside(file, base) ? file : null;
}

export interface StaticServerOptions {
  /** URL prefix (starting and ending with `/`) → folder served under it; the longest matching prefix wins. */
  mounts: Record<string, string>;
  /** URL path → body served as is (pages a caller writes while the server runs); looked up before the mounts. */
  pages: Map<string, string | Uint8Array>;
  /** Interface to listen on. */
  host: string;
  /** Port (0: a free one). */
  port: number;
  /** A folder's `index.html` is served for the folder's path. */
  index: boolean;
  /** Gzip level for text types when the client accepts gzip (0: never compress). */
  gzip: number;
  /** The Cache-Control header of every answer. */
  cacheControl: string;
  /** Told of every answer (path, status, bytes sent in the body). */
  onRequest?: (r: ServedRequest) => void;
}

export const STATIC_SERVER_DEFAULTS: Omit<StaticServerOptions, 'onRequest'> = {
  mounts: {},
  pages: new Map(),
  host: '127.0.0.1',
  port: 0,
  index: true,
  gzip: 0,
  cacheControl: 'no-cache',
};

export interface ServedRequest {
  url: string;
  status: number;
  bytes: number;
}

export interface StaticServer {
  /** http://HOST:PORT */
  origin: string;
  port: number;
  /** The pages map the server reads (add pages while it runs). */
  pages: Map<string, string | Uint8Array>;
  /** Drop idle keep-alive connections (so that a run does not inherit another's warm sockets). */
  reset(): void;
  close(): Promise<void>;
}

/** Start a static server; resolves once it listens (rejects when the port is taken). */
export async function serveStatic(opts: Partial<StaticServerOptions>): Promise<StaticServer> {
  const o: StaticServerOptions = {
    ...STATIC_SERVER_DEFAULTS,
    pages: new Map(),
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  const mounts = Object.entries(o.mounts)
    .map(([prefix, dir]) => ({ prefix, dir: path.resolve(dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const gzipped = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8', cacheKey?: string) => {
      let buf: Uint8Array = typeof body === 'string' ? Buffer.from(body) : body;
      const headers: Record<string, string | number> = { 'content-type': type, 'cache-control': o.cacheControl };
      const ext = type.startsWith('text/html') ? '.html' : path.extname(url.pathname).toLowerCase();
      if (status === 200 && o.gzip > 0 && TEXT.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        const key = cacheKey ?? '';
        let z = cacheKey ? gzipped.get(key) : undefined;
        if (!z) {
          z = gzipSync(buf, { level: o.gzip });
          if (cacheKey) gzipped.set(key, z);
        }
        buf = z;
        headers['content-encoding'] = 'gzip';
        headers.vary = 'accept-encoding';
      }
      headers['content-length'] = buf.length;
      o.onRequest?.({ url: url.pathname, status, bytes: buf.length });
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : buf);
    };
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'read-only');
      const page = o.pages.get(url.pathname);
      if (page !== undefined)
        return send(
          200,
          page,
          url.pathname.endsWith('/') || !path.extname(url.pathname) ? MIME_TYPES['.html']! : mimeType(url.pathname),
          `page:${url.pathname}:${page.length}`,
        );
      const mount = mounts.find((m) => url.pathname.startsWith(m.prefix));
      if (!mount) return send(404, 'not found');
      const decoded = decodeUrlPath(url.pathname.slice(mount.prefix.length));
      if (decoded === null) return send(400, 'bad path');
      let file = resolveInside(mount.dir, decoded);
      if (!file) return send(403, 'outside the served folder');
      try {
        let st = await stat(file);
        if (st.isDirectory() && o.index) {
          file = path.join(file, 'index.html');
          st = await stat(file);
        }
        if (!st.isFile()) return send(404, 'not found');
        const body = await readFile(file);
        return send(200, body, mimeType(file), `${file}:${st.mtimeMs}:${st.size}`);
      } catch {
        return send(404, 'not found');
      }
    };
    answer().catch(() => {
      if (!res.headersSent) send(500, 'server error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    pages: o.pages,
    reset: () => server.closeIdleConnections(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
