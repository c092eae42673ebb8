/**
 * An already-compressed input loses nothing: the same model given uncompressed, Draco-compressed (as a GLB and as a
 * .gltf + .bin) or meshopt-compressed by glTF Transform comes out within 3 % of the same bytes, and the default
 * output is never larger than the input.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { draco, meshopt } from '@gltf-transform/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs, createIO } from '../../../pipeline/model/codecs.js';
import { model } from '../../../pipeline/model/model.js';
import { dataSet, ROOT } from '../../helpers/data.js';

const models = dataSet('models');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-encodings-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `name` re-encoded by glTF Transform as another tool would give it: Draco or meshopt geometry, GLB or .gltf. */
async function encoded(name: string, codec: 'draco' | 'meshopt', ext: 'glb' | 'gltf'): Promise<string> {
  const io = await createIO();
  const doc = await io.read(path.join(models.dir, name));
  await doc.transform(codec === 'draco' ? draco() : meshopt({ encoder: codecs.MeshoptEncoder }));
  const dir = path.join(tmp, `${name}-${codec}-${ext}`);
  const file = path.join(dir, `${path.basename(name, '.glb')}.${ext}`);
  await mkdir(dir);
  await io.write(file, doc);
  return file;
}

async function glbJson(file: string): Promise<{ extensionsUsed?: string[] }> {
  const glb = await readFile(file);
  return JSON.parse(glb.subarray(20, 20 + glb.readUInt32LE(12)).toString('utf8'));
}

describe('compressed inputs', () => {
  // The engine is the case that regressed (CAD geometry: Draco pays); the sofa has textures (meshopt stays).
  for (const name of ['2CylinderEngine.glb', 'sofa_03_1k.glb']) {
    it.skipIf(!models.present)(`${name}: Draco and meshopt inputs give the plain input's output within 3 % ${models.reason}`, async () => {
      const plain = await model(path.join(models.dir, name), path.join(tmp, `${name}-out`));
      const inputs = [await encoded(name, 'draco', 'glb'), await encoded(name, 'meshopt', 'glb')];
      if (name === '2CylinderEngine.glb') inputs.push(await encoded(name, 'draco', 'gltf'));
      for (const input of inputs) {
        const { report } = await model(input, `${input}.out`);
        const label = path.relative(tmp, input);
        expect(report.validation.output.errors, label).toBe(0);
        expect(report.geometry.mode, label).toBe(plain.report.geometry.mode);
        // The Draco encoder that made the input drops the few triangles its quantisation flattens (4 of the engine's
        // 110,336 drawn): lost before Xoay reads the file. Nothing more may go. The few that the 14-bit grid leaves
        // without area (dropped) depend on the exact input values: the sofa loses 2 of 8,004 from the plain GLB, none
        // from the Draco one.
        expect(report.after.drawnTriangles, label).toBeGreaterThanOrEqual(0.9999 * plain.report.after.drawnTriangles);
        expect(report.after.drawnTriangles, label).toBeLessThanOrEqual(1.0005 * plain.report.after.drawnTriangles);
        expect(Math.abs(report.bytes.output / plain.report.bytes.output - 1), label).toBeLessThan(0.03);
        // The input's bytes count every file it reads (.gltf + .bin + images), and the output is not larger.
        expect(report.bytes.output, label).toBeLessThanOrEqual(report.bytes.input);
        // One geometry compression in the output, not Draco inside meshopt.
        const used = (await glbJson(report.output)).extensionsUsed ?? [];
        expect(
          used.filter((e) => /draco|meshopt/.test(e)),
          label,
        ).toEqual([report.geometry.mode === 'draco' ? 'KHR_draco_mesh_compression' : 'EXT_meshopt_compression']);
      }
    });
  }
});

describe("Xoay's own output fed back in", () => {
  it('reads as what it is: quantised positions are made float again (it failed its check, bounds 25 % off)', { timeout: 120_000 }, async () => {
    const stool = path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb');
    const first = await model(stool, path.join(tmp, 'again-1'), { textures: 'webp', budget: 'none' });
    const again = await model(first.report.output, path.join(tmp, 'again-2'), { textures: 'keep', budget: 'none' });
    expect(again.report.after.triangles).toBe(first.report.after.triangles);
    const b = first.report.after.bounds!;
    const size = Math.hypot(...b.max.map((v, i) => v - b.min[i]!));
    for (const k of ['min', 'max'] as const)
      for (let i = 0; i < 3; i++) expect(Math.abs(again.report.after.bounds![k][i]! - b[k][i]!)).toBeLessThan(0.002 * size);
    expect(Math.abs(again.report.bytes.output - first.report.bytes.output)).toBeLessThan(0.03 * first.report.bytes.output);
  });
});
