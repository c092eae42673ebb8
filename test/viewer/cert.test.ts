/**
 * The Khronos 3D Commerce viewer certification, as its evaluation runs it (../shared/data/cert: the analytical test
 * objects, their 1024 × 1024 reference renders, evaluation.py): each object drawn by the viewer's 3D core through the
 * file's camera (`gltf-camera`), lit by the certification's IBL turned −92° (`environment-rotation`, "in most renderers
 * 92 or −92 degrees": −92 puts the studio's front gap behind the camera in three.js), on white, and compared with its
 * reference: SSIM (7 × 7, per channel) > 0.7 and PSNR > 20 to pass.
 *
 * Exposure: the real HDR environment (Colorful_Studio.hdr) is drawn at the default exposure 1. The neutral studio here
 * is `neutral.jpg`, an 8-bit stand-in for the missing calibrated Neutral.hdr (its highlights clipped at 1.0, no
 * absolute luminance), so its light is too dim by a constant; `exposure="3"` makes up for it (calibrated on
 * AnalyticalSpheres as the certification's documents tell a certificant to, then held for the other objects).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumReason, hasChromium, launchChromium, startServer, buildViewer, type Browser, type StaticServer } from '../helpers/browser.js';
import { CERT_PASS, psnr, rgbOnWhite, ssim7, type Rgb } from '../helpers/cert.js';
import { dataSet } from '../helpers/data.js';

const cert = dataSet('cert');
const SIZE = 1024;
const NEUTRAL = { 'environment-image': '/cert/neutral.jpg', 'environment-rotation': '-92deg', exposure: '3' };
const CASES = [
  { object: 'AnalyticalCubes', reference: 'rr-AnalyticalCubes.png', scene: NEUTRAL },
  { object: 'AnalyticalGrayscale', reference: 'rr-AnalyticalGrayscale.png', scene: NEUTRAL },
  { object: 'AnalyticalSpheres', reference: 'rr-AnalyticalSpheres.png', scene: NEUTRAL },
  {
    object: 'AnalyticalSpheres',
    reference: 'rr-AnalyticalSpheres-Studio.png',
    scene: { 'environment-image': '/cert/Colorful_Studio.hdr', 'environment-rotation': '-92deg' },
  },
];

let tmp = '';
let server: StaticServer;
let browser: Browser;
beforeAll(async () => {
  if (!hasChromium || !cert.present) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-cert-'));
  const viewer = path.join(tmp, 'viewer');
  const [, b, s] = await Promise.all([buildViewer(viewer), launchChromium(), startServer({ '/viewer/': viewer, '/cert/': cert.dir })]);
  browser = b;
  server = s;
  server.pages.set(
    '/cert.html',
    `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0}#v{width:${SIZE}px;height:${SIZE}px}</style></head><body><div id="v"></div>
<script type="module">
import { loadModelViewer } from '/viewer/xoay-viewer.js';
const { createModelViewer, sceneFromAttributes } = await loadModelViewer();
window.show = async (src, attributes) => {
  const box = document.getElementById('v');
  box.replaceChildren();
  const errors = [];
  const v = createModelViewer(box, { src, scene: sceneFromAttributes(attributes), onSceneError: (m) => errors.push(m) });
  await v.ready;
  return errors;
};
window.ready = true;
</script></body></html>`,
  );
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('certification metrics', () => {
  it('ssim7 (pipeline/core/ssim.ts, uniform 7 × 7) and psnr agree with a direct computation of scikit-image’s definitions', () => {
    const w = 23;
    const h = 17;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 255;
    const a: Rgb = { data: Uint8Array.from({ length: w * h * 3 }, rnd), width: w, height: h };
    const b: Rgb = { data: a.data.map((v) => Math.min(255, Math.max(0, v + (rnd() - 127) / 4))), width: w, height: h };
    let total = 0;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let y = 3; y < h - 3; y++)
        for (let x = 3; x < w - 3; x++) {
          const pa: number[] = [];
          const pb: number[] = [];
          for (let dy = -3; dy <= 3; dy++)
            for (let dx = -3; dx <= 3; dx++) pa.push(a.data[((y + dy) * w + x + dx) * 3 + c]!), pb.push(b.data[((y + dy) * w + x + dx) * 3 + c]!);
          const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
          const ma = mean(pa);
          const mb = mean(pb);
          const cov = (u: number[], mu: number, v: number[], mv: number) => u.reduce((s, t, i) => s + (t - mu) * (v[i]! - mv), 0) / (u.length - 1);
          const C1 = (0.01 * 255) ** 2;
          const C2 = (0.03 * 255) ** 2;
          sum += ((2 * ma * mb + C1) * (2 * cov(pa, ma, pb, mb) + C2)) / ((ma ** 2 + mb ** 2 + C1) * (cov(pa, ma, pa, ma) + cov(pb, mb, pb, mb) + C2));
        }
      total += sum / ((w - 6) * (h - 6));
    }
    expect(ssim7(a, b)).toBeCloseTo(total / 3, 10);
    expect(ssim7(a, a)).toBeCloseTo(1, 12);
    const mse = a.data.reduce((s, v, i) => s + (v - b.data[i]!) ** 2, 0) / a.data.length;
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 ** 2 / mse), 10);
  });
});

describe.skipIf(!hasChromium || !cert.present)(`the 3D Commerce analytical references ${chromiumReason} ${cert.reason}`, () => {
  for (const c of CASES) {
    it(`${c.reference}: SSIM > ${CERT_PASS.ssim} and PSNR > ${CERT_PASS.psnr} through the file's camera`, async () => {
      const page = await browser.desktop.newPage();
      try {
        await page.setViewportSize({ width: SIZE, height: SIZE });
        await page.goto(`${server.origin}/cert.html`);
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 });
        const errors = await page.evaluate(
          ([src, attributes]) => (window as unknown as { show: (s: string, a: object) => Promise<string[]> }).show(src, attributes),
          [`/cert/${c.object}/${c.object}.glb`, { 'gltf-camera': '0', background: '#ffffff', ...c.scene }] as const,
        );
        expect(errors).toEqual([]);
        const shot = await page.locator('#v').screenshot();
        const [mine, reference] = await Promise.all([rgbOnWhite(shot, SIZE), rgbOnWhite(path.join(cert.dir, c.object, c.reference), SIZE)]);
        const score = { ssim: ssim7(mine, reference), psnr: psnr(mine, reference) };
        console.log(`cert ${c.reference}: SSIM ${score.ssim.toFixed(4)}, PSNR ${score.psnr.toFixed(2)} dB`);
        expect(score.ssim).toBeGreaterThan(CERT_PASS.ssim);
        expect(score.psnr).toBeGreaterThan(CERT_PASS.psnr);
      } finally {
        await page.close();
      }
    }, 120_000);
  }

  it('without the scene settings (the default orbit and studio room) the same view does not pass: the settings matter', async () => {
    const page = await browser.desktop.newPage();
    try {
      await page.setViewportSize({ width: SIZE, height: SIZE });
      await page.goto(`${server.origin}/cert.html`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 });
      await page.evaluate(([src]) => (window as unknown as { show: (s: string, a: object) => Promise<string[]> }).show(src!, { background: '#ffffff' }), [
        '/cert/AnalyticalCubes/AnalyticalCubes.glb',
      ] as const);
      const mine = await rgbOnWhite(await page.locator('#v').screenshot(), SIZE);
      const reference = await rgbOnWhite(path.join(cert.dir, 'AnalyticalCubes/rr-AnalyticalCubes.png'), SIZE);
      const score = { ssim: ssim7(mine, reference), psnr: psnr(mine, reference) };
      console.log(`cert control (no scene settings): SSIM ${score.ssim.toFixed(4)}, PSNR ${score.psnr.toFixed(2)} dB`);
      expect(score.ssim > CERT_PASS.ssim && score.psnr > CERT_PASS.psnr).toBe(false);
    } finally {
      await page.close();
    }
  }, 120_000);
});
