/**
 * The turntable model needs one turn in equal steps. Frames missing from the numbering are caught before anything is
 * carved (reconstruct-errors.test.ts); views that are unevenly spaced but numbered without gaps are caught after: the
 * carved shape no longer explains the photos (its silhouettes miss them), and the error says so.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTurntableRenderer } from '../../../pipeline/render/render.js';
import { reconstruct } from '../../../pipeline/reconstruct/reconstruct.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { ROOT } from '../../helpers/data.js';

let tmp: string;
let frames: string[];
let fov: number;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-spacing-'));
  if (!hasChromium) return;
  const renderer = await openTurntableRenderer();
  try {
    const r = await renderer.render(new Uint8Array(await readFile(path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'))), path.join(tmp, 'all'), {
      frames: 36,
      width: 256,
      height: 256,
      background: '#2040ff',
    });
    frames = r.frames;
    fov = r.info.camera.fovY;
  } finally {
    await renderer.close();
  }
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A shoot of the given views (indices into the 36), numbered 1… without gaps. */
async function shoot(name: string, picks: number[]): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir);
  for (const [k, i] of picks.entries()) await copyFile(frames[i]!, path.join(dir, `frame_${String(k + 1).padStart(3, '0')}.png`));
  return dir;
}

describe.skipIf(!hasChromium)(`reconstruct: views not evenly spaced, without a calibration file ${chromiumReason}`, () => {
  const opts = () => ({ fov, elevation: 15, resolution: 128, triangles: 10_000, textureSize: 256, textures: 'webp' as const });

  it('12 views in equal steps (every third of the 36: 30° steps) reconstruct', async () => {
    const even = await shoot(
      'even',
      Array.from({ length: 12 }, (_, k) => 3 * k),
    );
    const { report } = await reconstruct(even, path.join(tmp, 'even-out'), opts());
    console.log(`12 views at 30°: IoU min ${report.iou.min} mean ${report.iou.mean}`);
    expect(report.iou.min).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('24 views alternating 10° and 20° steps, numbered without gaps: refused, naming the view whose silhouette is missed', async () => {
    const picks = Array.from({ length: 36 }, (_, i) => i).filter((i) => i % 3 !== 2);
    const uneven = await shoot('uneven', picks);
    const out = path.join(tmp, 'uneven-out');
    const err = await reconstruct(uneven, out, opts()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^reconstruct: .*uneven: the carved shape does not explain the photos: its silhouette covers 0\.\d\d of the object's in frame_\d{3}\.png \(IoU; mean 0\.\d\d, at least 0\.9 needed\)\. Either the views are not one turn in equal steps/,
    );
    // Nothing is left behind.
    expect(await readdir(tmp)).not.toContain('uneven-out');
    expect((await readdir(tmp)).filter((f) => f.includes('xoay-tmp'))).toEqual([]);
    // --min-iou 0 writes it anyway (for a person to look at), the IoU in its report.
    const { report } = await reconstruct(uneven, out, { ...opts(), minIoU: 0 });
    console.log(`24 views alternating 10° and 20°, taken as 15° steps: IoU min ${report.iou.min} mean ${report.iou.mean}`);
    expect(report.iou.min).toBeLessThan(0.9);
  }, 120_000);
});
