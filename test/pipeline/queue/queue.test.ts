/**
 * The distributed build with a real Redis (Debian's redis-server on 127.0.0.1, a free port, a temporary folder,
 * append-only persistence) and real worker processes (`node bin/xoay.js worker`), on a 20-product catalogue of
 * small shoots (8 frames, 256 px; spins 128 px JPEG).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSmallCatalogue, redisServerPath, startRedis, type TestRedis } from '../../../bench/queue-fixtures.js';
import { build } from '../../../pipeline/product/build.js';
import { enqueueBuild, waitForBuild } from '../../../pipeline/queue/queue.js';
import { hasChromium } from '../../helpers/browser.js';
import { xoay } from '../../helpers/cli.js';
import { ROOT } from '../../helpers/data.js';
import { makeProduct } from '../../helpers/products.js';

const REDIS = redisServerPath();
const BASE = 'https://ocop.example.vn/san-pham/';
const SMALL = ['--widths', '128', '--formats', 'jpeg'];
// Short locks so a killed worker's job comes back within seconds (not so short that a busy machine lets a live lock lapse).
const WORKER_ARGS = ['--lock-duration', '5000', '--stalled-interval', '1000'];
const N = 20;

let tmp: string, catalogue: string, localSite: string;
let ids: string[];

/** Every file of a folder (dot-files included) with the sha-256 of its bytes. */
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

interface Proc {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  events: Record<string, unknown>[];
  exit: Promise<number | null>;
}
function run(args: string[]): Proc {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/xoay.js'), ...args], { cwd: ROOT });
  const p: Proc = { child, lines: [], events: [], exit: new Promise((r) => child.once('close', r)) };
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      p.lines.push(l);
      try {
        p.events.push(JSON.parse(l));
      } catch {
        /* not JSON */
      }
    }
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.once('close', () => {
    if (err) p.lines.push(`stderr: ${err}`);
  });
  return p;
}
const worker = (url: string, extra: string[] = []) => run(['worker', '--queue', url, '--json', ...WORKER_ARGS, ...extra]);
async function ready(w: Proc): Promise<void> {
  for (let i = 0; i < 600 && !w.events.some((e) => e.type === 'ready'); i++) await new Promise((r) => setTimeout(r, 50));
  expect(
    w.events.some((e) => e.type === 'ready'),
    w.lines.join('\n'),
  ).toBe(true);
}
async function stopAll(ws: Proc[]): Promise<void> {
  for (const w of ws) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exit));
}
const until = async (cond: () => boolean, ms: number) => {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
};

/** Every product folder visible in the site is complete. */
async function checkNoHalfProducts(site: string): Promise<number> {
  let n = 0;
  let entries;
  try {
    entries = await readdir(site, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'viewer') continue;
    const d = path.join(site, e.name);
    // A folder renamed into place is complete: its stamp, page and spin are there.
    for (const f of ['index.html', 'embed.html', 'qr.png', 'spin/spin.json'])
      if (!existsSync(path.join(d, f))) throw new Error(`half-written product in the site: ${e.name} has no ${f}`);
    n++;
  }
  return n;
}

