/**
 * The site as it is published (pipeline/product/site.ts; issue 16). A catalogue of a shoot with a photo and a product
 * with a model and no shoot (its spin rendered from the model) is built once; then:
 * - served as it is by a real web server running as another user (Debian's python3 `http.server` under
 *   `runuser -u nobody`), every file of the site and every file a page, an embed or a spin.json refers to answers 200;
 * - no dot-file anywhere in the site (the build state is beside the cache), folders 0755 and files 0644 (the umask);
 * - built again in other temporary folders (another site, another cache, another --jobs), every file is the same bytes;
 * - bad input: a site an earlier version wrote (its stamps inside), an unwritable site, a --base-url without its
 *   trailing slash, two products with one id: one clear line each, the previous site intact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStorage } from '../../../pipeline/core/storage.js';
import { build, type BuildEvent, type BuildOptions, type BuildResult } from '../../../pipeline/product/build.js';
import { LEGACY, siteState } from '../../../pipeline/product/site.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { ROOT } from '../../helpers/data.js';
import { facts, makeProduct, SMALL_SPIN, STOOL_FRAMES, sampleFrames } from '../../helpers/products.js';

const BASE = 'https://ocop.example.vn/san-pham/';
const PYTHON = '/usr/bin/python3';
const IDS = ['ban-go', 'che-shan-tuyet'];
let tmp: string, catalogue: string, site: string, cache: string;
let first: BuildResult;

/** The options of every build here: small spins, a small render of the model. */
const options = (o: Partial<BuildOptions> = {}): Partial<BuildOptions> => ({
  baseUrl: BASE,
  jobs: 2,
  spin: SMALL_SPIN,
  model: { textures: 'webp' },
  render: { width: 160, height: 160, frames: 12 },
  ...o,
});

/** Every file under a folder (relative, '/'-separated) with the sha-256 of its bytes. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else
        out[r] = createHash('sha256')
          .update(await readFile(path.join(dir, r)))
          .digest('hex');
    }
  };
  await walk('');
  return out;
}

/** Every path under a folder (folders too), relative. */
async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

