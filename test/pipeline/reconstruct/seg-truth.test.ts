/**
 * `xoay reconstruct` on the rendered shoots with ground truth (../shared/data/seg): the model it writes,
 * re-projected through the cameras in reconstruct.json, against the ground-truth object masks (shadow and
 * reflection are not object), with each set's calibration and with its shoot.json turntable model.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReconstructReport } from '../../../pipeline/reconstruct/reconstruct.js';
import { dataSet } from '../../helpers/data.js';
import { xoay } from '../../helpers/cli.js';
import { reprojectedIoUs } from '../../helpers/reconstruct.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-rc-truth-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

// Measured (README "Silhouettes"): worst view cloth 0.935 / 0.933, white 0.968 / 0.969, gloss 0.945 / 0.939
// (calibration / shoot.json). The issue asks ≥ 0.93 in every view; white is held higher.
const FLOOR = { 'stool-cloth': 0.93, 'table-white': 0.95, 'sofa-gloss': 0.93 } as const;

for (const name of Object.keys(FLOOR) as (keyof typeof FLOOR)[]) {
  const set = dataSet(`seg/${name}`);
  describe.skipIf(!set.present)(`reconstruct ${name} against its ground truth${set.present ? '' : ` (skipped: ${set.reason})`}`, () => {
    for (const cameras of ['calibration', 'shoot.json'] as const) {
      it(`with ${cameras === 'calibration' ? `its calibration (${name}_par.txt)` : 'its shoot.json (the turntable model)'}: every view's re-projected silhouette IoU ≥ ${FLOOR[name]}, from the plate`, async () => {
        const out = path.join(tmp, `${name}-${cameras}`);
        const extra = cameras === 'calibration' ? ['--cameras', path.join(set.dir, `${name}_par.txt`)] : [];
        const r = await xoay(['reconstruct', set.dir, '-o', out, '--textures', 'webp', '--texture-size', '256', '--json', ...extra]);
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
        // The border model cuts every view of these shoots at the frame edge (folds, the disk, the mirror image).
        expect(report.segment).toBe('plate');
        const ious = await reprojectedIoUs(out, (view) => path.join(set.dir, 'gt', view.replace(/\.jpg$/, '.png')));
        expect(ious).toHaveLength(24);
        console.log(
          `${name} (${cameras}): IoU against gt/ min ${Math.min(...ious).toFixed(3)} mean ${(ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(3)}`,
        );
        expect(Math.min(...ious)).toBeGreaterThanOrEqual(FLOOR[name]);
      }, 300_000);
    }
  });
}
