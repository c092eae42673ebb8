/**
 * `reconstruct` of a two-row shoot through the turntable model, with ground truth: the CC0 stool rendered by
 * the product renderer at two elevations (10° and 40°, 36 frames each), the even 18 frames of each row as the
 * shoot (row-1/, row-2/) with a shoot.json giving each row's elevation and the field of view, checked in the
 * odd frames of both rows it never saw and by Chamfer distance to the true mesh; and against the low row alone
 * on the high row's held-out views.
 *
 * The renderer frames every elevation anew (the camera moves closer or further and re-aims to fill the frame),
 * so its rows are not on one arc: shoot.json also gives each row's distance and aim height, read off the
 * renderer's camera like the field of view. With them the reconstruction's world frame is the renderer's, so
 * the held-out views are checked with the renderer's exact cameras.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTurntableRenderer, type RenderResult } from '../../../pipeline/render/render.js';
import { type Camera, renderAim, renderCamera, scaleCamera } from '../../../pipeline/reconstruct/cameras.js';
import { chamfer } from '../../helpers/chamfer.js';
import { maskIoU } from '../../../pipeline/core/mask.js';
import { rasterise } from '../../../pipeline/reconstruct/iou.js';
import { reconstruct, type ReconstructReport } from '../../../pipeline/reconstruct/reconstruct.js';
import { type Silhouette, silhouettes } from '../../../pipeline/reconstruct/silhouettes.js';
import type { Mesh } from '../../../pipeline/reconstruct/surface.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { dataSet } from '../../helpers/data.js';
import { checkGlb, diagonal, transformed, trueMesh } from '../../helpers/reconstruct.js';

const stool = dataSet('models/painted_wooden_stool_1k.glb');
const SIZE = 512;
const FRAMES = 36;
const ELEVATIONS = [10, 40];
/** A saturated blue backdrop: the stool is painted white. */
const BACKDROP = '#2040ff';
const OPTIONS = { triangles: 20_000, textureSize: 512, textures: 'keep' } as const;

let tmp: string;
const rendered: RenderResult[] = [];
/** Per row: the renderer's exact cameras of the odd frames and those frames' silhouettes. */
const heldOut: { cams: Camera[]; views: Silhouette[] }[] = [];
let truth: Mesh;
let diag: number;

/** A shoot folder of the even frames of `rows` (renumbered 00…17: equal steps) and its shoot.json. */
async function makeShoot(name: string, rows: number[]): Promise<string> {
  const dir = path.join(tmp, name);
  for (const r of rows) {
    const rowDir = path.join(dir, `row-${r + 1}`);
    await mkdir(rowDir, { recursive: true });
    const even = rendered[r]!.frames.filter((_, i) => i % 2 === 0);
    await Promise.all(even.map((f, k) => symlink(f, path.join(rowDir, `frame-${String(k).padStart(2, '0')}.png`))));
  }
  const fovY = rendered[0]!.info.camera.fovY; // square frames: the horizontal field of view too
  const shoot = { fov: fovY, rows: rows.map((r) => ({ folder: `row-${r + 1}`, elevation: ELEVATIONS[r]!, ...renderAim(rendered[r]!.info) })) };
  await writeFile(path.join(dir, 'shoot.json'), JSON.stringify(shoot, null, 2));
  return dir;
}

