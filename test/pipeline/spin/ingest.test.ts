import { mkdtemp, mkdir, rm, writeFile, copyFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameNumber, naturalCompare, numberingGaps, orderFrames } from '../../../pipeline/core/frames.js';
import { ingest } from '../../../pipeline/spin/ingest.js';
import { loadAnalysisImage } from '../../../pipeline/spin/analyse.js';
import { makeSyntheticShoot } from '../../../samples/synthetic-shoot.js';

const decode = { limitInputPixels: 1e8, flatten: { r: 255, g: 255, b: 255 } };

describe('frame naming and order', () => {
  it('takes the last number in the name', () => {
    expect(frameNumber('rad_zoom_001.jpg')).toBe(1);
    expect(frameNumber('IMG_0012.JPG')).toBe(12);
    expect(frameNumber('12345_01_022.jpg')).toBe(22);
    expect(frameNumber('front.png')).toBeNull();
  });
  it('sorts naturally and by frame number', () => {
    expect(['img10.jpg', 'img2.jpg', 'img1.jpg'].sort(naturalCompare)).toEqual(['img1.jpg', 'img2.jpg', 'img10.jpg']);
    expect(orderFrames(['12345_01_010.jpg', '12345_01_002.jpg', '12345_01_001.jpg'])).toEqual(['12345_01_001.jpg', '12345_01_002.jpg', '12345_01_010.jpg']);
    expect(orderFrames(['IMG_0100.JPG', 'IMG_0099.JPG'])).toEqual(['IMG_0099.JPG', 'IMG_0100.JPG']);
    // Row-major names stay row-major (for --rows), and copies sort after their original.
    expect(orderFrames(['12345_02_001.jpg', '12345_01_002.jpg', '12345_01_001.jpg', '12345_02_002.jpg'])).toEqual([
      '12345_01_001.jpg',
      '12345_01_002.jpg',
      '12345_02_001.jpg',
      '12345_02_002.jpg',
    ]);
    expect(orderFrames(['IMG_0011 (1).jpg', 'IMG_0010.jpg', 'IMG_0009.jpg'])).toEqual(['IMG_0009.jpg', 'IMG_0010.jpg', 'IMG_0011 (1).jpg']);
  });
  it('finds gaps in the numbering', () => {
    expect(numberingGaps([1, 2, 4, 7])).toEqual([3, 5, 6]);
    expect(numberingGaps([5, 6, 7])).toEqual([]);
  });
});

