/** The same shoot gives the same bytes whatever the parallelism (the build cache and the queue workers rely on it). */
import { mkdir, mkdtemp, readFile, rm, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { spin } from '../../../pipeline/spin/spin.js';
import { listFiles } from '../../../pipeline/product/cache.js';
import { sampleFrames, STOOL_FRAMES } from '../../helpers/products.js';

let tmp: string;
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('a spin is byte-identical with 1 or 2 frames at a time (AVIF included: libvips threads are fixed)', async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-determinism-'));
  const shoot = path.join(tmp, 'shoot');
  await mkdir(shoot);
  for (const f of (await sampleFrames(4)).slice(0, 8)) await copyFile(path.join(STOOL_FRAMES, f), path.join(shoot, f));
  const a = path.join(tmp, 'a'),
    b = path.join(tmp, 'b');
  await spin(shoot, a, { widths: [256], formats: ['avif', 'webp', 'jpeg'], concurrency: 1 });
  await spin(shoot, b, { widths: [256], formats: ['avif', 'webp', 'jpeg'], concurrency: 2 });
  const files = (await listFiles(a)).filter((f) => !f.startsWith('qa.'));
  expect(files.filter((f) => f.endsWith('.avif')).length).toBeGreaterThanOrEqual(9); // 8 frames + the sprite
  expect(await listFiles(b)).toEqual(await listFiles(a));
  for (const f of files) expect((await readFile(path.join(b, f))).equals(await readFile(path.join(a, f))), f).toBe(true);
}, 120_000);
