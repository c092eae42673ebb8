/**
 * Peer (3) of the spin benchmark: ImageMagick (`/usr/bin/convert`) writing the same sizes and formats,
 * one `convert` per frame that reads the frame once and writes every rendition, `--concurrency`
 * frames at a time. Qualities match xoay's; ImageMagick 6 has no effort settings (its defaults apply).
 *
 *   node dist/bench/imagemagick.js <frames-dir> <out-dir> --sizes 512x512,… --formats avif,webp,jpeg --concurrency 2
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { ENCODE_DEFAULTS, EXTENSION, type SpinFormat } from '../pipeline/spin/encode.js';
import { mapLimit } from '../pipeline/core/pool.js';

const run = promisify(execFile);
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '512x512,1024x1024,2048x2048' },
    formats: { type: 'string', default: 'avif,webp,jpeg' },
    concurrency: { type: 'string', default: String(os.availableParallelism()) },
    convert: { type: 'string', default: '/usr/bin/convert' },
  },
});
const [input, output] = positionals;
if (!input || !output) throw new Error('usage: imagemagick <frames-dir> <out-dir> [--sizes WxH,…] [--formats …] [--concurrency N]');
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const formats = values.formats.split(',') as SpinFormat[];
const quality: Record<SpinFormat, number> = { avif: ENCODE_DEFAULTS.avif.quality, webp: ENCODE_DEFAULTS.webp.quality, jpeg: ENCODE_DEFAULTS.jpeg.quality };

for (const [w] of sizes) await mkdir(path.join(output, String(w)), { recursive: true });
const files = (await readdir(input)).filter((n) => /\.(jpe?g|png|tiff?|webp|avif)$/i.test(n)).sort();
await mapLimit(files, Number(values.concurrency), async (name, i) => {
  const args = [path.join(input, name), '-strip'];
  // Largest first, each rendition from the frame as read (mpr: keeps one decoded copy).
  args.push('-write', 'mpr:src', '+delete');
  for (const [w, h] of sizes) {
    for (const f of formats) {
      args.push('mpr:src', '-resize', `${w}x${h}^`, '-gravity', 'center', '-extent', `${w}x${h}`, '-quality', String(quality[f]));
      if (f === 'jpeg') args.push('-interlace', 'Plane');
      args.push('-write', path.join(output, String(w), `${String(i + 1).padStart(3, '0')}.${EXTENSION[f]}`), '+delete');
    }
  }
  args.pop(); // keep the last rendition in the list so the final `null:` output has an image
  args.push('null:');
  await run(values.convert, args, { maxBuffer: 1 << 20 });
});
