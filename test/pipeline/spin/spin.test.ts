/**
 * End to end on synthetic shoots with ground truth (always available): a box on a turntable placed
 * off the axis (a known orbit), with per-frame exposure gains, on white, grey, gradient and black
 * backdrops.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpinManifestSchema } from '../../../schema/spin.js';
import { checkAgainst } from '../../../schema/validate.js';
import { spin } from '../../../pipeline/spin/spin.js';
import { makeSyntheticShoot, seededGains, type Backdrop } from '../../../samples/synthetic-shoot.js';
import { xoay } from '../../helpers/cli.js';
import { ROOT } from '../../helpers/data.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-spin-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const ORBIT_PX = 30; // 4.7 % of 640

async function synthetic(name: string, backdrop: Backdrop, frames = 24) {
  const dir = path.join(tmp, name);
  await makeSyntheticShoot(dir, { frames, width: 640, height: 480, orbit: ORBIT_PX, backdrop, gain: seededGains(11, 0.08) });
  return dir;
}

/** Every path in the manifest exists and decodes at the size the manifest says. */
async function checkFiles(out: string, m: ReturnType<typeof checkAgainst<typeof SpinManifestSchema>>) {
  for (const row of m.rows) {
    for (const f of row.frames) {
      expect(Object.keys(f.src).map(Number)).toEqual(m.widths);
      for (const w of m.widths) {
        for (const fmt of m.formats) {
          const rel = f.src[String(w)]![fmt]!;
          const meta = await sharp(path.join(out, rel)).metadata();
          expect(meta.width).toBe(w);
          expect(meta.format).toBe(fmt === 'jpeg' ? 'jpeg' : fmt === 'webp' ? 'webp' : 'heif');
        }
      }
    }
    const sprite = await sharp(path.join(out, row.sprite.src)).metadata();
    expect(sprite.width).toBe(row.sprite.columns * row.sprite.frameWidth);
    expect(row.sprite.columns * row.sprite.rows).toBeGreaterThanOrEqual(row.frames.length);
  }
  expect(existsSync(path.join(out, m.poster))).toBe(true);
}

