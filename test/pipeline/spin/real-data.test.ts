/**
 * Acceptance on real photographs from the shared test data (XOAY_TEST_DATA): the bike spin, variants
 * made from it (grey and gradient backdrops, upscaled, a known added orbit and per-frame gains), and
 * the dinosaur ring on a black backdrop. Reported skipped, with the reason, when the data is absent.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spin, type SpinResult } from '../../../pipeline/spin/spin.js';
import { makeVariantShoot, seededGains } from '../../../samples/synthetic-shoot.js';
import { dataSet } from '../../helpers/data.js';

const bike = dataSet('spin/bike-34');
const dino = dataSet('ring/dino-sparse-16');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-real-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('bike-34 (real turntable photos on white)', () => {
  let clean: SpinResult;

  it.skipIf(!bike.present)(`meets the acceptance figures ${bike.reason}`, async () => {
    const out = path.join(tmp, 'bike');
    clean = await spin(bike.dir, out);
    const { manifest, qa } = clean;
    expect(qa.frames).toBe(34);
    // Every frame in every width and format.
    const files = new Set<string>();
    for (const w of manifest.widths)
      for (const f of manifest.formats)
        expect((await readdir(path.join(out, 'row-1', String(w)))).filter((n) => n.endsWith(f === 'jpeg' ? '.jpg' : `.${f}`))).toHaveLength(34);
    for (const fr of manifest.rows[0]!.frames) for (const byFmt of Object.values(fr.src)) for (const p of Object.values(byFmt)) files.add(p!);
    expect(files.size).toBe(34 * manifest.widths.length * manifest.formats.length);
    expect(qa.orbit.after).toBeLessThanOrEqual(0.5);
    expect(qa.purity.after).toBeGreaterThanOrEqual(99.5);
    expect(qa.flicker.after).toBeLessThanOrEqual(1);
  });

  const variants = [
    { name: 'grey backdrop, 2× upscaled, 3 % orbit, ±8 % gains', backdrop: 'grey' as const, scale: 2, orbit: 0.03, gain: seededGains(5, 0.08) },
    { name: 'gradient backdrop, 1.5× upscaled, 4 % orbit, ±10 % gains', backdrop: 'gradient' as const, scale: 1.5, orbit: 0.04, gain: seededGains(9, 0.1) },
  ];
  for (const v of variants) {
    it.skipIf(!bike.present)(`${v.name}: the added orbit and flicker are removed ${bike.reason}`, async () => {
      const input = path.join(tmp, `variant-${v.backdrop}`);
      await makeVariantShoot(bike.dir, input, v);
      const cleanQa = clean?.qa ?? (await spin(bike.dir, path.join(tmp, `bike-for-${v.backdrop}`), { formats: ['jpeg'] })).qa;
      const { qa } = await spin(input, path.join(tmp, `variant-${v.backdrop}-out`), { formats: ['jpeg', 'webp'] });
      expect(qa.rows[0]!.backdrop).toBe(v.backdrop);
      expect(qa.orbit.before).toBeGreaterThan(100 * v.orbit * 0.8);
      expect(Math.abs(qa.orbit.after! - cleanQa.orbit.after!)).toBeLessThanOrEqual(0.5);
      expect(qa.flicker.before).toBeGreaterThan(2);
      expect(qa.flicker.after).toBeLessThanOrEqual(1);
      expect(qa.purity.after).toBeGreaterThanOrEqual(99.5);
    });
  }
});

describe('dino-sparse-16 (black backdrop)', () => {
  it.skipIf(!dino.present)(`finds the object in every frame and outputs it on white ${dino.reason}`, async () => {
    const out = path.join(tmp, 'dino');
    const { manifest, qa } = await spin(dino.dir, out, { formats: ['jpeg', 'webp'] });
    expect(qa.rows[0]!.backdrop).toBe('black');
    // The gantry's support runs off the frame: said, with the frames named.
    expect(qa.warnings.join(' ')).toMatch(/touches the frame edge .* dinoSR0001\.png/);
    expect(manifest.rows[0]!.frames).toHaveLength(16);
    expect(manifest.background).toBe('white');
    expect(qa.purity.after).toBeGreaterThanOrEqual(99.5);
    for (const f of manifest.rows[0]!.frames) {
      const file = path.join(out, f.src[String(manifest.widths[0])]!.jpeg!);
      const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      // Corners are white; the middle holds the (light grey) dinosaur, not white and not black.
      expect([data[0], data[1], data[2]]).toEqual([255, 255, 255]);
      const stats = await sharp(file).stats();
      expect(stats.channels[0]!.min).toBeLessThan(200);
      expect(info.width).toBe(manifest.widths[0]);
    }
  });
});
