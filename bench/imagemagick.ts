/**
 * Peer (3) of the spin benchmark: ImageMagick (`/usr/bin/convert`) writing the same sizes and formats,
 * one `convert` per frame that reads the frame once and writes every rendition, `--concurrency`
 * frames at a time. Qualities match xoay's; ImageMagick 6 has no effort settings (its defaults apply).
 *
 *   node dist/bench/imagemagick.js <frames-dir> <out-dir> --sizes 512x512,… --formats avif,webp,jpeg --concurrency 2
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ENCODE_DEFAULTS, EXTENSION, type SpinFormat } from '../pipeline/spin/encode.js';
import { mapLimit } from '../pipeline/core/pool.js';
import { peerArgs } from './peer-args.js';

const run = promisify(execFile);
const { output, input, sizes, formats, concurrency, crop, frames: files, extra } = await peerArgs('imagemagick', { convert: '/usr/bin/convert' });
const quality: Record<SpinFormat, number> = { avif: ENCODE_DEFAULTS.avif.quality, webp: ENCODE_DEFAULTS.webp.quality, jpeg: ENCODE_DEFAULTS.jpeg.quality };

for (const [w] of sizes) await mkdir(path.join(output, String(w)), { recursive: true });
await mapLimit(files, concurrency, async (name, i) => {
  const args = [path.join(input, name), '-strip'];
  // The same window as xoay (ImageMagick clips it to the frame).
  if (crop) args.push('-crop', `${crop.width}x${crop.height}${crop.x >= 0 ? '+' : ''}${crop.x}${crop.y >= 0 ? '+' : ''}${crop.y}`, '+repage');
  // Every rendition from the frame as read once (mpr: keeps one decoded copy in memory).
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
  await run(extra.convert!, args, { maxBuffer: 1 << 20 });
});
