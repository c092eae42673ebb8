/** `xoay model` on the shared CC0/CC-BY models and on a model built in memory. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIO } from '../../../pipeline/model/codecs.js';
import { countRealTriangles } from '../../../pipeline/model/degenerate.js';
import { model } from '../../../pipeline/model/model.js';
import { dataSet } from '../../helpers/data.js';
import { boxGlb } from '../../helpers/models.js';
import { validateBytes } from 'gltf-validator';
import { read as readKTX2 } from 'ktx-parse';

const models = dataSet('models');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-model-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('xoay model', () => {
  it('compresses a model built in memory, keeps its names, and the output validates and decodes', async () => {
    const input = await boxGlb(path.join(tmp, 'box.glb'));
    const { report } = await model(input, path.join(tmp, 'box-out'));
    expect(report.after.triangles).toBe(report.before.triangles);
    expect(report.after.names).toEqual(report.before.names);
    expect(report.after.names.meshes).toEqual(['Box body']);
    expect(report.validation.output.errors).toBe(0);
    const glb = new Uint8Array(await readFile(path.join(tmp, 'box-out/model.glb')));
    const io = await createIO();
    const back = await io.readBinary(glb);
    expect(
      back
        .getRoot()
        .listExtensionsUsed()
        .map((e) => e.extensionName),
    ).toContain('EXT_meshopt_compression');
    expect((await validateBytes(glb)).issues.numErrors).toBe(0);
  });

  for (const name of ['2CylinderEngine.glb', 'painted_wooden_stool_1k.glb', 'sofa_03_1k.glb', 'wooden_table_02_1k.glb']) {
    it.skipIf(!models.present)(`${name}: valid, decodes back, keeps names, meets the mobile budget, smaller ${models.reason}`, async () => {
      const out = path.join(tmp, name);
      const { report } = await model(path.join(models.dir, name), out);
      expect(report.validation.output.errors).toBe(0);
      // Every triangle with an area is kept (degenerate ones are dropped: 2CylinderEngine has 10k), but for the few that
      // the 14-bit grid leaves without one (they draw nothing: the sofa has 2); meshopt drops those, Draco may keep a few.
      const io = await createIO();
      const input = await io.read(path.join(models.dir, name));
      const real = countRealTriangles(input, { drawn: true });
      expect(report.after.drawnTriangles).toBeLessThanOrEqual(real);
      expect(report.after.drawnTriangles).toBeGreaterThanOrEqual(real * 0.999);
      const written = countRealTriangles(await io.read(path.join(out, 'model.glb')));
      expect(written).toBeLessThanOrEqual(report.after.triangles);
      expect(written).toBeGreaterThanOrEqual(report.after.triangles * 0.999);
      if (report.merge.steps.length === 0) expect(report.after.triangles).toBe(countRealTriangles(input) - (real - report.after.drawnTriangles));
      expect(report.budget).toEqual({ budget: 'mobile', ok: true, failures: [] });
      expect(report.bytes.output).toBeLessThanOrEqual(3 * 1024 * 1024);
      const back = await (await createIO()).readBinary(new Uint8Array(await readFile(path.join(out, 'model.glb'))));
      if (report.merge.steps.length === 0) {
        expect(report.after.names).toEqual(report.before.names);
      } else {
        // Merged only because the draw calls demanded it; every name survives, on its part or in the extras.
        const scene = back.getRoot().getDefaultScene()!;
        const folded = (scene.getExtras() as { xoay: { mergedNames: Record<'nodes' | 'meshes' | 'materials', string[]> } }).xoay.mergedNames;
        for (const kind of ['nodes', 'meshes', 'materials'] as const) {
          const kept = new Set([...report.after.names[kind], ...folded[kind]]);
          for (const n of report.before.names[kind].filter(Boolean)) expect(kept, `${kind} ${n}`).toContain(n);
        }
      }
      // The default ('auto') never writes a bigger file than given: 1k-texture products fit a phone's GPU budget
      // decoded, so every texture is WebP (or kept, when WebP is not smaller), none KTX2.
      expect(report.bytes.output).toBeLessThanOrEqual(report.bytes.input);
      expect(report.textures.mode).toBe('auto');
      expect(report.textures.gpuBudget).toBe(64 * 2 ** 20);
      expect(report.textures.choices).toHaveLength(report.after.textures.length);
      for (const c of report.textures.choices) {
        expect(c.format).not.toMatch(/ktx2/);
        expect(c.after.bytes).toBeLessThanOrEqual(c.before.bytes);
        expect(c.reason).toMatch(/within the GPU budget/);
      }
      for (const t of report.after.textures) expect(t.mimeType).not.toBe('image/ktx2');
      // Geometry: meshopt always written, Draco tried only when the geometry is big enough for it to pay; the one
      // kept is named with its reason.
      expect(report.geometry.candidates.meshopt).toBeGreaterThan(0);
      if (report.geometry.candidates.draco === undefined) expect(report.geometry.reason).toMatch(/under what Draco would have to save/);
      expect(report.geometry.candidates[report.geometry.mode]).toBe(report.bytes.output);
      expect(report.geometry.reason).toMatch(new RegExp(`^${report.geometry.mode}:`));
    });
  }

  it.skipIf(!models.present)(
    `--textures ktx2: KHR_texture_basisu textures that parse, with mips, ≤ 25 % of the RGBA8 GPU memory ${models.reason}`,
    async () => {
      const out = path.join(tmp, 'stool-ktx2');
      const { report } = await model(path.join(models.dir, 'painted_wooden_stool_1k.glb'), out, { textures: 'ktx2' });
      expect(report.validation.output.errors).toBe(0);
      expect(report.after.textures.length).toBeGreaterThan(0);
      for (const t of report.after.textures) {
        expect(t.mimeType).toBe('image/ktx2');
        expect(Math.max(t.width, t.height)).toBeLessThanOrEqual(2048);
      }
      const back = await (await createIO()).readBinary(new Uint8Array(await readFile(path.join(out, 'model.glb'))));
      expect(
        back
          .getRoot()
          .listExtensionsUsed()
          .map((e) => e.extensionName),
      ).toContain('KHR_texture_basisu');
      for (const t of back.getRoot().listTextures()) expect(readKTX2(t.getImage()!).levels.length).toBeGreaterThan(1);
      const gpu = report.after.textures.reduce((n, t) => n + t.gpuBytes, 0);
      const rgba8 = report.before.textures.reduce((n, t) => n + t.gpuBytesRGBA8, 0);
      expect(gpu).toBeLessThanOrEqual(0.25 * rgba8);
    },
  );

  it.skipIf(!models.present)(`merges only as far as the draw calls demand, keeping materials' looks, and never when told not to ${models.reason}`, async () => {
    const engine = path.join(models.dir, '2CylinderEngine.glb');
    const auto = await model(engine, path.join(tmp, 'engine-auto'));
    // 115 mesh instances on 34 materials, only 7 of them different: joining by material is not enough (34),
    // folding identical materials is (7 when every shared mesh is copied); no palette texture needed. Shared meshes stay
    // GPU-instanced as far as the limit allows (fewer triangles to store).
    expect(auto.report.merge.steps).toEqual(['join', 'materials']);
    expect(auto.report.merge.drawCalls.before).toBe(115);
    expect(auto.report.merge.drawCalls.after).toBeLessThan(20);
    expect(auto.report.merge.instanced).toBeGreaterThan(0);
    expect(auto.report.after.triangles).toBeLessThan(auto.report.after.drawnTriangles);
    expect(auto.report.after.textures).toEqual([]);
    const { min, max } = auto.report.before.bounds!;
    for (let c = 0; c < 3; c++) {
      const tol = 1e-3 * (max[c]! - min[c]!);
      expect(Math.abs(auto.report.after.bounds!.min[c]! - min[c]!)).toBeLessThan(tol);
      expect(Math.abs(auto.report.after.bounds!.max[c]! - max[c]!)).toBeLessThan(tol);
    }
    const never = await model(engine, path.join(tmp, 'engine-never'), { merge: 'never' });
    expect(never.report.after.names).toEqual(never.report.before.names);
    expect(never.report.budget.ok).toBe(false);
    expect(never.report.budget.failures.join(' ')).toMatch(/115 draw calls ≥ 20.*--merge never/);
    const always = await model(engine, path.join(tmp, 'engine-always'), { merge: 'always' });
    expect(always.report.merge.steps).toEqual(['join', 'materials', 'palette']);
    expect(always.report.after.drawCalls).toBe(1);
    const desktop = await model(engine, path.join(tmp, 'engine-desktop'), { budget: 'desktop' });
    expect(desktop.report.merge.steps).toEqual(['join']);
    expect(desktop.report.after.names.materials).toEqual(desktop.report.before.names.materials);
  });

  it.skipIf(!models.present)(`gives the same model from the sofa as .gltf + files and as .glb ${models.reason}`, async () => {
    const a = await model(path.join(models.dir, 'sofa_03_gltf/sofa_03_1k.gltf'), path.join(tmp, 'sofa-gltf'), { textures: 'webp' });
    const b = await model(path.join(models.dir, 'sofa_03_1k.glb'), path.join(tmp, 'sofa-glb'), { textures: 'webp' });
    expect(a.report.bytes.output).toBe(b.report.bytes.output);
    expect(await readFile(path.join(tmp, 'sofa-gltf/model.glb'))).toEqual(await readFile(path.join(tmp, 'sofa-glb/model.glb')));
  });

  it.skipIf(!models.present)(
    `simplifies towards a triangle target but never past the error bound, and reports the budget verdict ${models.reason}`,
    async () => {
      const engine = path.join(models.dir, '2CylinderEngine.glb');
      const loose = await model(engine, path.join(tmp, 'engine-loose'), { triangles: 20_000, maxError: 0.01 });
      expect(loose.report.after.triangles).toBeLessThan(loose.report.before.triangles * 0.5);
      const tight = await model(engine, path.join(tmp, 'engine-tight'), { triangles: 20_000, maxError: 0.0001 });
      expect(tight.report.after.triangles).toBeGreaterThan(loose.report.after.triangles);
      const none = await model(engine, path.join(tmp, 'engine-none'), { budget: 'none' });
      expect(none.report.budget.ok).toBe(true);
    },
  );

  it.skipIf(!models.present)(`--textures webp: WebP textures within the size limit, smaller than the KTX2 ones ${models.reason}`, async () => {
    const { report } = await model(path.join(models.dir, 'wooden_table_02_1k.glb'), path.join(tmp, 'table-webp'), { textures: 'webp', maxTextureSize: 512 });
    expect(report.validation.output.errors).toBe(0);
    expect(report.after.textures.length).toBeGreaterThan(0);
    for (const t of report.after.textures) {
      expect(t.mimeType).toBe('image/webp');
      expect(Math.max(t.width, t.height)).toBeLessThanOrEqual(512);
    }
    const back = await (await createIO()).readBinary(new Uint8Array(await readFile(path.join(tmp, 'table-webp/model.glb'))));
    expect(
      back
        .getRoot()
        .listExtensionsUsed()
        .map((e) => e.extensionName),
    ).toContain('EXT_texture_webp');
  });

  it.skipIf(!models.present)(`writes coarser levels of detail and splits the bytes by kind ${models.reason}`, async () => {
    const out = path.join(tmp, 'sofa-lods');
    const { report } = await model(path.join(models.dir, 'sofa_03_1k.glb'), out, { lods: 2, textures: 'webp' });
    expect(report.lods.map((l) => l.file)).toEqual(['model.lod1.glb', 'model.lod2.glb']);
    expect(report.lods[0]!.triangles).toBeLessThan(report.after.triangles);
    expect(report.lods[1]!.triangles).toBeLessThan(report.lods[0]!.triangles);
    for (const l of report.lods) expect((await validateBytes(new Uint8Array(await readFile(path.join(out, l.file))))).issues.numErrors).toBe(0);
    const b = report.bytes;
    expect(b.geometry + b.textures + b.other).toBe(b.output);
    expect(b.textures).toBeGreaterThan(0);
    // No accessors left behind by quantisation: the validator finds nothing unused.
    expect(report.validation.output.messages.join(' ')).not.toMatch(/UNUSED_OBJECT \/accessors/);
  });

  it('reads Draco- and meshopt-compressed inputs (decode, then re-encode)', async () => {
    const input = await boxGlb(path.join(tmp, 'box2.glb'));
    await model(input, path.join(tmp, 'box-draco'), { geometry: 'draco' });
    const again = await model(path.join(tmp, 'box-draco/model.glb'), path.join(tmp, 'box-draco-meshopt'));
    expect(again.report.after.triangles).toBe(6);
    const thrice = await model(path.join(tmp, 'box-draco-meshopt/model.glb'), path.join(tmp, 'box-meshopt-none'), { geometry: 'none' });
    expect(thrice.report.after.triangles).toBe(6);
  });
});
