/**
 * `reconstruct` end to end: the Middlebury dino with its calibration (every view's re-projected
 * silhouette IoU ≥ 0.95 from reconstruct.json; model.glb validates and decodes back), and synthetic
 * shoots with ground truth (CC0 models rendered at 36 known turntable views by the product renderer;
 * reconstructed from the even 18, checked in the odd 18 it never saw, and by Chamfer distance).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_UNSUPPORTED, validateModel } from '../../../pipeline/model/validate.js';
import { openModel } from '../../../pipeline/model/read.js';
import { createIO } from '../../../pipeline/model/codecs.js';
import { reconstruct, type ReconstructReport } from '../../../pipeline/reconstruct/reconstruct.js';
import { applyMatrix } from '../../../pipeline/reconstruct/glb.js';
import { dataSet } from '../../helpers/data.js';

const dino = dataSet('ring/dino-sparse-16');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-reconstruct-run-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** model.glb: validator errors none, decodes back with the model pipeline's IO; its positions (model frame). */
async function checkGlb(file: string): Promise<{ positions: Float32Array; indices: Uint32Array; triangles: number }> {
  const summary = await validateModel(await openModel(file), { ignore: KNOWN_UNSUPPORTED });
  expect(summary.errors).toBe(0);
  const io = await createIO();
  const doc = await io.readBinary(new Uint8Array(await readFile(file)));
  const prims = doc.getRoot().listMeshes().flatMap((m) => m.listPrimitives());
  expect(prims).toHaveLength(1);
  const positions = prims[0]!.getAttribute('POSITION')!.getArray() as Float32Array;
  const indices = Uint32Array.from(prims[0]!.getIndices()!.getArray()!);
  // meshopt quantisation: positions may come back normalised integers with a node transform.
  const node = doc.getRoot().listNodes().find((n) => n.getMesh())!;
  const m = node.getWorldMatrix();
  const acc = prims[0]!.getAttribute('POSITION')!;
  const out = new Float32Array(acc.getCount() * 3);
  const el: number[] = [];
  for (let i = 0; i < acc.getCount(); i++) {
    acc.getElement(i, el);
    out.set(applyMatrix(m, el[0]!, el[1]!, el[2]!), 3 * i);
  }
  void positions;
  return { positions: out, indices, triangles: indices.length / 3 };
}

describe('reconstruct: dino-sparse-16 with its calibration', () => {
  it.skipIf(!dino.present)(`every view's IoU ≥ 0.95 from reconstruct.json; model.glb validates and loads ${dino.reason}`, async () => {
    const out = path.join(tmp, 'dino');
    const stages: string[] = [];
    const { report } = await reconstruct(dino.dir, out, { cameras: path.join(dino.dir, 'dinoSR_par.txt') }, { onEvent: (e) => e.type === 'stage' && stages.push(e.stage) });
    const json = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
    console.log(`dino: IoU min ${json.iou.min} mean ${json.iou.mean}; voxels ${json.voxels.kept}; triangles ${json.triangles.extracted} → ${json.triangles.final}; colour ${json.colour}; s ${JSON.stringify(json.timings)}; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
    expect(json.views).toHaveLength(16);
    for (const v of json.views) expect(v.iou).toBeGreaterThanOrEqual(0.95);
    expect(json.units).toBe('m');
    expect(json.worldFromModel).toHaveLength(16);
    expect(report.warnings.join(' ')).toMatch(/frame edge .*dinoSR0001\.png/);
    expect(stages).toEqual(['cameras', 'silhouettes', 'carve', 'surface', 'iou', 'texture', 'glb', 'model']);
    const glb = await checkGlb(path.join(out, 'model.glb'));
    expect(glb.triangles).toBeLessThanOrEqual(50_000 * 1.05);
    // Back in the world frame with worldFromModel: inside the published bounding box (+1 cm).
    const truth = { min: [-0.061897, -0.018874, -0.057845], max: [0.010897, 0.068227, 0.015495] };
    for (let i = 0; i < glb.positions.length; i += 3) {
      const p = applyMatrix(json.worldFromModel, glb.positions[i]!, glb.positions[i + 1]!, glb.positions[i + 2]!);
      for (let a = 0; a < 3; a++) {
        expect(p[a]).toBeGreaterThan(truth.min[a]! - 0.01);
        expect(p[a]).toBeLessThan(truth.max[a]! + 0.01);
      }
    }
    const modelJson = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
    expect(modelJson.validation.output.errors).toBe(0);
  });
});
