/** `xoay build` as a user runs it: exit codes, JSON lines, and a build killed halfway that resumes. */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/data.js';
import { jsonLines, xoay, xoayFails } from '../helpers/cli.js';
import { facts, makeProduct } from '../helpers/products.js';

const BASE = 'https://ocop.example.vn/';
let tmp: string, catalogue: string;
const small = ['--widths', '256'];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-cli-build-'));
  catalogue = path.join(tmp, 'catalogue');
  await makeProduct(path.join(catalogue, 'p1'), 'san-pham-mot', { frames: 10 });
  await makeProduct(path.join(catalogue, 'p2'), 'san-pham-hai', { frames: 10, mirror: true });
  await makeProduct(path.join(catalogue, 'p3'), 'san-pham-ba', { frames: 8 });
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A product folder in the site is either absent or complete. */
async function productsInSite(site: string): Promise<string[]> {
  const out = [];
  for (const e of await readdir(site, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'viewer') continue;
    const files = await readdir(path.join(site, e.name));
    expect(files, e.name).toEqual(expect.arrayContaining(['index.html', 'embed.html', 'qr.svg', 'qr.png', 'spin']));
    await stat(path.join(site, e.name, 'spin', 'spin.json'));
    out.push(e.name);
  }
  return out.sort();
}

describe('xoay build (CLI)', () => {
  it('a build killed after its first product leaves only complete products, and the next build resumes', async () => {
    const site = path.join(tmp, 'site-kill');
    const cache = path.join(tmp, 'cache-kill');
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/xoay.js'), 'build', catalogue, '-o', site, '--base-url', BASE, '--cache', cache, '--jobs', '1', '--json', ...small],
      { cwd: ROOT },
    );
    let out = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.split('\n').some((l) => l.startsWith('{"type":"done"'))) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.on('close', () => resolve(false));
    });
    expect(killed).toBe(true);
    await new Promise((r) => child.once('close', r));
    const done = out
      .split('\n')
      .filter((l) => l.startsWith('{"type":"done"'))
      .map((l) => JSON.parse(l).id as string);
    const present = await productsInSite(site);
    expect(present).toEqual(expect.arrayContaining(done));
    expect(present.length).toBeLessThan(3);
    // It was killed while building: its scratch folder (in the OS temporary folder) is still there.
    const scratch = async () => (await readdir(os.tmpdir())).filter((f) => f.startsWith(`xoay-scratch-${child.pid}-`));
    expect(await scratch()).toHaveLength(1);

    const again = await xoay(['build', catalogue, '-o', site, '--base-url', BASE, '--cache', cache, '--json', ...small]);
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', failed: 0 });
    for (const id of present) expect(summary.products.find((p: { id: string }) => p.id === id).status).toBe('reused');
    expect(summary.built).toBe(3 - present.length);
    expect(await productsInSite(site)).toEqual(['san-pham-ba', 'san-pham-hai', 'san-pham-mot']);
    // Nothing half-written is left anywhere: no temporary folders in the site or the cache.
    expect((await readdir(site)).filter((f) => f.includes('xoay-tmp') || f.includes('xoay-old'))).toEqual([]);
    expect((await readdir(cache)).filter((f) => f.startsWith('.'))).toEqual([]);
    // The next build removed the killed one's scratch folder.
    expect(await scratch()).toEqual([]);
  }, 180_000);

  it('exits 1 when a product fails, names the file and the field, and still builds the others', async () => {
    const cat = path.join(tmp, 'mixed');
    await makeProduct(path.join(cat, 'good'), 'tot', { frames: 8 });
    await makeProduct(path.join(cat, 'bad'), 'xau', { frames: 8, product: facts('xau', { producer: { name: 'X', kind: 'company', province: 'Huế' } }) });
    const args = ['build', cat, '-o', path.join(tmp, 'site-mixed'), '--base-url', BASE, '--cache', path.join(tmp, 'cache-mixed'), ...small];
    const r = await xoay(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // piped without --json: no JSON lines on stdout
    // With --json: JSON lines only (events, then the summary naming the failure), the same exit code.
    const j = await xoay([...args, '--json']);
    expect(j.code, j.stderr).toBe(1);
    const summary = jsonLines(j).at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', built: 0, reused: 1, failed: 1 });
    expect(summary.products.find((p: { status: string }) => p.status === 'failed').message).toMatch(/producer\.kind/);
    expect(r.stderr).toMatch(/1 built, 0 reused, 1 failed/);
    expect(r.stderr).toMatch(/failed: build: .*bad\/product\.json: producer\.kind: expected one of "co-operative", .*got "company"/);
    expect(await readFile(path.join(tmp, 'site-mixed', 'tot', 'index.html'), 'utf8')).toContain('Sản phẩm thử tot');
  }, 60_000);

  it('usage errors: no --base-url, a folder that is not a product or catalogue', async () => {
    const a = await xoayFails(['build', catalogue, '-o', path.join(tmp, 's')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--base-url/);
    const b = await xoayFails(['build', tmp + '/nope', '-o', path.join(tmp, 's'), '--base-url', BASE]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/nope: no such folder/);
  });
});