/** The process umask, as the build sees it. */
function umask(): number {
  return Number.parseInt(/^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!, 8);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Python's static file server on `dir`, run as the user nobody (as a web server is: not the user who built the site). */
async function serveAsNobody(dir: string): Promise<{ origin: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('runuser', ['-u', 'nobody', '--', PYTHON, '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${origin}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`python3 http.server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The site-relative paths a page refers to (src, href, srcset, the viewer's model; its public URLs mapped back). */
function pageRefs(html: string, pagePath: string): string[] {
  const out: string[] = [];
  const add = (u: string) => {
    if (/^(mailto:|tel:|#|data:)/.test(u) || u === '') return;
    if (u.startsWith(BASE)) return void out.push(decodeURIComponent(new URL(u).pathname.slice(new URL(BASE).pathname.length)));
    if (/^[a-z]+:/i.test(u) || u.startsWith('//')) return; // another site (none is expected: checked below)
    out.push(decodeURIComponent(new URL(u, `http://x/${pagePath}`).pathname.slice(1)));
  };
  for (const m of html.matchAll(/\s(src|href|model|poster|content)="([^"]*)"/g)) {
    if (m[1] === 'content' && !m[2]!.startsWith(BASE)) continue;
    add(m[2]!.replace(/&amp;/g, '&'));
  }
  for (const m of html.matchAll(/\ssrcset="([^"]*)"/g)) for (const part of m[1]!.split(',')) add(part.trim().split(/\s+/)[0]!.replace(/&amp;/g, '&'));
  return out.map((p) => (p.endsWith('/') || p === '' ? `${p}index.html` : p));
}

/** The files a spin.json refers to (every string that names a file), site-relative. */
function manifestRefs(json: unknown, manifestPath: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    // Relative names only: `$schema` is the contract's public address, not a file of the site.
    if (typeof v === 'string' && !/^[a-z]+:/i.test(v) && /\.(jpe?g|webp|avif|png|json|glb|ktx2)$/i.test(v))
      out.push(decodeURIComponent(new URL(v, `http://x/${manifestPath}`).pathname.slice(1)));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(json);
  return out;
}

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-site-'));
  // mkdtemp makes the test's own folder 0700: opened so that the user nobody can reach the site and the catalogue in it.
  await chmod(tmp, 0o755);
  catalogue = path.join(tmp, 'catalogue');
  site = path.join(tmp, 'site');
  cache = path.join(tmp, 'cache');
  const tea = await makeProduct(path.join(catalogue, 'tea'), 'che-shan-tuyet', {
    frames: 8,
    story: '# Chè\n\n![ảnh](photos/la%20che.jpg)\n',
    product: facts('che-shan-tuyet', { name: { vi: 'Chè Shan tuyết', en: 'Shan tuyet tea' } }),
  });
  await mkdir(path.join(tea, 'photos'));
  await sharp(path.join(STOOL_FRAMES, (await sampleFrames())[2]!)).toFile(path.join(tea, 'photos', 'la che.jpg'));
  await makeProduct(path.join(catalogue, 'table'), 'ban-go', { frames: false, model: path.join(ROOT, 'samples/catalogue/ban-go-tu-nhien/model.glb') });
  first = await build([catalogue], site, options({ cache }));
}, 240_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)(`the published site ${chromiumReason}`, () => {
  it('served by a web server running as another user (python3 http.server as nobody), every file and every reference answers 200', async () => {
    expect(first.products.map((p) => [p.id, p.status, p.message])).toEqual(IDS.map((id) => [id, 'built', undefined]));
    const files = Object.keys(await tree(site));
    const server = await serveAsNobody(site);
    try {
      const get = async (p: string) => {
        const r = await fetch(`${server.origin}/${p.split('/').map(encodeURIComponent).join('/')}`);
        return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
      };
      // Every reference from the catalogue page, each product page and embed, and each spin.json.
      const refs = new Set<string>();
      const pages = ['index.html', ...IDS.flatMap((id) => [`${id}/index.html`, `${id}/embed.html`])];
      for (const page of pages) {
        const r = await get(page);
        expect({ page, status: r.status }).toEqual({ page, status: 200 });
        const html = r.body.toString('utf8');
        // No address of another host: the site works wherever it is published.
        expect(html.match(/\s(?:src|href|srcset)="(?:https?:)?\/\/(?!ocop\.example\.vn\/)[^"]*"/g), page).toBeNull();
        for (const ref of pageRefs(html, page)) refs.add(ref);
      }
      for (const id of IDS) expect(refs).toContain(`${id}/spin/spin.json`);
      expect(refs).toContain('ban-go/model/model.glb');
      expect(refs).toContain('viewer/xoay-viewer.js');
      expect(refs).toContain('che-shan-tuyet/photos/la che.jpg');
      for (const id of IDS) {
        const manifest = JSON.parse((await get(`${id}/spin/spin.json`)).body.toString('utf8'));
        const listed = manifestRefs(manifest, `${id}/spin/spin.json`);
        expect(listed.length, id).toBeGreaterThan(8);
        for (const ref of listed) refs.add(ref);
      }
      const missing: string[] = [];
      for (const ref of [...refs, ...files]) if ((await get(ref)).status !== 200) missing.push(ref);
      expect(missing).toEqual([]);
      // The bytes served are the files' (a 200 with an error page would not do).
      expect((await get('viewer/xoay-viewer.js')).body.equals(await readFile(path.join(site, 'viewer', 'xoay-viewer.js')))).toBe(true);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('holds no dot-file (the build state is beside the cache); folders are 0755 and files 0644 (0777/0666 less the umask)', async () => {
    const all = await entries(site);
    expect(all.filter((p) => p.split('/').some((part) => part.startsWith('.')))).toEqual([]);
    const mask = umask();
    const wrong: string[] = [];
    for (const p of ['', ...all]) {
      const s = await lstat(path.join(site, p));
      const want = s.isDirectory() ? 0o777 & ~mask : 0o666 & ~mask;
      if ((s.mode & 0o7777) !== want) wrong.push(`${p || '.'} ${(s.mode & 0o7777).toString(8)}`);
    }
    expect(wrong).toEqual([]);
    // The state: a stamp per product and the site's marker, in the cache.
    const state = siteState(new FolderStorage(cache), new FolderStorage(site));
    expect((await readdir(path.join(cache, state.prefix, 'products'))).sort()).toEqual(IDS.map((id) => `${id}.json`));
    expect(JSON.parse(await readFile(path.join(cache, state.prefix, 'site.json'), 'utf8'))).toMatchObject({ site: `file://${site}` });
  });

  it("a model-only product's spin names its row as a shoot's is named, not after a temporary folder", async () => {
    const manifest = JSON.parse(await readFile(path.join(site, 'ban-go', 'spin', 'spin.json'), 'utf8'));
    expect(manifest.rows.map((r: { name: string }) => r.name)).toEqual(['spin']);
    const tea = JSON.parse(await readFile(path.join(site, 'che-shan-tuyet', 'spin', 'spin.json'), 'utf8'));
    expect(tea.rows.map((r: { name: string }) => r.name)).toEqual(['spin']);
    for (const id of IDS) expect(await readFile(path.join(site, id, 'spin', 'spin.json'), 'utf8')).not.toMatch(/render-|xoay-|\.frames|\/(tmp|root|home)\//);
  });

  it('built again in other temporary folders (site, cache) with other --jobs (so other cores per product): every file is the same bytes', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'xoay-site-again-'));
    try {
      const r = await build([catalogue], path.join(other, 'public'), options({ cache: path.join(other, 'c'), jobs: 1 }));
      expect(r.products.map((p) => [p.id, p.status, p.ran])).toEqual([
        ['ban-go', 'built', ['model', 'render']],
        ['che-shan-tuyet', 'built', ['spin', 'photos']],
      ]);
      const [a, b] = await Promise.all([tree(site), tree(path.join(other, 'public'))]);
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      expect(b).toEqual(a);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 240_000);

  it('a site an earlier version wrote (its stamps and marker inside): its state moved beside the cache, said once; nothing rebuilt, the pages untouched', async () => {
    const old = path.join(tmp, 'site-old');
    await cp(site, old, { recursive: true, preserveTimestamps: true });
    // What the earlier version kept in the site: its marker, a stamp in each product folder, the viewer's key.
    const state = siteState(new FolderStorage(cache), new FolderStorage(site));
    await writeFile(path.join(old, LEGACY.site), JSON.stringify({ generator: 'xoay 0.1.0' }) + '\n');
    for (const id of IDS) await cp(path.join(cache, state.prefix, 'products', `${id}.json`), path.join(old, id, LEGACY.stamp));
    await writeFile(path.join(old, LEGACY.viewerKey), 'an older viewer');
    const before = await tree(old);
    const times = new Map<string, number>();
    for (const f of Object.keys(before)) times.set(f, (await stat(path.join(old, f))).mtimeMs);
    const events: BuildEvent[] = [];
    // Another cache: the stamps moved out of the site are what tells that nothing needs building.
    const r = await build([catalogue], old, options({ cache: path.join(tmp, 'cache-old') }), { onEvent: (e) => events.push(e) });
    expect(r.products.map((p) => [p.id, p.status])).toEqual(IDS.map((id) => [id, 'reused']));
    const warned = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warned).toEqual([`${old}: made by an earlier xoay; its build state (.xoay-*.json) moved out of the site, beside the cache`]);
    const after = await tree(old);
    expect(Object.keys(after).filter((f) => f.split('/').some((p) => p.startsWith('.')))).toEqual([]);
    // Every published file is still there with its bytes, and the products' files keep their dates.
    expect(after).toEqual(await tree(site));
    for (const id of IDS)
      for (const f of Object.keys(after).filter((x) => x.startsWith(`${id}/`))) expect((await stat(path.join(old, f))).mtimeMs, f).toBe(times.get(f));
    // Once: the next build has nothing to move.
    const again: BuildEvent[] = [];
    await build([catalogue], old, options({ cache: path.join(tmp, 'cache-old') }), { onEvent: (e) => again.push(e) });
    expect(again.filter((e) => e.type === 'warning')).toEqual([]);
  }, 60_000);

  it('a --base-url without its trailing slash is taken with it (the same site: every product reused)', async () => {
    const before = await tree(site);
    const r = await build([catalogue], site, options({ cache, baseUrl: BASE.slice(0, -1) }));
    expect(r.products.map((p) => p.status)).toEqual(['reused', 'reused']);
    expect(await tree(site)).toEqual(before);
    expect(await readFile(path.join(site, 'ban-go', 'index.html'), 'utf8')).toContain(`<meta property="og:url" content="${BASE}ban-go/">`);
  }, 60_000);

  it('two products with one id: one line each naming its file; the published product keeps its page', async () => {
    const dup = path.join(tmp, 'dup');
    await makeProduct(path.join(dup, 'copy'), 'ban-go', { frames: 8 });
    const before = await tree(site);
    const r = await build([catalogue, dup], site, options({ cache }));
    const failed = r.products.filter((p) => p.status === 'failed');
    expect(failed.map((p) => p.folder).sort()).toEqual([path.join(catalogue, 'table'), path.join(dup, 'copy')]);
    for (const f of failed) {
      expect(f.message).not.toContain('\n');
      expect(f.message).toMatch(/^build: .*\/product\.(json|yaml): id "ban-go" is used by 2 products \(.*\); ids must be unique$/);
    }
    expect(failed.map((f) => f.message!.split(':')[1]!.trim()).sort()).toEqual([
      path.join(catalogue, 'table', 'product.json'),
      path.join(dup, 'copy', 'product.json'),
    ]);
    expect(r.products.find((p) => p.id === 'che-shan-tuyet')!.status).toBe('reused');
    expect(await tree(site)).toEqual(before);
  }, 60_000);

  it('an unwritable site folder: one line, exit 1, nothing built, the site as it was', async () => {
    // Run as nobody (as a deploy user without rights on the web root): the site is root's.
    const nobodyCache = path.join(tmp, 'cache-nobody');
    await mkdir(nobodyCache, { mode: 0o777 });
    await chmod(nobodyCache, 0o777);
    const before = await tree(site);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, path.join(ROOT, 'bin/xoay.js'), 'build', catalogue, '-o', site, '--base-url', BASE, '--cache', nobodyCache],
        { cwd: ROOT },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`xoay build: ${site}: cannot write the site folder (EACCES)\n`);
    expect(await tree(site)).toEqual(before);
    expect(await readdir(nobodyCache)).toEqual([]);
    // A file where a folder of the site's path should be (as root, whom permissions do not stop).
    await writeFile(path.join(tmp, 'a-file'), 'x');
    await expect(build([catalogue], path.join(tmp, 'a-file', 'site'), options({ cache }))).rejects.toThrow(
      `build: ${path.join(tmp, 'a-file', 'site')}: cannot write the site folder (a file stands where a folder of its path should be)`,
    );
  }, 60_000);
});
