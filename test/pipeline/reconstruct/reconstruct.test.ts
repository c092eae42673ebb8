/**
 * `reconstruct` end to end: the Middlebury dino with its calibration (every view's re-projected
 * silhouette IoU ≥ 0.95 from reconstruct.json; model.glb validates and decodes back), and synthetic
 * shoots with ground truth (CC0 models rendered at 36 known turntable views by the product renderer;
 * reconstructed from the even 18, checked in the odd 18 it never saw, and by Chamfer distance).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import sharp from 'sharp';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstruct, type ReconstructReport } from '../../../pipeline/reconstruct/reconstruct.js';
import { applyMatrix } from '../../../pipeline/reconstruct/glb.js';
import { calibrationText, renderCamera, scaleCamera } from '../../../pipeline/reconstruct/cameras.js';
import { chamfer } from '../../helpers/chamfer.js';
import { maskIoU } from '../../../pipeline/core/mask.js';
import { rasterise } from '../../../pipeline/reconstruct/iou.js';
import { silhouettes } from '../../../pipeline/reconstruct/silhouettes.js';
import type { Mesh } from '../../../pipeline/reconstruct/surface.js';
import { openTurntableRenderer, type RenderResult } from '../../../pipeline/render/render.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { dataSet, ROOT } from '../../helpers/data.js';
import { checkGlb, trueMesh } from '../../helpers/reconstruct.js';

const dino = dataSet('ring/dino-sparse-16');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-reconstruct-run-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('reconstruct: dino-sparse-16 with its calibration', () => {
  it.skipIf(!dino.present)(`every view's IoU ≥ 0.95 from reconstruct.json; model.glb validates and loads ${dino.reason}`, async () => {
    const out = path.join(tmp, 'dino');
    const stages: string[] = [];
    const { report } = await reconstruct(
      dino.dir,
      out,
      { cameras: path.join(dino.dir, 'dinoSR_par.txt'), preview: hasChromium },
      { onEvent: (e) => e.type === 'stage' && stages.push(e.stage) },
    );
    const json = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
    console.log(
      `dino: IoU min ${json.iou.min} mean ${json.iou.mean}; voxels ${json.voxels.kept}; triangles ${json.triangles.extracted} → ${json.triangles.final}; colour ${json.colour}; s ${JSON.stringify(json.timings)}; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
    );
    expect(json.views).toHaveLength(16);
    for (const v of json.views) expect(v.iou).toBeGreaterThanOrEqual(0.95);
    expect(json.units).toBe('m');
    expect(json.worldFromModel).toHaveLength(16);
    expect(report.warnings.join(' ')).toMatch(/frame edge .*dinoSR0001\.png/);
    expect(stages).toEqual(['cameras', 'silhouettes', 'carve', 'surface', 'iou', 'texture', 'glb', 'model', ...(hasChromium ? ['preview'] : [])]);
    // For a person to check: the inputs above a turntable render of the result.
    if (hasChromium) expect((await sharp(path.join(out, 'preview.png')).metadata()).width).toBe(8 * 256);
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

// ---------------------------------------------------------------------------------------------
// Synthetic shoots with ground truth

const SIZE = 384;
const FRAMES = 36;
/** A saturated blue backdrop: the stool is painted white, which a white backdrop would swallow. */
const BACKDROP = '#2040ff';
/**
 * Every CC0 model of the shared data (the stool and the table are also committed as samples; the sofa is read from the
 * shared data). The Chamfer bound is the for the stool and the table; the sofa's seat and the space between its
 * cushions are concave, which no visual hull can carve (its Chamfer, about 3.5 %, is printed, not bounded).
 */
