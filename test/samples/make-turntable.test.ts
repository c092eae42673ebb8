/**
 * The sample renderer still re-makes a turntable shoot: three.js in Debian's headless Chromium,
 * grey backdrop, off-axis object (a small run: 8 frames at 320×240).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spin } from '../../pipeline/spin/spin.js';
import { dataSet, ROOT } from '../helpers/data.js';

const run = promisify(execFile);
const model = dataSet('models/painted_wooden_stool_1k.glb');
const chromium = existsSync('/usr/bin/chromium');
const reason = !chromium ? 'needs Debian chromium at /usr/bin/chromium (.ci/run installs it)' : model.reason;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-render-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('samples/make-turntable', () => {
  it.skipIf(!chromium || !model.present)(`renders a turntable shoot that the spin pipeline accepts ${reason}`, async () => {
    const out = path.join(tmp, 'shoot');
    const masks = path.join(tmp, 'masks');
    await run(
      process.execPath,
      [
        path.join(ROOT, 'dist/samples/make-turntable.js'),
        '--model',
        model.dir,
        '--out',
        out,
        '--frames',
        '8',
        '--width',
        '320',
        '--height',
        '240',
        '--masks',
        masks,
      ],
      { cwd: ROOT, timeout: 170_000 },
    );
    const files = (await readdir(out)).filter((n) => n.endsWith('.jpg')).sort();
    expect(files).toEqual(Array.from({ length: 8 }, (_, i) => `stool_${String(i + 1).padStart(3, '0')}.jpg`));
    // --masks: one binary mask per frame; the object alone, darker than the backdrop where the mask is set.
    expect((await readdir(masks)).filter((n) => n.endsWith('.png')).sort()).toEqual(files.map((f) => f.replace('.jpg', '.png')));
    const meta = await sharp(path.join(masks, 'stool_001.png')).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 320, 240, 1]);
    const m = await sharp(path.join(masks, 'stool_001.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const frame = await sharp(path.join(out, files[0]!)).raw().toBuffer();
    let inside = 0,
      sumIn = 0,
      sumOut = 0;
    for (let k = 0; k < m.data.length; k++) {
      expect(m.data[k] === 0 || m.data[k] === 255).toBe(true);
      const lum = frame[k * 3]! + frame[k * 3 + 1]! + frame[k * 3 + 2]!;
      if (m.data[k]) {
        inside++;
        sumIn += lum;
      } else sumOut += lum;
    }
    expect(inside / m.data.length).toBeGreaterThan(0.05);
    expect(inside / m.data.length).toBeLessThan(0.5);
    expect(sumIn / inside).toBeLessThan(sumOut / (m.data.length - inside) - 20);
    const { data, info } = await sharp(path.join(out, files[0]!)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 240]);
    // Light-grey backdrop at the corners, something darker in the middle.
    expect(Math.abs(data[0]! - 0xd9)).toBeLessThan(20);
    const stats = await sharp(path.join(out, files[0]!)).stats();
    expect(stats.channels[0]!.min).toBeLessThan(150);
    const { qa } = await spin(out, path.join(tmp, 'spin'), { formats: ['jpeg'], widths: [128] });
    expect(qa.rows[0]!.backdrop).toBe('grey');
    expect(qa.orbit.before).toBeGreaterThan(2);
    expect(qa.orbit.after).toBeLessThanOrEqual(0.5);
  });
});