/** The reconstruction's mesh in the world frame and its silhouette IoU in every held-out view of each row. */
async function heldOutIoU(out: string, report: ReconstructReport): Promise<{ mesh: Mesh; rows: number[][] }> {
  const glb = await checkGlb(path.join(out, 'model.glb'));
  const mesh = transformed({ positions: glb.positions, indices: glb.indices }, report.worldFromModel);
  const rows = heldOut.map(({ cams, views }) =>
    views.map((v, k) => maskIoU(rasterise(mesh, scaleCamera(cams[k]!, v.scaleX, v.scaleY).P, v.width, v.height), v.mask)),
  );
  return { mesh, rows };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe.skipIf(!hasChromium || !stool.present)(`reconstruct: a two-row turntable shoot (stool at 10° and 40°) ${chromiumReason} ${stool.reason}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-reconstruct-rows-'));
    const glb = new Uint8Array(await readFile(stool.dir));
    const renderer = await openTurntableRenderer();
    try {
      for (const [r, elevationDeg] of ELEVATIONS.entries()) {
        rendered.push(
          await renderer.render(glb, path.join(tmp, `render-${elevationDeg}`), {
            frames: FRAMES,
            width: SIZE,
            height: SIZE,
            elevationDeg,
            background: BACKDROP,
          }),
        );
        const odd = rendered[r]!.frames.map((f, i) => ({ f, i })).filter(({ i }) => i % 2 === 1);
        const cams = odd.map(({ f, i }) => renderCamera(rendered[r]!.info, i, FRAMES, SIZE, SIZE, path.basename(f)));
        heldOut.push({ cams, views: (await silhouettes(odd.map(({ f }) => f))).views });
      }
    } finally {
      await renderer.close();
    }
    truth = await trueMesh(stool.dir, rendered[0]!.info.camera.model);
    diag = diagonal(truth);
  }, 180_000);
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  let both: { rows: number[][]; chamfer: number } | undefined;

  it('from the even views of both rows (elevations from shoot.json): IoU ≥ 0.95 in every odd view of both rows it never saw; Chamfer ≤ 2 % of the diagonal', async () => {
    const shoot = await makeShoot('both', [0, 1]);
    const out = path.join(tmp, 'both-out');
    const { report } = await reconstruct(shoot, out, OPTIONS);
    expect(report.cameras.source).toBe('turntable');
    expect(report.cameras.shoot).toBe(path.join(shoot, 'shoot.json'));
    expect(report.cameras.rows!.map((r) => [r.name, r.elevation, r.elevationFrom, r.views])).toEqual([
      ['row-1', 10, 'shoot.json', 18],
      ['row-2', 40, 'shoot.json', 18],
    ]);
    expect(report.units).toBe('m');
    expect(report.views).toHaveLength(36);
    expect(report.views[0]!.name).toBe('row-1/frame-00.png');
    expect(report.views[18]!.name).toBe('row-2/frame-00.png');
    const json = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
    expect(json.views.map((v) => v.name)).toEqual(report.views.map((v) => v.name));
    const { mesh, rows } = await heldOutIoU(out, report);
    const ch = chamfer(mesh, truth);
    both = { rows, chamfer: ch.distance / diag };
    console.log(
      `two rows: training IoU min ${report.iou.min} mean ${report.iou.mean}; held-out IoU ${rows.map((r, i) => `row-${i + 1} min ${Math.min(...r).toFixed(4)} mean ${mean(r).toFixed(4)}`).join(', ')}; ` +
        `Chamfer ${(100 * both.chamfer).toFixed(2)} % of the diagonal; axis x ${report.cameras.rows!.map((r) => r.axisX.toFixed(2)).join(', ')}; triangles ${report.triangles.final}; s ${JSON.stringify(report.timings)}`,
    );
    for (const r of rows) for (const iou of r) expect(iou).toBeGreaterThanOrEqual(0.95);
    expect(both.chamfer).toBeLessThanOrEqual(0.02);
  });

  it("beats the low row alone on the high row's held-out views (silhouette IoU) and in Chamfer distance", async () => {
    expect(both, 'the two-row reconstruction ran').toBeDefined();
    const shoot = await makeShoot('low', [0]);
    const out = path.join(tmp, 'low-out');
    const { report } = await reconstruct(shoot, out, OPTIONS);
    expect(report.cameras.rows!.map((r) => r.name)).toEqual(['row-1']);
    const { mesh, rows } = await heldOutIoU(out, report);
    const ch = chamfer(mesh, truth).distance / diag;
    const high = { both: both!.rows[1]!, low: rows[1]! };
    console.log(
      `low row alone: held-out IoU row-1 min ${Math.min(...rows[0]!).toFixed(4)} mean ${mean(rows[0]!).toFixed(4)}, row-2 min ${Math.min(...high.low).toFixed(4)} mean ${mean(high.low).toFixed(4)} ` +
        `(both rows: min ${Math.min(...high.both).toFixed(4)} mean ${mean(high.both).toFixed(4)}); Chamfer ${(100 * ch).toFixed(2)} % (both rows ${(100 * both!.chamfer).toFixed(2)} %)`,
    );
    // Measured (2 cores, 512² frames): from above, the low row's hull is visibly wrong (high-row IoU mean 0.858,
    // min 0.822, Chamfer 1.80 %) where both rows fit (0.978, 0.974, 1.08 %): a real difference, asserted with margin.
    expect(mean(high.both)).toBeGreaterThanOrEqual(mean(high.low) + 0.05);
    expect(Math.min(...high.both)).toBeGreaterThan(Math.min(...high.low));
    expect(both!.chamfer).toBeLessThan(ch);
  });
});
