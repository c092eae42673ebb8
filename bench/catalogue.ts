/**
 * `npm run bench:catalogue`: the incremental-build benchmark (issue 5). Generates a catalogue of N products
 * (default 100) from the committed CC0 sample shoot: each product gets 24 small frames (480 px wide, every
 * product's frames tinted and mirrored differently so no two products share a cache entry) and its own
 * product.json. Then, each as its own process:
 *
 *   (1) cold: `xoay build <catalogue> -o site --cache cache` with an empty site and cache;
 *   (2) warm: one frame of one product changed, the same command again.
 *
 * Reports both wall times, the ratio (target: warm ≤ 5 % of cold), and what the warm build did (from its
 * own --json summary: built / reused). Writes bench/results/catalogue.md and prints it.
 *
 *   npm run bench:catalogue                       # 100 products
 *   npm run bench:catalogue -- --products 20      # a quick look
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { makeSmallCatalogue } from './queue-fixtures.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, 'bench/.work/catalogue');
const { values } = parseArgs({ options: { products: { type: 'string', default: '100' }, frames: { type: 'string', default: '24' } } });
const N = Math.max(2, Number(values.products));
const FRAMES = Math.max(8, Number(values.frames));

async function buildOnce(
  catalogue: string,
  site: string,
  cache: string,
): Promise<{ seconds: number; summary: { built: number; reused: number; failed: number } }> {
  const t = performance.now();
  const { stdout } = await run(
    process.execPath,
    ['bin/xoay.js', 'build', catalogue, '-o', site, '--cache', cache, '--base-url', 'https://ocop.example.vn/', '--json'],
    { cwd: ROOT, maxBuffer: 256 * 2 ** 20 },
  );
  const seconds = (performance.now() - t) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { built: number; reused: number; failed: number };
  return { seconds, summary };
}

async function main(): Promise<void> {
  await rm(WORK, { recursive: true, force: true });
  const catalogue = path.join(WORK, 'catalogue');
  const site = path.join(WORK, 'site');
  const cache = path.join(WORK, 'cache');
  process.stderr.write(`bench:catalogue: making ${N} products of ${FRAMES} frames …\n`);
  await makeSmallCatalogue(catalogue, N, { frames: FRAMES, px: 480 });
  process.stderr.write('bench:catalogue: cold build …\n');
  const cold = await buildOnce(catalogue, site, cache);
  // Change one frame of one product (the middle one), as a re-shot frame would.
  const changed = `san-pham-${String(Math.ceil(N / 2)).padStart(3, '0')}`;
  const frame = path.join(catalogue, changed, 'spin', 'frame_005.jpg');
  await writeFile(frame, await sharp(frame).modulate({ brightness: 1.04 }).jpeg({ quality: 90 }).toBuffer());
  process.stderr.write('bench:catalogue: warm build (one frame changed) …\n');
  const warm = await buildOnce(catalogue, site, cache);
  const ratio = warm.seconds / cold.seconds;
  const ok = ratio <= 0.05 && warm.summary.built === 1 && warm.summary.reused === N - 1;
  const cmd = `node bin/xoay.js build bench/.work/catalogue/catalogue -o bench/.work/catalogue/site --cache bench/.work/catalogue/cache --base-url https://ocop.example.vn/ --json`;
  const md = [
    `## Catalogue build benchmark (${N} products, ${os.availableParallelism()} cores)`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench:catalogue\` (bench/catalogue.ts): Node ${process.version}. ${N} products generated from samples/stool-turntable, ${FRAMES} frames of 480×360 each, tinted and mirrored per product so no two share a cache entry; default spin settings (AVIF, WebP, JPEG). Each build is \`${cmd}\` in its own process; wall time.`,
    '',
    '| build | wall s | built | reused | failed |',
    '|---|---:|---:|---:|---:|',
    `| (1) cold: empty site and cache | ${cold.seconds.toFixed(1)} | ${cold.summary.built} | ${cold.summary.reused} | ${cold.summary.failed} |`,
    `| (2) warm: one frame of ${changed} changed | ${warm.seconds.toFixed(1)} | ${warm.summary.built} | ${warm.summary.reused} | ${warm.summary.failed} |`,
    '',
    `Warm / cold: **${(ratio * 100).toFixed(1)} %** (target ≤ 5 %): ${ok ? '✓' : '✗'}${warm.summary.built === 1 ? '' : ` (the warm build rebuilt ${warm.summary.built} products, expected 1)`}.`,
    '',
  ].join('\n');
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench/results/catalogue.md'), md);
  process.stdout.write(md);
  if (!ok) process.exitCode = 1;
}

main().catch((e: Error) => {
  process.stderr.write(`bench:catalogue: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