const sofa = dataSet('models/sofa_03_1k.glb');
const models: { name: string; file: string; chamfer: boolean; skip: string }[] = [
  { name: 'stool', file: path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'), chamfer: true, skip: '' },
  { name: 'table', file: path.join(ROOT, 'samples/catalogue/ban-go-tu-nhien/model.glb'), chamfer: true, skip: '' },
  { name: 'sofa', file: sofa.dir, chamfer: false, skip: sofa.reason },
];

describe.skipIf(!hasChromium)(`reconstruct: CC0 models rendered at 36 known turntable views ${chromiumReason}`, () => {
  for (const { name, file, chamfer: bounded, skip } of models) {
    it.skipIf(Boolean(skip))(
      `${name}: from the even 18 views, IoU ≥ 0.95 in each odd view it never saw${bounded ? '; Chamfer ≤ 2 % of the diagonal' : ''} ${skip}`,
      async () => {
        const renderer = await openTurntableRenderer();
        const shoot = path.join(tmp, `${name}-frames`);
        let rendered: RenderResult;
        try {
          rendered = await renderer.render(new Uint8Array(await readFile(file)), shoot, { frames: FRAMES, width: SIZE, height: SIZE, background: BACKDROP });
        } finally {
          await renderer.close();
        }
        const names = rendered.frames.map((f) => path.basename(f));
        const cams = names.map((n, i) => renderCamera(rendered.info, i, FRAMES, SIZE, SIZE, n));
        const even = cams.filter((_, i) => i % 2 === 0),
          odd = cams.filter((_, i) => i % 2 === 1);
        const par = path.join(tmp, `${name}_par.txt`);
        await writeFile(par, calibrationText(even));
        const out = path.join(tmp, `${name}-out`);
        const { report } = await reconstruct(shoot, out, { cameras: par, triangles: 20_000, textureSize: 512 });
        // The result back in the world frame.
        const glb = await checkGlb(path.join(out, 'model.glb'));
        const world = new Float32Array(glb.positions.length);
        for (let i = 0; i < world.length; i += 3)
          world.set(applyMatrix(report.worldFromModel, glb.positions[i]!, glb.positions[i + 1]!, glb.positions[i + 2]!), i);
        const result: Mesh = { positions: world, indices: glb.indices };
        const truth = await trueMesh(file, rendered.info.camera.model);
        // Held-out views: the silhouettes of the renders it never saw.
        const sil = await silhouettes(odd.map((c) => path.join(shoot, c.name)));
        const held = sil.views.map((v, k) => maskIoU(rasterise(result, scaleCamera(odd[k]!, v.scaleX, v.scaleY).P, v.width, v.height), v.mask));
        const exact = odd.map((c) => maskIoU(rasterise(result, c.P, SIZE, SIZE), rasterise(truth, c.P, SIZE, SIZE)));
        const lo = [0, 1, 2].map((a) => Math.min(...Array.from({ length: truth.positions.length / 3 }, (_, i) => truth.positions[3 * i + a]!)));
        const hi = [0, 1, 2].map((a) => Math.max(...Array.from({ length: truth.positions.length / 3 }, (_, i) => truth.positions[3 * i + a]!)));
        const diagonal = Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!);
        const ch = chamfer(result, truth);
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        console.log(
          `${name}: training IoU min ${report.iou.min} mean ${report.iou.mean}; held-out IoU (render silhouettes) min ${Math.min(...held).toFixed(4)} mean ${mean(held).toFixed(4)}; ` +
            `vs the true mesh's projection min ${Math.min(...exact).toFixed(4)} mean ${mean(exact).toFixed(4)}; Chamfer ${((100 * ch.distance) / diagonal).toFixed(2)} % of the diagonal ` +
            `(result→truth ${((100 * ch.aToB) / diagonal).toFixed(2)} %, truth→result ${((100 * ch.bToA) / diagonal).toFixed(2)} %); triangles ${report.triangles.final}; colour ${report.colour}; s ${JSON.stringify(report.timings)}`,
        );
        for (const iou of held) expect(iou).toBeGreaterThanOrEqual(0.95);
        if (bounded) expect(ch.distance / diagonal).toBeLessThanOrEqual(0.02);
      },
    );
  }
});
