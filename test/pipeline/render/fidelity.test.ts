/**
 * The fidelity check (pipeline/render/fidelity.ts) in Debian's headless Chromium, one browser for the whole file: on
 * the shared models the default output of `model()` renders like its source (SSIM ≥ 0.98 mean, ≥ 0.95 worst view);
 * a deliberately degraded output (textures shrunk to 16 px) scores below and fails; an output made with the worst
 * texture quality misses the threshold and `modelWithFidelity` backs off (texture quality up, max error down), says
 * what it changed in model.json's `fidelity.backoff`, and ends with a passing output.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../../pipeline/model/model.js';
import { etc1sQualityFor } from '../../../pipeline/model/textures.js';
import {
  backoffSteps,
  type FidelityReference,
  type FidelitySession,
  fidelityViews,
  modelWithFidelity,
  openFidelity,
} from '../../../pipeline/render/fidelity.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { dataSet } from '../../helpers/data.js';

const models = dataSet('models');
const SHARED = ['painted_wooden_stool_1k.glb', 'sofa_03_1k.glb', 'wooden_table_02_1k.glb', '2CylinderEngine.glb'];
const skip = !hasChromium || !models.present;
const reason = !hasChromium ? chromiumReason : models.reason;

let tmp = '';
let session: FidelitySession;
const references = new Map<string, Promise<FidelityReference>>();
const outputs = new Map<string, Promise<string>>();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-fidelity-test-'));
  if (skip) return;
  session = await openFidelity();
  // Sources render (one at a time, in the one browser) while the models compress.
  for (const name of SHARED) {
    const input = path.join(models.dir, name);
    const ref = session.reference(input);
    ref.catch(() => undefined);
    references.set(name, ref);
  }
  for (const name of SHARED) {
    const out = model(path.join(models.dir, name), path.join(tmp, name), {}).then((r) => r.report.output);
    out.catch(() => undefined);
    outputs.set(name, out);
    await out; // one compression at a time: the machine is shared
  }
}, 300_000);

afterAll(async () => {
  await session?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(skip)(`fidelity ${reason}`, () => {
  it.each(SHARED)('the default output of %s renders like its source (≥ 0.98 mean, ≥ 0.95 worst of 9 views)', async (name) => {
    const result = await session.compare(await references.get(name)!, await outputs.get(name)!);
    console.log(`fidelity ${name}: mean ${result.ssim.mean}, worst ${result.ssim.worst} (${result.ssim.perView.join(' ')}), ${result.seconds} s`);
    expect(result.views).toHaveLength(9);
    expect(result.views[8]).toEqual({ turnDeg: 0, elevationDeg: 90 });
    expect(result.size).toBe(512);
    expect(result.ssim.perView).toHaveLength(9);
    expect(result.ssim.mean).toBeGreaterThanOrEqual(0.98);
    expect(result.ssim.worst).toBeGreaterThanOrEqual(0.95);
    expect(result.threshold).toEqual({ mean: 0.98, worst: 0.95 });
    expect(result.pass).toBe(true);
  });

  it('the source against itself scores exactly 1; textures shrunk to 16 px score below the threshold and fail', async () => {
    const stool = SHARED[0]!;
    const ref = await references.get(stool)!;
    const same = await session.compare(ref, path.join(models.dir, stool));
    expect(same.ssim.mean).toBe(1);
    expect(same.pass).toBe(true);
    const { report } = await model(path.join(models.dir, stool), path.join(tmp, 'stool-16px'), { maxTextureSize: 16 });
    const bad = await session.compare(ref, report.output);
    console.log(`fidelity stool, 16 px textures: mean ${bad.ssim.mean}, worst ${bad.ssim.worst}`);
    expect(bad.ssim.worst).toBeLessThan(0.95);
    expect(bad.pass).toBe(false);
  });

  it('backs off when the threshold is missed, says what it changed, and keeps the better output', async () => {
    const stool = path.join(models.dir, SHARED[0]!);
    const out = path.join(tmp, 'stool-backoff');
    const { report } = await modelWithFidelity(stool, out, { textureQuality: 1 }, { session });
    const f = report.fidelity!;
    console.log(`fidelity stool, texture quality 1: backoff ${JSON.stringify(f.backoff)}`);
    expect(f.backoff.length).toBeGreaterThanOrEqual(1);
    const first = f.backoff[0]!;
    expect(first.before.mean < 0.98 || first.before.worst < 0.95).toBe(true);
    expect(first.changed.textureQuality).toEqual({ from: 1, to: 92 });
    expect(first.changed.maxError).toEqual({ from: 0.001, to: 0.00025 });
    expect(first.after.worst).toBeGreaterThan(first.before.worst);
    expect(f.pass).toBe(true);
    expect(f.backoff.at(-1)!.pass).toBe(true);
    expect(report.options.textureQuality).toBe(92);
    // model.json says the same.
    const written = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
    expect(written.fidelity).toEqual(f);
  });
});

describe('fidelity settings (no browser)', () => {
  it('views: 8 around every 45° at 15°, then one from above', () => {
    const v = fidelityViews({ around: 8, elevationDeg: 15, top: true });
    expect(v.map((x) => x.turnDeg)).toEqual([0, 45, 90, 135, 180, 225, 270, 315, 0]);
    expect(v.map((x) => x.elevationDeg)).toEqual([15, 15, 15, 15, 15, 15, 15, 15, 90]);
  });

  it('backoff: max error ÷ 4 and quality ≥ 92, then ÷ 16 and 100; steps that change nothing are left out', () => {
    expect(backoffSteps({ maxError: 0.001, textureQuality: 80 })).toEqual([
      { maxError: 0.00025, textureQuality: 92 },
      { maxError: 0.0000625, textureQuality: 100 },
    ]);
    expect(backoffSteps({ maxError: 0, textureQuality: 100 })).toEqual([]);
    expect(backoffSteps({ maxError: 0, textureQuality: 95 })).toEqual([{ textureQuality: 100 }]);
  });

  it('texture quality maps onto ETC1S quality: 80 → 128 (the old default), 100 → 255', () => {
    expect(etc1sQualityFor(80)).toBe(128);
    expect(etc1sQualityFor(100)).toBe(255);
    expect(etc1sQualityFor(92)).toBe(204);
    expect(etc1sQualityFor(1)).toBe(2);
  });
});