describe('spin on synthetic shoots', () => {
  for (const backdrop of ['white', 'grey', 'gradient', 'black'] as const) {
    it(`removes the orbit, matches exposure and whitens a ${backdrop} backdrop`, async () => {
      const input = await synthetic(`in-${backdrop}`, backdrop);
      const out = path.join(tmp, `out-${backdrop}`);
      const { manifest, qa } = await spin(input, out, { formats: ['jpeg', 'webp'], widths: [128, 256, 2048] });
      const m = checkAgainst(SpinManifestSchema, JSON.parse(await readFile(path.join(out, 'spin.json'), 'utf8')), 'spin.json');
      expect(m).toEqual(manifest);
      expect(m.rows[0]!.elevation).toBeNull(); // no shoot.json
      await checkFiles(out, m);
      // The ladder is capped at the processed width, never upscaled.
      expect(m.widths).toEqual([...[128, 256].filter((w) => w < m.width), m.width]);
      expect(m.width).toBeLessThan(640);
      expect(m.width).toBe(m.height);
      expect(qa.rows[0]!.backdrop).toBe(backdrop);
      expect(qa.orbit.before).toBeGreaterThan(4);
      expect(qa.orbit.after).toBeLessThanOrEqual(0.5);
      expect(qa.flicker.before).toBeGreaterThan(2);
      expect(qa.flicker.after).toBeLessThanOrEqual(1);
      expect(qa.purity.after).toBeGreaterThanOrEqual(99.5);
      expect(qa.firstInteractionBytes).toBeLessThan(150_000);
      const written = JSON.parse(await readFile(path.join(out, 'qa.json'), 'utf8'));
      expect(written.orbit).toEqual(qa.orbit);
      expect(await readFile(path.join(out, 'qa.html'), 'utf8')).toContain('Xoay spin QA');
    });
  }

  it('turns the bundled CC0 sample shoot (rendered photos, grey sweep, off-axis, exposure drift)', async () => {
    const out = path.join(tmp, 'out-sample');
    const { manifest, qa } = await spin(path.join(ROOT, 'samples/stool-turntable'), out, { formats: ['jpeg', 'avif'] });
    await checkFiles(out, manifest);
    expect(manifest.rows[0]!.frames).toHaveLength(36);
    expect(qa.rows[0]!.backdrop).toBe('grey');
    expect(qa.orbit.before).toBeGreaterThan(2);
    expect(qa.orbit.after).toBeLessThanOrEqual(0.5);
    expect(qa.flicker.after).toBeLessThanOrEqual(1);
    expect(qa.flicker.after).toBeLessThan(qa.flicker.before!);
    expect(qa.purity.after).toBeGreaterThanOrEqual(99.5);
  });

  it('keeps the orbit with --no-recentre and the levels with --no-exposure', async () => {
    const input = await synthetic('in-off', 'white');
    const { qa } = await spin(input, path.join(tmp, 'out-off'), { formats: ['jpeg'], widths: [256], recentre: false, exposure: false });
    expect(qa.orbit.after).toBeGreaterThan(3);
    expect(qa.flicker.after).toBeGreaterThan(2);
  });

  it('keeps the contact shadow as a soft grey, or removes it with --shadow remove', async () => {
    const input = await synthetic('in-shadow', 'white', 8);
    const count = async (out: string) => {
      const { manifest } = await spin(input, out, { formats: ['jpeg'], widths: [256], shadowRemove: out.endsWith('remove') });
      let grey = 0,
        colour = 0;
      for (const f of manifest.rows[0]!.frames) {
        const { data } = await sharp(path.join(out, f.src[String(manifest.widths[0])]!.jpeg!))
          .raw()
          .toBuffer({ resolveWithObject: true });
        for (let i = 0; i < data.length; i += 3) {
          const mx = Math.max(data[i]!, data[i + 1]!, data[i + 2]!),
            mn = Math.min(data[i]!, data[i + 1]!, data[i + 2]!);
          if (mx - mn > 60) colour++;
          else if (mx < 245 && mx > 120) grey++; // light neutral grey: the shadow
        }
      }
      return { grey, colour };
    };
    const keep = await count(path.join(tmp, 'out-shadow-keep'));
    const remove = await count(path.join(tmp, 'out-shadow-remove'));
    expect(keep.grey).toBeGreaterThan(1000);
    expect(remove.grey).toBeLessThan(keep.grey * 0.5);
    expect(Math.abs(remove.colour - keep.colour) / keep.colour).toBeLessThan(0.05);
  });

  it('handles several rows: one sprite each and the same frame size', async () => {
    const input = path.join(tmp, 'in-rows');
    await makeSyntheticShoot(path.join(input, 'row-1'), { frames: 12, width: 480, height: 360, orbit: 10, backdrop: 'white' });
    await makeSyntheticShoot(path.join(input, 'row-2'), { frames: 12, width: 480, height: 360, orbit: 25, backdrop: 'white', gain: () => 0.9 });
    // shoot.json gives row-2's elevation (row-1's stays unknown).
    await writeFile(path.join(input, 'shoot.json'), JSON.stringify({ rows: [{ folder: 'row-2', elevation: 40 }] }));
    const out = path.join(tmp, 'out-rows');
    const { manifest, qa } = await spin(input, out, { formats: ['jpeg'], widths: [256] });
    expect(manifest.rows.map((r) => r.name)).toEqual(['row-1', 'row-2']);
    expect(manifest.rows.map((r) => r.elevation)).toEqual([null, 40]);
    expect(manifest.rows.map((r) => r.frames.length)).toEqual([12, 12]);
    expect(new Set(manifest.rows.map((r) => r.sprite.src)).size).toBe(2);
    await checkFiles(out, manifest);
    for (const r of qa.rows) expect(r.orbit.after).toBeLessThanOrEqual(0.5);
  });

  it('writes alpha for --background transparent (WebP, AVIF) and flattens JPEG onto white', async () => {
    const input = await synthetic('in-alpha', 'grey', 12);
    const out = path.join(tmp, 'out-alpha');
    const { manifest } = await spin(input, out, { formats: ['avif', 'webp', 'jpeg'], widths: [256], background: 'transparent' });
    const f = manifest.rows[0]!.frames[0]!.src['256']!;
    for (const fmt of ['webp', 'avif'] as const) {
      const { data, info } = await sharp(path.join(out, f[fmt]!)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(4);
      expect(data[3], `${fmt} corner alpha`).toBe(0);
      const centre = ((info.height >> 1) * info.width + (info.width >> 1)) * 4;
      expect(data[centre + 3], `${fmt} object alpha`).toBe(255);
    }
    const { data } = await sharp(path.join(out, f.jpeg!)).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2]]).toEqual([255, 255, 255]);
  });

  it('replaces an existing output only with force, atomically', async () => {
    const input = await synthetic('in-force', 'white', 8);
    const out = path.join(tmp, 'out-force');
    await spin(input, out, { formats: ['jpeg'], widths: [128] });
    const first = (await stat(path.join(out, 'spin.json'))).mtimeMs;
    await expect(spin(input, out, { formats: ['jpeg'], widths: [128] })).rejects.toThrow(/already exists/);
    await spin(input, out, { formats: ['jpeg'], widths: [128], force: true });
    expect((await stat(path.join(out, 'spin.json'))).mtimeMs).toBeGreaterThanOrEqual(first);
  });

  it('prints only JSON on stdout with --json', async () => {
    const input = await synthetic('in-json', 'white', 8);
    const out = path.join(tmp, 'out-json');
    const r = await xoay(['spin', input, '-o', out, '--json', '--formats', 'jpeg', '--widths', '128']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.manifest).toBe(path.join(out, 'spin.json'));
    expect(summary.frames).toBe(8);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});
