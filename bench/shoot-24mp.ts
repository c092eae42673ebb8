/**
 * The 24 MP benchmark shoot: 36 frames of 6000×4000 JPEG made from the CC0 sample
 * (samples/stool-turntable, upscaled 5× with lanczos3, cut to 6000×4000, grey sweep), in bench/.work/
 * and re-used between runs. Shared by `npm run bench` (bench/run.ts) and `npm run bench:segment`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the shoot of `frames` frames lives. */
export function shootDir(frames: number): string {
  return path.join(ROOT, 'bench/.work', `shoot-24mp-${frames}`);
}

/** Make the shoot (the first `frames` frames of the sample) in `dir`, unless a complete one is there. */
export async function makeShoot(dir: string, frames: number): Promise<void> {
  const marker = path.join(dir, '.complete');
  if (existsSync(marker) && (await readdir(dir)).filter((n) => n.endsWith('.jpg')).length === frames) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const src = path.join(ROOT, 'samples/stool-turntable');
  const names = (await readdir(src))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, frames);
  process.stderr.write(`bench: making a ${names.length}-frame 6000×4000 shoot in ${dir}\n`);
  for (const n of names) {
    // 1200×900 → 6000×4500 → the middle 6000×4000, as a camera JPEG would be.
    const big = await sharp(path.join(src, n)).resize(6000, 4500, { kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    await sharp(big.data, { raw: big.info, limitInputPixels: false })
      .extract({ left: 0, top: 250, width: 6000, height: 4000 })
      .jpeg({ quality: 92, chromaSubsampling: '4:2:0' })
      .toFile(path.join(dir, n));
  }
  await writeFile(marker, '');
}
