/**
 * Peer (2) of the spin benchmark: a bare sharp script that writes the same files as `xoay spin`
 * (same sizes, formats and encoder settings) with decode, resize and encode only: no analysis,
 * re-centring, matting or levels. Frames are processed `--concurrency` at a time, like xoay.
 *
 *   node dist/bench/bare-sharp.js <frames-dir> <out-dir> --sizes 512x512,1024x1024 --formats avif,webp,jpeg --concurrency 2
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ENCODE_DEFAULTS, EXTENSION } from '../pipeline/spin/encode.js';
import { peerArgs } from './peer-args.js';
import { mapLimit } from '../pipeline/core/pool.js';

const { input, output, sizes, formats, concurrency, crop, frames: files } = await peerArgs('bare-sharp');
sharp.concurrency(os.availableParallelism());
sharp.cache(false);

await mapLimit(files, concurrency, async (name, i) => {
  let src = sharp(path.join(input, name), { limitInputPixels: false });
  if (crop) {
    // The same window as xoay (clipped to the frame), so both encode the same content.
    const { width = 0, height = 0 } = await src.metadata();
    const left = Math.max(0, crop.x),
      top = Math.max(0, crop.y);
    src = src.extract({ left, top, width: Math.min(width, crop.x + crop.width) - left, height: Math.min(height, crop.y + crop.height) - top });
  }
  for (const [w, h] of sizes) {
    const dir = path.join(output, String(w));
    await mkdir(dir, { recursive: true });
    for (const f of formats) {
      const p = src.clone().resize(w, h, { fit: 'cover', kernel: 'lanczos3' });
      const data =
        f === 'avif'
          ? await p.avif(ENCODE_DEFAULTS.avif).toBuffer()
          : f === 'webp'
            ? await p.webp(ENCODE_DEFAULTS.webp).toBuffer()
            : await p.jpeg(ENCODE_DEFAULTS.jpeg).toBuffer();
      await writeFile(path.join(dir, `${String(i + 1).padStart(3, '0')}.${EXTENSION[f]}`), data);
    }
  }
});
