/**
 * Command-line arguments shared by the benchmark's peer scripts (bare-sharp.ts, imagemagick.ts), and the command
 * lines the benchmarks run them and `xoay spin` with (timed under /usr/bin/time).
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { SpinFormat } from '../pipeline/spin/encode.js';

export interface PeerArgs {
  input: string;
  output: string;
  /** Output sizes (width, height), as xoay wrote them. */
  sizes: [number, number][];
  formats: SpinFormat[];
  concurrency: number;
  /** The crop (x, y, width, height) in source pixels that xoay used, or null for the whole frame. */
  crop: { x: number; y: number; width: number; height: number } | null;
  /** Options a peer adds, as strings. */
  extra: Record<string, string>;
  /** The input's frame files, sorted. */
  frames: string[];
}

export async function peerArgs(name: string, extra: Record<string, string> = {}): Promise<PeerArgs> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      sizes: { type: 'string', default: '512x512,1024x1024,2048x2048' },
      formats: { type: 'string', default: 'avif,webp,jpeg' },
      concurrency: { type: 'string', default: String(os.availableParallelism()) },
      crop: { type: 'string', default: '' },
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { type: 'string' as const, default: v }])),
    },
  });
  const [input, output] = positionals;
  if (!input || !output) throw new Error(`usage: ${name} <frames-dir> <out-dir> [--sizes WxH,…] [--formats …] [--crop x,y,w,h] [--concurrency N]`);
  const v = values as Record<string, string>;
  return {
    input,
    output,
    sizes: v.sizes!.split(',').map((s) => s.split('x').map(Number) as [number, number]),
    formats: v.formats!.split(',') as SpinFormat[],
    concurrency: Number(v.concurrency),
    crop: v.crop ? (([x, y, width, height]) => ({ x: x!, y: y!, width: width!, height: height! }))(v.crop.split(',').map(Number)) : null,
    extra: Object.fromEntries(Object.keys(extra).map((k) => [k, v[k]!])),
    frames: (await readdir(input)).filter((n) => /\.(jpe?g|png|tiff?|webp|avif)$/i.test(n)).sort(),
  };
}

/** `xoay spin` as the benchmarks run it (all cores, quiet, replacing the output), paths relative to the project `root`; `extra` options last. */
export function xoaySpinArgv(root: string, shoot: string, out: string, extra: string[] = []): string[] {
  const cores = String(os.availableParallelism());
  return [
    process.execPath,
    'bin/xoay.js',
    'spin',
    path.relative(root, shoot),
    '-o',
    path.relative(root, out),
    '--quiet',
    '--force',
    '--concurrency',
    cores,
    ...extra,
  ];
}

/** A peer script (dist/bench/bare-sharp.js, dist/bench/imagemagick.js) asked for the sizes and formats xoay wrote, on all cores. */
export function peerArgv(root: string, script: string, shoot: string, out: string, sizes: string, formats: string): string[] {
  const cores = String(os.availableParallelism());
  return [process.execPath, script, path.relative(root, shoot), path.relative(root, out), '--sizes', sizes, '--formats', formats, '--concurrency', cores];
}

export interface TimedCommand {
  /** Wall seconds as /usr/bin/time measured them. */
  seconds: number;
  /** User + system CPU seconds. */
  cpu: number;
  peakMiB: number;
  stderr: string;
}

/** Run `argv` in `cwd` under /usr/bin/time: wall and CPU seconds and peak memory. */
export async function timeCommand(argv: string[], cwd: string, label: string): Promise<TimedCommand> {
  const { stderr } = await promisify(execFile)('/usr/bin/time', ['-f', 'XOAY_TIME %e %M %U %S', ...argv], { cwd, maxBuffer: 64 << 20 });
  const m = /XOAY_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  if (!m) throw new Error(`${label}: no timing in the output:\n${stderr}`);
  return { seconds: Number(m[1]), cpu: Number(m[3]) + Number(m[4]), peakMiB: Number(m[2]) / 1024, stderr };
}
