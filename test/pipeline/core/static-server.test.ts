/** The one static server, over real HTTP on 127.0.0.1: what it serves, and what it refuses without falling over. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUrlPath, mimeType, resolveInside, serveStatic, type ServedRequest, type StaticServer } from '../../../pipeline/core/static-server.js';

/** A raw request (no client-side normalisation of the path: `fetch` would resolve `..` and escapes itself). */
function get(
  origin: string,
  rawPath: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let tmp: string, site: string, server: StaticServer;
const log: ServedRequest[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-static-'));
  site = path.join(tmp, 'site');
  await mkdir(path.join(site, 'spin'), { recursive: true });
  await writeFile(path.join(site, 'index.html'), '<!doctype html><title>home</title>');
  await writeFile(path.join(site, 'spin', 'spin.json'), JSON.stringify({ frames: 36, padding: 'x'.repeat(4000) }));
  await writeFile(path.join(site, 'spin', 'a b.JPG'), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  // A sibling whose name starts like the served folder's: never reachable.
  await mkdir(path.join(tmp, 'site-secret'));
  await writeFile(path.join(tmp, 'site-secret', 'key.txt'), 'secret');
  await writeFile(path.join(tmp, 'outside.txt'), 'outside');
  server = await serveStatic({ mounts: { '/': site, '/assets/': path.join(site, 'spin') }, gzip: 9, onRequest: (r) => log.push(r) });
});
afterAll(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('serveStatic', () => {
  it('serves files with their type, a folder as its index.html, and the longest mount that matches', async () => {
    const home = await get(server.origin, '/');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home.body.toString()).toContain('<title>home</title>');
    const jpg = await get(server.origin, '/spin/a%20b.JPG');
    expect(jpg.status).toBe(200);
    expect(jpg.headers['content-type']).toBe('image/jpeg');
    expect([...jpg.body]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    expect((await get(server.origin, '/assets/spin.json')).status).toBe(200);
    expect((await get(server.origin, '/spin/missing.json')).status).toBe(404);
  });

  it('gzips text when asked, and answers HEAD with the headers only', async () => {
    const z = await get(server.origin, '/spin/spin.json', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(z.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(z.body).toString()).frames).toBe(36);
    expect(z.body.length).toBeLessThan(200);
    const plain = await get(server.origin, '/spin/spin.json');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const head = await get(server.origin, '/spin/spin.json', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(plain.body.length);
    expect(head.body.length).toBe(0);
    expect((await get(server.origin, '/spin/spin.json', { method: 'POST' })).status).toBe(405);
  });

  it('refuses paths that leave the folder (a sibling whose name starts the same included) and survives malformed escapes', async () => {
    for (const p of ['/..%2fsite-secret/key.txt', '/%2e%2e%2foutside.txt', '/spin/..%2f..%2foutside.txt', '/assets/..%2f..%2fsite-secret%2fkey.txt']) {
      const r = await get(server.origin, p);
      expect(r.status, p).toBe(403);
      expect(['secret', 'outside']).not.toContain(r.body.toString());
    }
    for (const p of ['/%E0%A4%A', '/spin/%zz.json', '/%00index.html']) expect((await get(server.origin, p)).status, p).toBe(400);
    // Still serving after all that.
    expect((await get(server.origin, '/spin/spin.json')).status).toBe(200);
  });

  it('serves pages added while it runs, and tells of every answer', async () => {
    server.pages.set('/test.html', '<p>written by a test</p>');
    const r = await get(server.origin, '/test.html');
    expect(r.body.toString()).toBe('<p>written by a test</p>');
    expect(log.at(-1)).toEqual({ url: '/test.html', status: 200, bytes: r.body.length });
  });

  it('rejects when its port is taken', async () => {
    await expect(serveStatic({ mounts: { '/': site }, port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('paths and types', () => {
  it('decodes once and refuses a malformed escape or a NUL', () => {
    expect(decodeUrlPath('/a%20b/%2e%2e')).toBe('/a b/..');
    expect(decodeUrlPath('/%')).toBeNull();
    expect(decodeUrlPath('/a%00b')).toBeNull();
  });
  it('keeps a path inside its root (a sibling folder whose name starts the same is outside)', () => {
    const root = path.resolve('/srv/site');
    expect(resolveInside(root, '/spin/a.jpg')).toBe(path.join(root, 'spin/a.jpg'));
    expect(resolveInside(root, 'spin/a.jpg')).toBe(path.join(root, 'spin/a.jpg'));
    expect(resolveInside(root, '/')).toBe(root);
    expect(resolveInside(root, '/../site-secret/key')).toBeNull();
    expect(resolveInside(root, '/spin/../../etc/passwd')).toBeNull();
  });
  it('names the content type by extension, whatever its case', () => {
    expect(mimeType('a.WASM')).toBe('application/wasm');
    expect(mimeType('m.glb')).toBe('model/gltf-binary');
    expect(mimeType('t.ktx2')).toBe('image/ktx2');
    expect(mimeType('x.unknown')).toBe('application/octet-stream');
  });
});
