/**
 * `npm run bench`: the spin benchmark, side by side in one run.
 *
 * 1. Makes a 36-frame 24 MP shoot (6000×4000) from the CC0 sample (upscaled, on its grey backdrop)
 *    in bench/.work/ (re-used between runs).
 * 2. Times, each as its own process under /usr/bin/time (wall time and peak RSS, children included):
 *    (1) `xoay spin` with every stage; (2) a bare sharp script writing the same files (decode, crop to
 *    xoay's window, resize, encode); (3) ImageMagick writing the same sizes, formats and window.
 *    Reports ratios, not just seconds.
 * 3. Bytes of the 36 frames at 1024 px per format against mozjpeg q85, and their SSIM to the
 *    processed frame they were encoded from.
 * Writes bench/results/spin.md and prints it.
 *
 *   npm run bench                             # the full run ((1) and (2) three times each)
 *   npm run bench -- --frames 8 --repeat 1    # a quick look (not for BENCHMARKS.md)
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { ssim } from './ssim.js';
import { ENCODE_DEFAULTS, encodeImage, type RawImage, type SpinFormat } from '../pipeline/spin/encode.js';
import { spin } from '../pipeline/spin/spin.js';
import { makeShoot, shootDir } from './shoot-24mp.js';
import { peerArgv, timeCommand, xoaySpinArgv } from './peer-args.js';
import type { QaReport, SpinManifest } from '../schema/spin.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, 'bench/.work');
const { values } = parseArgs({
  options: { frames: { type: 'string', default: '36' }, repeat: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
});
const REPEAT = Math.max(1, Number(values.repeat));
const FRAMES = Number(values.frames);

interface Timed {
  label: string;
  command: string;
  seconds: number;
  peakMiB: number;
}

async function timed(label: string, argv: string[]): Promise<Timed> {
  const command = argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  process.stderr.write(`bench: ${label}: ${command}\n`);
  const t0 = performance.now();
  const { peakMiB } = await timeCommand(argv, ROOT, `bench: ${label}`);
  const seconds = (performance.now() - t0) / 1000;
  return { label, command: command.replace(ROOT + '/', ''), seconds, peakMiB };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

async function decode(data: Buffer): Promise<RawImage> {
  const { data: px, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: px, width: info.width, height: info.height, channels: 3 };
}

async function main(): Promise<void> {
  const shoot = shootDir(FRAMES);
  await makeShoot(shoot, FRAMES);
  const cores = os.availableParallelism();

  const outX = path.join(WORK, 'out-xoay'),
    outS = path.join(WORK, 'out-sharp'),
    outM = path.join(WORK, 'out-imagemagick');
  for (const d of [outX, outS, outM]) await rm(d, { recursive: true, force: true });

  const xArgs = xoaySpinArgv(ROOT, shoot, outX);
  const xRuns = [await timed('(1) xoay spin, all stages', xArgs)];
  const manifest = JSON.parse(await readFile(path.join(outX, 'spin.json'), 'utf8')) as SpinManifest;
  const sizes = manifest.widths.map((w) => `${w}x${Math.round((w * manifest.height) / manifest.width)}`).join(',');
  const formats = manifest.formats.join(',');
  const qa = JSON.parse(await readFile(path.join(outX, 'qa.json'), 'utf8')) as QaReport;
  const c = qa.rows[0]!.crop;
  const crop = `${c.x},${c.y},${c.width},${c.height}`;
  const sArgs = peerArgv(ROOT, 'dist/bench/bare-sharp.js', shoot, outS, sizes, formats);
  // (1) and (2) alternate REPEAT times (the machine is noisy); each reports its median run.
  const sRuns = [await timed('(2) bare sharp: decode, resize, encode', sArgs)];
  for (let k = 1; k < REPEAT; k++) {
    xRuns.push(await timed('(1) xoay spin, all stages', xArgs));
    sRuns.push(await timed('(2) bare sharp: decode, resize, encode', sArgs));
  }
  const medianRun = (runs: Timed[]) => [...runs].sort((a, b) => a.seconds - b.seconds)[(runs.length - 1) >> 1]!;
  const x = medianRun(xRuns),
    s = medianRun(sRuns);
  const m = await timed('(3) ImageMagick convert', peerArgv(ROOT, 'dist/bench/imagemagick.js', shoot, outM, sizes, formats));
  const [bx, bs, bm] = [await dirBytes(outX), await dirBytes(outS), await dirBytes(outM)];
  // (2b): the bare script on xoay's own crop window, so both encode the same content (xoay's tighter
  // crop shows the object larger, with more detail for the encoders).
  await rm(outS, { recursive: true, force: true });
  const sc = await timed("(2b) bare sharp on xoay's crop window", [...sArgs.slice(0, -2), '--crop', crop, ...sArgs.slice(-2)]);
  const bsc = await dirBytes(outS);
  const { stdout: imVersion } = await run('/usr/bin/convert', ['-version']);

  // Bytes and SSIM at 1024 px: encode each processed frame (the pipeline's own reference) at 1024.
  process.stderr.write('bench: bytes and SSIM at 1024 px against the processed frames\n');
  const perFormat: Record<string, { bytes: number; ssim: number[] }> = {};
  const formatsAll: (SpinFormat | 'jpeg-q85')[] = ['avif', 'webp', 'jpeg', 'jpeg-q85'];
  for (const f of formatsAll) perFormat[f] = { bytes: 0, ssim: [] };
  const ref1024 = path.join(WORK, 'out-1024');
  await rm(ref1024, { recursive: true, force: true });
  await spin(
    shoot,
    ref1024,
    { widths: [1024], formats: ['jpeg'] },
    {
      onFrame: async (_f, img) => {
        const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
          .resize({ width: 1024, kernel: 'lanczos3' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const ref: RawImage = { data, width: info.width, height: info.height, channels: img.channels };
        for (const f of formatsAll) {
          const enc =
            f === 'jpeg-q85'
              ? await encodeImage(ref, 1024, 'jpeg', { ...ENCODE_DEFAULTS, jpeg: { quality: 85, mozjpeg: true, progressive: true } })
              : await encodeImage(ref, 1024, f, ENCODE_DEFAULTS);
          perFormat[f]!.bytes += enc.length;
          perFormat[f]!.ssim.push(ssim(ref, await decode(enc)));
        }
      },
    },
  );
  const q85 = perFormat['jpeg-q85']!.bytes;

  const fmtS = (v: number) => v.toFixed(1);
  const lines = [
    `## Spin benchmark (${FRAMES} frames, 6000×4000 JPEG, ${cores} cores)`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench${FRAMES !== 36 || REPEAT !== 3 ? ` -- --frames ${FRAMES} --repeat ${REPEAT}` : ''}\` (bench/run.ts); (1) and (2) alternated ${REPEAT} times, median shown (all: (1) ${xRuns.map((r) => r.seconds.toFixed(1)).join(', ')} s; (2) ${sRuns.map((r) => r.seconds.toFixed(1)).join(', ')} s); (3) once: Node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), ${imVersion.split('\n')[0]!.replace(/^Version: /, '')}. Output ${manifest.width}×${manifest.height}, widths ${manifest.widths.join('/')}, formats ${manifest.formats.join('/')}; encoder settings: AVIF ${JSON.stringify(ENCODE_DEFAULTS.avif)}, WebP ${JSON.stringify(ENCODE_DEFAULTS.webp)}, JPEG ${JSON.stringify(ENCODE_DEFAULTS.jpeg)} (ImageMagick: the same qualities, its own defaults otherwise).`,
    '',
    '| run | wall s | vs (2) bare sharp | peak RSS MiB | output MiB |',
    '|---|---:|---:|---:|---:|',
    ...[
      [x, bx],
      [s, bs],
      [sc, bsc],
      [m, bm],
    ].map(([t, b]) => {
      const tt = t as Timed;
      return `| ${tt.label} | ${fmtS(tt.seconds)} | ${(tt.seconds / s.seconds).toFixed(2)}× | ${tt.peakMiB.toFixed(0)} | ${((b as number) / 1048576).toFixed(1)} |`;
    }),
    '',
    `- (1) / (2) = **${(x.seconds / s.seconds).toFixed(2)}×** (target ≤ 1.25×; on the same content, (1) / (2b) = ${(x.seconds / sc.seconds).toFixed(2)}×); (3) / (1) = **${(m.seconds / x.seconds).toFixed(2)}×** slower for ImageMagick (target ≥ 4×); xoay peak RSS **${x.peakMiB.toFixed(0)} MiB** (target ≤ 1536 MiB).`,
    '',
    'Commands (each under `/usr/bin/time -f "%e %M"`):',
    '',
    ...[x, s, sc, m].map((t) => `- ${t.label}: \`${t.command}\``),
    '',
    `### Bytes of the ${FRAMES} frames at 1024 px, against mozjpeg q85`,
    '',
    'SSIM (luma, 11×11 Gaussian) of each decoded rendition to the processed frame it was encoded from.',
    '',
    '| format | KiB (all frames) | vs JPEG q85 | min SSIM | mean SSIM |',
    '|---|---:|---:|---:|---:|',
    ...formatsAll.map((f) => {
      const p = perFormat[f]!;
      return `| ${f === 'jpeg-q85' ? 'JPEG q85 (reference)' : f} | ${(p.bytes / 1024).toFixed(0)} | ${((100 * p.bytes) / q85).toFixed(0)} % | ${Math.min(...p.ssim).toFixed(4)} | ${(p.ssim.reduce((a, b) => a + b, 0) / p.ssim.length).toFixed(4)} |`;
    }),
    '',
  ];
  const text = lines.join('\n');
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench/results/spin.md'), text);
  process.stdout.write(text + '\n');
  if (!values.keep) for (const d of [outX, outS, outM, ref1024]) await rm(d, { recursive: true, force: true });
}

await main();