describe('ingest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-ingest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads one row, ordered by number, reports gaps and reverses on request', async () => {
    const shoot = path.join(dir, 'one');
    const files = await makeSyntheticShoot(shoot, {
      frames: 10,
      width: 160,
      height: 120,
      orbit: 0,
      backdrop: 'white',
      name: (n) => `IMG_${n < 5 ? n : n + 1}`,
    });
    const set = await ingest(shoot);
    expect(set.rows).toHaveLength(1);
    expect(set.rows[0]!.frames.map((f) => path.basename(f.file))).toEqual(files.map((f) => path.basename(f)));
    expect(set.width).toBe(160);
    expect(set.height).toBe(120);
    expect(set.warnings.join(' ')).toMatch(/missing: 5/);
    const rev = await ingest(shoot, { reverse: true });
    expect(rev.rows[0]!.frames[0]!.file).toBe(files[0]);
    expect(rev.rows[0]!.frames[1]!.file).toBe(files[files.length - 1]);
    expect(rev.rows[0]!.frames.map((f) => f.index)).toEqual([...Array(10).keys()]);
  });

  it('reads rows from sub-folders in natural order, and splits one folder with --rows', async () => {
    const multi = path.join(dir, 'multi');
    await makeSyntheticShoot(path.join(multi, 'row-10'), { frames: 8, width: 120, height: 90, orbit: 0, backdrop: 'grey' });
    await makeSyntheticShoot(path.join(multi, 'row-2'), { frames: 8, width: 120, height: 90, orbit: 5, backdrop: 'grey' });
    const set = await ingest(multi);
    expect(set.rows.map((r) => r.name)).toEqual(['row-2', 'row-10']);

    const flat = path.join(dir, 'flat');
    await mkdir(flat);
    let n = 0;
    for (const r of ['row-2', 'row-10']) {
      for (let i = 1; i <= 8; i++)
        await copyFile(path.join(multi, r, `frame_${String(i).padStart(3, '0')}.jpg`), path.join(flat, `shot_${String(++n).padStart(3, '0')}.jpg`));
    }
    const split = await ingest(flat, { rows: 2 });
    expect(split.rows.map((r) => r.frames.length)).toEqual([8, 8]);
    expect(path.basename(split.rows[1]!.frames[0]!.file)).toBe('shot_009.jpg');
  });

  it('follows symlinked frames, and ignores a stray image next to row folders (with a warning)', async () => {
    const linked = path.join(dir, 'linked');
    const src = path.join(dir, 'link-src');
    const files = await makeSyntheticShoot(src, { frames: 8, width: 120, height: 90, orbit: 0, backdrop: 'white' });
    await mkdir(linked);
    for (const f of files) await symlink(f, path.join(linked, path.basename(f)));
    expect((await ingest(linked)).rows[0]!.frames).toHaveLength(8);

    const rows = path.join(dir, 'rows-and-preview');
    await makeSyntheticShoot(path.join(rows, 'row-1'), { frames: 8, width: 120, height: 90, orbit: 0, backdrop: 'grey' });
    await makeSyntheticShoot(path.join(rows, 'row-2'), { frames: 8, width: 120, height: 90, orbit: 3, backdrop: 'grey' });
    await copyFile(files[0]!, path.join(rows, 'preview.jpg'));
    const set = await ingest(rows);
    expect(set.rows.map((r) => r.name)).toEqual(['row-1', 'row-2']);
    expect(set.warnings.join(' ')).toMatch(/ignored 1 image\(s\) next to the row folders: preview\.jpg/);
  });

  it('turns CMYK, 16-bit, grey, palette, alpha and EXIF-rotated inputs into upright 8-bit sRGB', async () => {
    const base = sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } } });
    const png = await base.clone().png().toBuffer();
    const variants: Record<string, Buffer> = {
      cmyk: await sharp(png).toColourspace('cmyk').jpeg().toBuffer(),
      sixteen: await sharp(png).toColourspace('rgb16').png().toBuffer(),
      grey: await sharp(png).greyscale().png().toBuffer(),
      palette: await sharp(png).png({ palette: true, colours: 8 }).toBuffer(),
      alpha: await sharp(png).ensureAlpha(0.5).png().toBuffer(),
      rotated: await sharp(png).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    };
    for (const [name, buf] of Object.entries(variants)) {
      const file = path.join(dir, `${name}.${name === 'cmyk' || name === 'rotated' ? 'jpg' : 'png'}`);
      await writeFile(file, buf);
      const meta = await sharp(buf).metadata();
      const rotated = name === 'rotated';
      const img = await loadAnalysisImage({ file, row: 0, index: 0, width: rotated ? 32 : 64, height: rotated ? 64 : 32, hash: '' }, 512, decode);
      expect(img.channels, name).toBe(3);
      expect([img.width, img.height], name).toEqual(rotated ? [32, 64] : [64, 32]);
      const [r, g, b] = [img.data[0]!, img.data[1]!, img.data[2]!];
      if (name === 'grey') {
        expect(r).toBe(g);
        expect(g).toBe(b);
      } else if (name === 'alpha') {
        // half-transparent red over white
        expect(r).toBeGreaterThan(220);
        expect(g).toBeGreaterThan(130);
        expect(g).toBeLessThan(160);
      } else {
        expect(r, `${name} (${meta.space}, ${meta.depth})`).toBeGreaterThan(170);
        expect(g, name).toBeLessThan(90);
        expect(b, name).toBeLessThan(90);
      }
    }
  });
});
