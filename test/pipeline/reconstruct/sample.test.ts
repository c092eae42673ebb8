/**
 * The committed sample shoot (a white-painted stool on a light grey sweep, samples/stool-turntable/)
 * reconstructs: the border model loses the white legs against the grey (IoU 0.05), and --segment auto
 * falls back to the plate from the turn (pipeline/segment).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/data.js';
import { xoay } from '../../helpers/cli.js';
import { reprojectedIoUs } from '../../helpers/reconstruct.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-sample-rc-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** `xoay reconstruct` on the sample with its optics from SOURCE.txt (36.77° horizontal fov, 12° elevation), WebP textures. */
const reconstructSample = (out: string, extra: string[] = []) =>
  xoay(['reconstruct', path.join(ROOT, 'samples/stool-turntable'), '-o', out, '--fov', '36.77', '--elevation', '12', '--textures', 'webp', ...extra, '--json']);

describe('reconstruct: the committed stool sample (white on light grey)', () => {
  it("reconstructs with its optics from SOURCE.txt (36.77° horizontal fov, 12° elevation): IoU ≥ 0.9 in every view against its own masks and its rendered masks, from the plate (the border model's shape was refused first)", async () => {
    const out = path.join(tmp, 'stool');
    const r = await reconstructSample(out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as { segment: string; views: { iou: number }[] };
    expect(report.segment).toBe('plate');
    const ious = report.views.map((v) => v.iou);
    console.log(`stool sample: IoU min ${Math.min(...ious).toFixed(3)} mean ${(ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(3)}`);
    expect(Math.min(...ious)).toBeGreaterThanOrEqual(0.9);
    // Against the rendered masks (samples/stool-masks, written with the frames by `npm run samples`): the
    // model re-projected through each view's camera, the object alone (its shadow is not object).
    const truth = await reprojectedIoUs(out, (view) => path.join(ROOT, 'samples/stool-masks', view.replace(/\.jpg$/, '.png')));
    expect(truth).toHaveLength(36);
    console.log(
      `stool sample against its rendered masks: IoU min ${Math.min(...truth).toFixed(3)} mean ${(truth.reduce((a, b) => a + b, 0) / truth.length).toFixed(3)}`,
    );
    expect(Math.min(...truth)).toBeGreaterThanOrEqual(0.9);
  }, 300_000);

  it("with a studio's masks (--masks samples/stool-masks, the rendered ground truth) the silhouettes are those masks: IoU ≥ 0.95 against them in every view", async () => {
    const out = path.join(tmp, 'stool-masks');
    const r = await reconstructSample(out, ['--masks', path.join(ROOT, 'samples/stool-masks')]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as { segment: string };
    expect(report.segment).toBe('masks');
    const truth = await reprojectedIoUs(out, (view) => path.join(ROOT, 'samples/stool-masks', view.replace(/\.jpg$/, '.png')));
    console.log(
      `stool sample from its rendered masks: IoU min ${Math.min(...truth).toFixed(3)} mean ${(truth.reduce((a, b) => a + b, 0) / truth.length).toFixed(3)}`,
    );
    expect(Math.min(...truth)).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
