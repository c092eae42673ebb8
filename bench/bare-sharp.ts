/**
 * Peer (2) of the spin benchmark: a bare sharp script that writes the same files as `xoay spin`
 * (same sizes, formats and encoder settings) with decode, resize and encode only: no analysis,
 * re-centring, matting or levels. Frames are processed `--concurrency` at a time, like xoay.
 *
 *   node dist/bench/bare-sharp.js <frames-dir> <out-dir> --sizes 512x512,1024x1024 --formats avif,webp,jpeg --concurrency 2
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ENCODE_DEFAULTS, EXTENSION, type SpinFormat } from '../pipeline/spin/encode.js';
import { mapLimit } from '../pipeline/core/pool.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '512x512,1024x1024,2048x2048' },
    formats: { type: 'string', default: 'avif,webp,jpeg' },
    concurrency: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const [input, output] = positionals;
if (!input || !output) throw new Error('usage: bare-sharp <frames-dir> <out-dir> [--sizes WxH,…] [--formats …] [--concurrency N]');
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const formats = values.formats.split(',') as SpinFormat[];
const concurrency = Number(values.concurrency);
sharp.concurrency(os.availableParallelism());
sharp.cache(false);

const files = (await readdir(input)).filter((n) => /\.(jpe?g|png|tiff?|webp|avif)$/i.test(n)).sort();
await mapLimit(files, concurrency, async (name, i) => {
  const src = sharp(path.join(input, name), { limitInputPixels: false });
  for (const [w, h] of sizes) {
    const dir = path.join(output, String(w));
    await mkdir(dir, { recursive: true });
    for (const f of formats) {
      const p = src.clone().resize(w, h, { fit: 'cover', kernel: 'lanczos3' });
      const data =
        f === 'avif' ? await p.avif(ENCODE_DEFAULTS.avif).toBuffer() : f === 'webp' ? await p.webp(ENCODE_DEFAULTS.webp).toBuffer() : await p.jpeg(ENCODE_DEFAULTS.jpeg).toBuffer();
      await writeFile(path.join(dir, `${String(i + 1).padStart(3, '0')}.${EXTENSION[f]}`), data);
    }
  }
});
