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
    expect(back.getRoot().listExtensionsUsed().map((e) => e.extensionName)).toContain('EXT_meshopt_compression');
    expect((await validateBytes(glb)).issues.numErrors).toBe(0);
  });

  for (const name of ['2CylinderEngine.glb', 'painted_wooden_stool_1k.glb', 'sofa_03_1k.glb', 'wooden_table_02_1k.glb']) {
    it.skipIf(!models.present)(`${name}: valid, decodes back, keeps names, smaller ${models.reason}`, async () => {
      const { report } = await model(path.join(models.dir, name), path.join(tmp, name));
      expect(report.validation.output.errors).toBe(0);
      // Every triangle with an area is kept (degenerate ones are dropped: 2CylinderEngine has 10k).
      const input = await (await createIO()).read(path.join(models.dir, name));
      expect(report.after.triangles).toBe(countRealTriangles(input));
      expect(report.after.names.nodes).toEqual(report.before.names.nodes);
      expect(report.after.names.materials).toEqual(report.before.names.materials);
      expect(report.bytes.output).toBeLessThan(report.bytes.input);
      if (name !== '2CylinderEngine.glb') expect(report.budget).toEqual({ budget: 'mobile', ok: true, failures: [] });
      for (const t of report.after.textures) {
        expect(t.mimeType).toBe('image/webp');
        expect(Math.max(t.width, t.height)).toBeLessThanOrEqual(2048);
      }
    });
  }

  it.skipIf(!models.present)(`gives the same model from the sofa as .gltf + files and as .glb ${models.reason}`, async () => {
    const a = await model(path.join(models.dir, 'sofa_03_gltf/sofa_03_1k.gltf'), path.join(tmp, 'sofa-gltf'));
    const b = await model(path.join(models.dir, 'sofa_03_1k.glb'), path.join(tmp, 'sofa-glb'));
    expect(a.report.bytes.output).toBe(b.report.bytes.output);
    expect(await readFile(path.join(tmp, 'sofa-gltf/model.glb'))).toEqual(await readFile(path.join(tmp, 'sofa-glb/model.glb')));
  });

  it.skipIf(!models.present)(`simplifies towards a triangle target but never past the error bound, and reports the budget verdict ${models.reason}`, async () => {
    const engine = path.join(models.dir, '2CylinderEngine.glb');
    const loose = await model(engine, path.join(tmp, 'engine-loose'), { triangles: 20_000, maxError: 0.01 });
    expect(loose.report.after.triangles).toBeLessThan(loose.report.before.triangles * 0.5);
    const tight = await model(engine, path.join(tmp, 'engine-tight'), { triangles: 20_000, maxError: 0.0001 });
    expect(tight.report.after.triangles).toBeGreaterThan(loose.report.after.triangles);
    // 34 separately named materials on 115 mesh instances: too many draw calls for a phone, said plainly.
    expect(loose.report.budget.ok).toBe(false);
    expect(loose.report.budget.failures.join(' ')).toMatch(/115 draw calls ≥ 20.*--merge/);
    const none = await model(engine, path.join(tmp, 'engine-none'), { budget: 'none' });
    expect(none.report.budget.ok).toBe(true);
  });

  it.skipIf(!models.present)(`--textures ktx2: KHR_texture_basisu textures that parse, ≤ 25 % of RGBA8 GPU memory ${models.reason}`, async () => {
    const { report } = await model(path.join(models.dir, 'wooden_table_02_1k.glb'), path.join(tmp, 'table-ktx2'), { textures: 'ktx2' });
    expect(report.validation.output.errors).toBe(0);
    expect(report.after.textures.length).toBeGreaterThan(0);
    for (const t of report.after.textures) expect(t.mimeType).toBe('image/ktx2');
    const gpu = report.after.textures.reduce((n, t) => n + t.gpuBytes, 0);
    const rgba8 = report.before.textures.reduce((n, t) => n + t.gpuBytesRGBA8, 0);
    expect(gpu).toBeLessThanOrEqual(0.25 * rgba8);
    const io = await createIO();
    const back = await io.readBinary(new Uint8Array(await readFile(path.join(tmp, 'table-ktx2/model.glb'))));
    expect(back.getRoot().listExtensionsUsed().map((e) => e.extensionName)).toContain('KHR_texture_basisu');
    for (const t of back.getRoot().listTextures()) expect(readKTX2(t.getImage()!).levels.length).toBeGreaterThan(1);
  });

  it.skipIf(!models.present)(`writes coarser levels of detail and splits the bytes by kind ${models.reason}`, async () => {
    const out = path.join(tmp, 'sofa-lods');
    const { report } = await model(path.join(models.dir, 'sofa_03_1k.glb'), out, { lods: 2 });
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
