/** Command-line arguments shared by the benchmark's peer scripts (bare-sharp.ts, imagemagick.ts). */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
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