describe.skipIf(!REDIS)(
  `xoay build --queue with real Redis and worker processes${REDIS ? '' : ' (skipped: needs redis-server; apt-get install redis-server, .ci/run installs it)'}`,
  () => {
    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-queue-'));
      catalogue = path.join(tmp, 'catalogue');
      ids = await makeSmallCatalogue(catalogue, N, { frames: 8, px: 256 });
      localSite = path.join(tmp, 'site-local');
      // The local build to compare with. One product at a time: each product's frames then use both cores, as in a
      // worker with --concurrency 1 (AVIF bytes, the sprites, depend on libvips' thread count).
      const r = await xoay([
        'build',
        catalogue,
        '-o',
        localSite,
        '--base-url',
        BASE,
        '--cache',
        path.join(tmp, 'cache-local'),
        '--jobs',
        '1',
        '--json',
        ...SMALL,
      ]);
      expect(r.code, r.stderr).toBe(0);
    }, 300_000);
    afterAll(async () => {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('3 workers, one SIGKILLed in the middle of a product: the job is taken back, no half-written product is ever visible, and the site is byte-for-byte the local build', async () => {
      const redis = await startRedis();
      const workers = [worker(redis.url), worker(redis.url), worker(redis.url)];
      try {
        await Promise.all(workers.map(ready));
        const site = path.join(tmp, 'site-queue');
        const b = run(['build', catalogue, '-o', site, '--base-url', BASE, '--cache', path.join(tmp, 'cache-queue'), '--queue', redis.url, '--json', ...SMALL]);
        // Kill worker 0 while it encodes a product (a progress event of its spin stage).
        let killedId: string | undefined;
        const victim = workers[0]!;
        let halfSeen: unknown;
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            await checkNoHalfProducts(site).catch((e) => (halfSeen = e));
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        expect(
          await until(() => victim.events.some((e) => e.type === 'build' && (e.event as { type: string }).type === 'progress'), 60_000),
          victim.lines.join('\n'),
        ).toBe(true);
        victim.child.kill('SIGKILL');
        // The product it was on: its last progress event (it may have finished others before).
        killedId = ([...victim.events].reverse().find((e) => e.type === 'build' && (e.event as { type: string }).type === 'progress')!.event as { id: string })
          .id;
        const killedJob = [...victim.events].reverse().find((e) => e.type === 'active' && e.name === 'product')!.job as string;
        expect(victim.events.some((e) => e.type === 'completed' && e.job === killedJob)).toBe(false);

        const code = await b.exit;
        watching = false;
        await watcher;
        expect(halfSeen).toBeUndefined();
        expect(code, b.lines.join('\n')).toBe(0);
        const summary = b.events.find((e) => e.type === 'summary') as {
          built: number;
          reused: number;
          failed: number;
          products: { id: string; status: string }[];
        };
        // The killed worker may have got as far as putting its product into place before it died: the job taken back then
        // finds it complete and reuses it. (Jobs run at least once: under load a short test lock can also lapse on a live
        // worker, and the product is then reused the same way.)
        expect(summary).toMatchObject({ failed: 0 });
        expect(summary.built + summary.reused).toBe(N);
        expect(summary.products.map((p) => p.id).sort()).toEqual(ids);
        // The killed job was taken back (stalled-job recovery) and finished by another worker.
        const finisher = workers.slice(1).find((w) => w.events.some((e) => e.type === 'completed' && e.job === killedJob));
        expect(finisher, `job ${killedJob} (${killedId}) was not finished by another worker`).toBeDefined();
        // Each worker took part.
        for (const w of workers.slice(1)) expect(w.events.filter((e) => e.type === 'completed').length).toBeGreaterThan(0);
        // Byte for byte the local build: the same files, the same bytes (stamps, index, viewer included).
        const [a, q] = await Promise.all([tree(localSite), tree(site)]);
        expect(Object.keys(q).sort()).toEqual(Object.keys(a).sort());
        expect(q).toEqual(a);
        expect(Object.keys(q).filter((f) => f.includes('xoay-tmp') || f.includes('xoay-old'))).toEqual([]);
      } finally {
        await stopAll(workers);
        await redis.dispose();
      }
    }, 300_000);

    it('a product with a bad shoot fails after its attempts with its message in `xoay status`; every other product is built', async () => {
      const redis = await startRedis();
      const workers = [worker(redis.url), worker(redis.url)];
      try {
        const cat = path.join(tmp, 'mixed');
        const good = await makeSmallCatalogue(cat, 5, { frames: 8, px: 256 });
        // The bad one: a product whose shoot has an empty frame.
        const bad = path.join(cat, 'zz-bad');
        await makeSmallCatalogue(path.join(tmp, 'bad-src'), 1, { frames: 8, px: 256 });
        await import('node:fs/promises').then((fs) => fs.cp(path.join(tmp, 'bad-src', 'san-pham-001'), bad, { recursive: true }));
        await writeFile(path.join(bad, 'product.json'), JSON.stringify({ ...JSON.parse(await readFile(path.join(bad, 'product.json'), 'utf8')), id: 'hong' }));
        await writeFile(path.join(bad, 'spin', 'frame_003.jpg'), '');
        // And one whose facts are wrong: another attempt would read the same file, so it is tried once.
        const wrong = path.join(cat, 'zz-wrong');
        await import('node:fs/promises').then((fs) => fs.cp(path.join(tmp, 'bad-src', 'san-pham-001'), wrong, { recursive: true }));
        const facts = JSON.parse(await readFile(path.join(wrong, 'product.json'), 'utf8'));
        await writeFile(path.join(wrong, 'product.json'), JSON.stringify({ ...facts, id: 'sai', ocop: { ...facts.ocop, stars: 7 } }));
        await Promise.all(workers.map(ready));
        const site = path.join(tmp, 'site-mixed');
        const r = await xoay([
          'build',
          cat,
          '-o',
          site,
          '--base-url',
          BASE,
          '--cache',
          path.join(tmp, 'cache-mixed'),
          '--queue',
          redis.url,
          '--attempts',
          '2',
          ...SMALL,
        ]);
        expect(r.code, r.stderr).toBe(1);
        // Jobs run at least once: under load a product's short test lock can lapse and another worker take the job again,
        // which then finds the product built (reused). Either way every good product is in the site.
        const counts = /(\d+) built, (\d+) reused, (\d+) failed/.exec(r.stderr)!;
        expect(Number(counts[1]) + Number(counts[2])).toBe(5);
        expect(Number(counts[3])).toBe(2);
        expect(r.stderr).toMatch(/frame_003\.jpg/);
        // Progress while waiting: a line per finished product, failures with their message as they happen.
        expect(r.stderr).toMatch(/build: 7 products queued \(build (\S+);/);
        expect(r.stderr).toMatch(/build: 7\/7 products finished \(2 failed\)/);
        // Each failure once while waiting (then again in the summary).
        const waiting = r.stderr.slice(0, r.stderr.indexOf('products in'));
        expect(waiting.match(/ {2}failed: .*zz-wrong\/product\.json: ocop\.stars: expected a whole number from 3 to 5, got 7/g)).toHaveLength(1);
        expect(waiting.match(/ {2}failed: .*zz-bad\/spin\/frame_003\.jpg: the file is empty/g)).toHaveLength(1);
        const s = await xoay(['status', '--queue', redis.url, '--json']);
        expect(s.code, s.stderr).toBe(0);
        const st = JSON.parse(s.stdout) as { counts: Record<string, number>; failures: { folder: string; attempts: number; message: string }[] };
        expect(st.counts).toMatchObject({ failed: 2, completed: 6, active: 0, waiting: 0 });
        expect(st.failures).toHaveLength(2);
        const byFolder = Object.fromEntries(st.failures.map((f) => [f.folder, f]));
        expect(byFolder[bad]).toMatchObject({ attempts: 2 });
        expect(byFolder[bad]!.message).toMatch(/frame_003\.jpg.*(empty|zero)/i);
        expect(byFolder[wrong]).toMatchObject({ attempts: 1 });
        const text = await xoay(['status', '--queue', redis.url]);
        expect(text.stdout).toMatch(/waiting 0, active 0, done 6, failed 2/);
        expect(text.stdout).toMatch(/failed \(2 attempts\): .*frame_003\.jpg/);
        // One build's status, by the id the build printed.
        const buildId = /build: 7 products queued \(build (\S+);/.exec(r.stderr)![1]!;
        const one = await xoay(['status', '--queue', redis.url, '--build', buildId, '--json']);
        expect(one.code, one.stderr).toBe(0);
        const bs = JSON.parse(one.stdout) as {
          total: number;
          done: number;
          failed: number;
          pending: number;
          state: string;
          failures: { folder: string; message: string }[];
        };
        expect(bs).toMatchObject({ total: 7, done: 5, failed: 2, pending: 0, state: 'completed' });
        expect(bs.failures.map((f) => f.folder).sort()).toEqual([bad, wrong]);
        const oneText = await xoay(['status', '--queue', redis.url, '--build', buildId]);
        expect(oneText.stdout).toMatch(
          new RegExp(`build ${buildId}: 7 products: done 5, failed 2, to do 0; finished: ${counts[1]} built, ${counts[2]} reused, 2 failed`),
        );
        const none = await xoay(['status', '--queue', redis.url, '--build', '999999']);
        expect(none.code).toBe(1);
        expect(none.stderr).toMatch(/no build 999999 in the queue/);
        // The bad shoot was tried twice (the configured attempts), on any worker; the wrong facts once.
        const tries = (folder: string) => workers.flatMap((w) => w.events.filter((e) => e.type === 'active' && e.folder === folder));
        expect(tries(bad)).toHaveLength(2);
        expect(tries(wrong)).toHaveLength(1);
        expect((await readdir(site)).filter((f) => !f.startsWith('.') && f !== 'viewer' && f !== 'index.html').sort()).toEqual(good);
        expect(await readFile(path.join(site, 'index.html'), 'utf8')).toContain('san-pham-005');
      } finally {
        await stopAll(workers);
        await redis.dispose();
      }
    }, 300_000);

    it('a product whose facts are in product.yml (as the product reader accepts) is built on a worker, as by a local build', async () => {
      const redis = await startRedis();
      const workers = [worker(redis.url)];
      try {
        const cat = path.join(tmp, 'yml');
        const [id] = await makeSmallCatalogue(cat, 1, { frames: 8, px: 256 });
        const dir = path.join(cat, id!);
        // JSON is YAML: the same facts under the other name.
        await writeFile(path.join(dir, 'product.yml'), await readFile(path.join(dir, 'product.json')));
        await rm(path.join(dir, 'product.json'));
        await Promise.all(workers.map(ready));
        const site = path.join(tmp, 'site-yml');
        const r = await xoay(['build', cat, '-o', site, '--base-url', BASE, '--cache', path.join(tmp, 'cache-yml'), '--queue', redis.url, ...SMALL]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/1 built, 0 reused, 0 failed/);
        expect(await checkNoHalfProducts(site)).toBe(1);
        expect(await readFile(path.join(site, id!, 'index.html'), 'utf8')).toContain('Sản phẩm mẫu số 1');
      } finally {
        await stopAll(workers);
        await redis.dispose();
      }
    }, 300_000);

    it.skipIf(!hasChromium)(
      'a product with a model and no shoot, its worker SIGKILLed while it renders: the site is byte-for-byte a local build in other folders',
      async () => {
        // A model-only product (its spin rendered from the model in Chromium) and a shoot. The local build runs in this
        // process with --jobs 2 (one core per product's frames), the workers with concurrency 1 (both cores).
        const cat = path.join(tmp, 'model-cat');
        await makeProduct(path.join(cat, 'table'), 'ban-go', { frames: false, model: path.join(ROOT, 'samples/catalogue/ban-go-tu-nhien/model.glb') });
        await makeProduct(path.join(cat, 'tea'), 'che', { frames: 8 });
        const opts = {
          baseUrl: BASE,
          spin: { widths: [128], formats: ['jpeg' as const] },
          model: { textures: 'webp' as const },
          render: { width: 160, height: 160, frames: 12 },
        };
        const local = await build([cat], path.join(tmp, 'model-local', 'site'), { ...opts, cache: path.join(tmp, 'model-local', 'cache'), jobs: 2 });
        expect(local.failed).toBe(0);
        const redis = await startRedis();
        const workers = [worker(redis.url), worker(redis.url)];
        try {
          await Promise.all(workers.map(ready));
          const site = path.join(tmp, 'model-queue', 'public');
          const { flowId } = await enqueueBuild(redis.url, [cat], site, { ...opts, cache: path.join(tmp, 'model-queue', 'c') });
          // Kill the worker that starts rendering the model (the render stage's event: it is not in the cache).
          const rendering = (w: Proc) =>
            w.events.some(
              (e) =>
                e.type === 'build' &&
                (e.event as { stage?: string; cached?: boolean }).stage === 'render' &&
                (e.event as { cached?: boolean }).cached === false,
            );
          expect(await until(() => workers.some(rendering), 120_000)).toBe(true);
          const victim = workers.find(rendering)!;
          victim.child.kill('SIGKILL');
          const summary = await waitForBuild(redis.url, flowId);
          expect(summary.products.map((p) => [p.id, p.status])).toEqual([
            ['ban-go', 'built'],
            ['che', 'built'],
          ]);
          // The other worker made the render again (taken back from the killed one).
          const other = workers.find((w) => w !== victim)!;
          expect(other.events.some((e) => e.type === 'completed' && e.id === 'ban-go')).toBe(true);
          const [a, q] = await Promise.all([tree(path.join(tmp, 'model-local', 'site')), tree(site)]);
          expect(Object.keys(q).sort()).toEqual(Object.keys(a).sort());
          expect(q).toEqual(a);
        } finally {
          await stopAll(workers);
          await redis.dispose();
        }
      },
      300_000,
    );

    it('Redis restarted during the run (append-only persistence): the build completes, the same site', async () => {
      const redis: TestRedis = await startRedis();
      const workers = [worker(redis.url), worker(redis.url)];
      try {
        await Promise.all(workers.map(ready));
        const site = path.join(tmp, 'site-restart');
        const b = run([
          'build',
          catalogue,
          '-o',
          site,
          '--base-url',
          BASE,
          '--cache',
          path.join(tmp, 'cache-restart'),
          '--queue',
          redis.url,
          '--json',
          ...SMALL,
        ]);
        const completed = () => workers.reduce((n, w) => n + w.events.filter((e) => e.type === 'completed').length, 0);
        expect(await until(() => completed() >= 3, 120_000)).toBe(true);
        await redis.stop();
        const during = completed();
        await new Promise((r) => setTimeout(r, 1500));
        await redis.start();
        const code = await b.exit;
        expect(code, b.lines.join('\n')).toBe(0);
        expect(during).toBeLessThan(N);
        const summary = b.events.find((e) => e.type === 'summary') as { failed: number; products: unknown[] };
        expect(summary.failed).toBe(0);
        expect(summary.products).toHaveLength(N);
        expect(await checkNoHalfProducts(site)).toBe(N);
        expect(await tree(site)).toEqual(await tree(localSite));
        expect((await stat(path.join(redis.dir, 'appendonlydir'))).isDirectory()).toBe(true);
      } finally {
        await stopAll(workers);
        await redis.dispose();
      }
    }, 300_000);
  },
);
