/**
 * Bad input: each case exits non-zero with one message naming the file and the problem, leaves no
 * output (nor a temporary folder) behind, and never touches the input.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticShoot } from '../../samples/synthetic-shoot.js';
import { xoay, xoayFails } from '../helpers/cli.js';

let tmp: string;

/**
 * A real decompression bomb: a valid w×h 8-bit grey PNG of zeros (about 100 KB on disk per 100 MP,
 * w·h bytes once decoded).
 */
function greyPngBomb(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const idat = zlib.deflateSync(Buffer.alloc((w + 1) * h), { level: 9 }); // filter byte 0 + zeros, per row
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
let good: string;

async function snapshot(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      h.update(p);
      if (e.isDirectory()) await walk(p);
      else h.update(await readFile(p));
    }
  };
  await walk(dir);
  return h.digest('hex');
}

/** A fresh copy of the good 8-frame shoot, changed by `mutate`. */
async function shoot(name: string, mutate?: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(good, dir, { recursive: true });
  if (mutate) await mutate(dir);
  return dir;
}

async function expectFailure(input: string, match: RegExp, opts: { out?: string; args?: string[] } = {}) {
  const out = opts.out ?? path.join(tmp, 'out', path.basename(input));
  const parent = path.dirname(out);
  const before = await snapshot(input).catch(() => 'missing');
  // As typed, then with --json: one {"error":…} document on stdout and nothing else (test/helpers/cli.ts).
  const r = await xoayFails(['spin', input, '-o', out, '-q', '--formats', 'jpeg', '--widths', '256', ...(opts.args ?? [])]);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^xoay spin: /);
  expect(lines[0]).toMatch(match);
  expect(await snapshot(input).catch(() => 'missing')).toBe(before);
  // Nothing half-written: no output, no temporary folder next to it.
  const left = await readdir(parent).catch(() => [] as string[]);
  expect(left.filter((n) => n === path.basename(out) || n.includes('.xoay-tmp-'))).toEqual([]);
  return lines[0]!;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-errors-'));
  good = path.join(tmp, 'good');
  await makeSyntheticShoot(good, { frames: 8, width: 160, height: 120, orbit: 6, backdrop: 'white' });
  await mkdir(path.join(tmp, 'out'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('xoay spin refuses bad input clearly', () => {
  it('a missing folder', async () => {
    await expectFailure(path.join(tmp, 'nope'), /nope: the input folder does not exist/);
  });
  it('an empty folder', async () => {
    const d = path.join(tmp, 'empty');
    await mkdir(d);
    await expectFailure(d, /empty: no frames found/);
  });
  it('fewer than 8 frames', async () => {
    const d = await shoot('few', async (dir) => rm(path.join(dir, 'frame_008.jpg')));
    await expectFailure(d, /few: row "few" has 7 frames; a spin needs at least 8/);
  });
  it('a zero-byte file', async () => {
    const d = await shoot('zero', async (dir) => writeFile(path.join(dir, 'frame_003.jpg'), ''));
    await expectFailure(d, /frame_003\.jpg: the file is empty \(0 bytes\)/);
  });
  it('a truncated JPEG', async () => {
    const d = await shoot('truncated', async (dir) => {
      const f = path.join(dir, 'frame_004.jpg');
      const n = (await readFile(f)).length;
      await truncate(f, Math.floor(n / 2));
    });
    await expectFailure(d, /frame_004\.jpg: the image is truncated or corrupt/);
  });
  it('a text file named .jpg', async () => {
    const d = await shoot('text', async (dir) => writeFile(path.join(dir, 'frame_005.jpg'), 'this is not a picture\n'));
    await expectFailure(d, /frame_005\.jpg: not an image in a supported format/);
  });
  it('frames of different sizes, listed', async () => {
    const d = await shoot('sizes', async (dir) => {
      for (const n of ['frame_002.jpg', 'frame_006.jpg']) {
        const f = path.join(dir, n);
        await writeFile(
          f,
          await sharp(await readFile(f))
            .resize(150, 100, { fit: 'fill' })
            .jpeg()
            .toBuffer(),
        );
      }
    });
    const msg = await expectFailure(d, /frames have different sizes: 6 are 160×120/);
    expect(msg).toMatch(/frame_002\.jpg \(150×100\)/);
    expect(msg).toMatch(/frame_006\.jpg \(150×100\)/);
  });
  it('rows with different counts', async () => {
    const d = path.join(tmp, 'rows');
    await cp(good, path.join(d, 'row-1'), { recursive: true });
    await makeSyntheticShoot(path.join(d, 'row-2'), { frames: 9, width: 160, height: 120, orbit: 0, backdrop: 'white' });
    await expectFailure(d, /rows have different frame counts: row-1: 8, row-2: 9/);
  });
  it('duplicate frames', async () => {
    const d = await shoot('dups', async (dir) => cp(path.join(dir, 'frame_001.jpg'), path.join(dir, 'frame_009.jpg')));
    await expectFailure(d, /duplicate frames \(identical content\): frame_001\.jpg = frame_009\.jpg/);
  });
  it('the same picture twice, saved with different compression', async () => {
    const d = await shoot('resaved', async (dir) => {
      const f3 = path.join(dir, 'frame_003.jpg');
      await writeFile(path.join(dir, 'frame_004.jpg'), await sharp(f3).jpeg({ quality: 80 }).toBuffer());
    });
    await expectFailure(d, /frames frame_003\.jpg and frame_004\.jpg are the same picture/);
  });
  it('an image over the pixel limit (decompression bomb), and the option that raises it', async () => {
    const d = await shoot('bomb');
    await expectFailure(d, /frame_001\.jpg: the image is larger than the pixel limit of 10000 pixels .*--limit-input-pixels/, {
      args: ['--limit-input-pixels', '10000'],
    });
    // A 10001×10001 PNG (100.02 MP) against the default limit of 100 MP.
    const big = await shoot('bomb-default', async (dir) => {
      const f = path.join(dir, 'frame_002.jpg');
      await rm(f);
      await writeFile(path.join(dir, 'frame_002.png'), greyPngBomb(10001, 10001));
    });
    await expectFailure(big, /frame_002\.png: the image is larger than the pixel limit of 100000000 pixels/);
  });
  it('an output folder inside the input folder', async () => {
    const d = await shoot('inside');
    await expectFailure(d, /the output folder is inside the input folder/, { out: path.join(d, 'spin') });
  });
  it('an unwritable output', async () => {
    const d = await shoot('unwritable');
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    await expectFailure(d, /cannot write the output folder here/, { out: path.join(file, 'spin') });
  });
  it('a bad option value: one line, exit code 2, no help dump', async () => {
    const d = await shoot('badopt');
    for (const args of [
      ['--concurrency', '0'],
      ['--background', 'pink'],
      ['--rows', '2.5'],
    ]) {
      const r = await xoayFails(['spin', d, '-o', path.join(tmp, 'x'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
    const noOut = await xoayFails(['spin', d]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^xoay spin: missing -o, --output <dir>/);
  });
  it('a failure leaves no folders made for the output behind', async () => {
    const d = await shoot('deep', async (dir) => writeFile(path.join(dir, 'frame_002.jpg'), 'not a picture'));
    const r = await xoayFails(['spin', d, '-o', path.join(tmp, 'made/for/it/out'), '-q']);
    expect(r.code).toBe(1);
    expect(await readdir(tmp)).not.toContain('made');
  });
  it('an existing output without --force, and a bad option value', async () => {
    const d = await shoot('exists');
    const out = path.join(tmp, 'exists-out');
    await mkdir(out);
    await writeFile(path.join(out, 'keep.txt'), 'mine');
    const r = await xoayFails(['spin', d, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists-out: the output already exists; pass --force to replace it/);
    expect(await readFile(path.join(out, 'keep.txt'), 'utf8')).toBe('mine');
    const bad = await xoayFails(['spin', d, '-o', path.join(tmp, 'x'), '--widths', 'big']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--widths must be integers/);
  });
});

describe('xoay spin refuses bad studio inputs (--clean-plate, --masks) clearly', () => {
  /** A masks folder for the good shoot: its frames' object, white on black, one per frame. */
  async function masksFor(name: string): Promise<string> {
    const dir = path.join(tmp, name);
    await mkdir(dir, { recursive: true });
    for (let i = 1; i <= 8; i++) {
      const f = `frame_${String(i).padStart(3, '0')}.jpg`;
      await sharp(path.join(good, f))
        .greyscale()
        .threshold(200)
        .negate()
        .png()
        .toFile(path.join(dir, `mask_${String(i).padStart(3, '0')}.png`));
    }
    return dir;
  }
  it('a clean plate of another size', async () => {
    const plate = path.join(tmp, 'plate-small.png');
    await sharp({ create: { width: 80, height: 60, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(plate);
    const line = await expectFailure(await shoot('cp-size'), /plate-small\.png: the clean plate is 80×60 but the frames are 160×120/, {
      args: ['--clean-plate', plate],
    });
    expect(line).toMatch(/^xoay spin: /);
  });
  it('a clean plate that is not an image, or missing', async () => {
    const plate = path.join(tmp, 'plate-text.png');
    await writeFile(plate, 'not a picture');
    await expectFailure(await shoot('cp-text'), /plate-text\.png: the clean plate is not an image that can be read/, { args: ['--clean-plate', plate] });
    await expectFailure(await shoot('cp-missing'), /no-plate\.png: the clean plate does not exist/, {
      args: ['--clean-plate', path.join(tmp, 'no-plate.png')],
    });
  });
  it('a mask missing, extra, of another size, or not an image', async () => {
    const missing = await masksFor('masks-missing');
    await rm(path.join(missing, 'mask_005.png'));
    await expectFailure(await shoot('mk-missing'), /masks-missing: 8 frames but 7 masks: no mask for frame frame_008\.jpg/, { args: ['--masks', missing] });
    const extra = await masksFor('masks-extra');
    await cp(path.join(extra, 'mask_008.png'), path.join(extra, 'mask_009.png'));
    await expectFailure(await shoot('mk-extra'), /mask_009\.png: 8 frames but 9 masks: mask_009\.png match no frame/, { args: ['--masks', extra] });
    const size = await masksFor('masks-size');
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000000' } })
      .png()
      .toFile(path.join(size, 'mask_003.png'));
    await expectFailure(await shoot('mk-size'), /mask_003\.png: the mask is 100×100 but its frame frame_003\.jpg is 160×120/, { args: ['--masks', size] });
    const text = await masksFor('masks-text');
    await writeFile(path.join(text, 'mask_002.png'), 'not a picture');
    await expectFailure(await shoot('mk-text'), /mask_002\.png: the mask is not an image that can be read/, { args: ['--masks', text] });
  });
  it('uses given masks as the masks, and a backlit silhouette (dark object on light) the same way', async () => {
    const masks = await masksFor('masks-good');
    const backlit = path.join(tmp, 'masks-backlit');
    await mkdir(backlit);
    for (const f of await readdir(masks)) await sharp(path.join(masks, f)).negate().png().toFile(path.join(backlit, f));
    for (const [name, dir] of [
      ['plain', masks],
      ['backlit', backlit],
    ] as const) {
      const out = path.join(tmp, 'out', `masks-${name}`);
      const r = await xoay(['spin', good, '-o', out, '-q', '--formats', 'jpeg', '--widths', '128', '--masks', dir, '--debug-masks']);
      expect(r.code, r.stderr).toBe(0);
      for (let i = 1; i <= 8; i++) {
        const n = String(i).padStart(3, '0');
        const a = await sharp(path.join(out, 'masks', `${n}.png`))
          .extractChannel(0)
          .raw()
          .toBuffer();
        const b = await sharp(path.join(masks, `mask_${n}.png`))
          .extractChannel(0)
          .raw()
          .toBuffer();
        let same = 0;
        for (let k = 0; k < a.length; k++) if (a[k]! > 127 === b[k]! > 127) same++;
        expect(same / a.length, `${name} ${n}`).toBeGreaterThan(0.995);
      }
      expect((await readdir(path.join(out, 'masks'))).sort()).toContain('plate.png');
    }
  });
});
