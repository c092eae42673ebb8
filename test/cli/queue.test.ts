/** `xoay worker` and `xoay status` as a user runs them: usage errors, an unreachable Redis, graceful SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSmallCatalogue, redisServerPath, startRedis } from '../../bench/queue-fixtures.js';
import { xoay, xoayFails } from '../helpers/cli.js';
import { ROOT } from '../helpers/data.js';

const BASE = 'https://ocop.example.vn/';
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-cli-queue-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('xoay worker / status / build --queue (CLI)', () => {
  it('a --queue that is not a Redis address is a usage error (exit 2)', async () => {
    const r = await xoayFails(['status', '--queue', 'http://127.0.0.1:6379']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--queue must be a Redis address redis:\/\/HOST:PORT\[\/db\]/);
    const w = await xoayFails(['worker', '--queue', 'redis://127.0.0.1:6379', '--concurrency', '0']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--concurrency must be an integer 1–64/);
  });

  it('status with no Redis listening: one clear line, exit 1', async () => {
    const r = await xoayFails(['status', '--queue', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.skipIf(!redisServerPath())(
    'SIGTERM lets the worker finish its current product, then it exits 0 and takes no more',
    async () => {
      const redis = await startRedis();
      try {
        const cat = path.join(tmp, 'cat');
        await makeSmallCatalogue(cat, 3, { frames: 8, px: 256 });
        const q = await xoay([
          'build',
          cat,
          '-o',
          path.join(tmp, 'site'),
          '--base-url',
          BASE,
          '--cache',
          path.join(tmp, 'cache'),
          '--queue',
          redis.url,
          '--no-wait',
          '--json',
          '--widths',
          '128',
          '--formats',
          'jpeg',
        ]);
        expect(q.code, q.stderr).toBe(0);
        expect(JSON.parse(q.stdout)).toMatchObject({ type: 'queued', products: 3 });
        const child = spawn(process.execPath, [path.join(ROOT, 'bin/xoay.js'), 'worker', '--queue', redis.url, '--json'], { cwd: ROOT });
        const events: { type: string; job?: string; name?: string; event?: { type: string } }[] = [];
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) events.push(JSON.parse(l));
        });
        const exit = new Promise<number | null>((r) => child.once('close', r));
        // SIGTERM while the first product is being encoded.
        for (let i = 0; i < 1200 && !events.some((e) => e.type === 'build' && e.event?.type === 'progress'); i++) await new Promise((r) => setTimeout(r, 25));
        const current = events.find((e) => e.type === 'active')!.job;
        child.kill('SIGTERM');
        expect(await exit).toBe(0);
        expect(events.filter((e) => e.type === 'active')).toHaveLength(1);
        expect(events.some((e) => e.type === 'completed' && e.job === current)).toBe(true);
        expect(events.at(-1)).toMatchObject({ type: 'stopped' });
        const s = JSON.parse((await xoay(['status', '--queue', redis.url, '--json'])).stdout);
        expect(s.counts).toMatchObject({ completed: 1, active: 0, failed: 0, waiting: 2, 'waiting-children': 1 });
      } finally {
        await redis.dispose();
      }
    },
    120_000,
  );
});
