/**
 * `<xoay-viewer>`.toBlob in Chromium: the picture has the size asked, matches the on-screen view at the same size
 * (SSIM, pipeline/core/ssim.ts), a given `camera` (camera-orbit text) gives the view that attribute gives, without
 * moving the on-screen view, and invalid options are refused with a message.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssim, type RawImage } from '../../pipeline/core/ssim.js';
import {
  chromiumReason,
  dismissHint,
  hasChromium,
  openViewer,
  viewerFixture,
  viewerPage,
  type Browser,
  type StaticServer,
  type ViewerFixture,
} from '../helpers/browser.js';
import { dataSet } from '../helpers/data.js';

const cert = dataSet('cert');
const SIZE = 320;
let fx: ViewerFixture | undefined;
let server: StaticServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium || !cert.present) return;
  fx = await viewerFixture('xoay-blob-', { '/cert/': cert.dir });
  ({ browser, server } = fx);
  server.pages.set(
    '/blob.html',
    viewerPage(
      `<xoay-viewer id="v" mode="3d" loading="eager" model="/cert/AnalyticalCubes/AnalyticalCubes.glb" alt="Analytical cubes" background="#ffffff" camera-orbit="20deg 70deg 120%" style="width:${SIZE}px;height:${SIZE}px;aspect-ratio:auto"></xoay-viewer>`,
    ),
  );
  page = await browser.desktop.newPage();
  await openViewer(page, `${server.origin}/blob.html`);
  // The on-screen view is compared with toBlob's: without the interaction hint (a badge over the stage, not the scene).
  await dismissHint(page, '#v');
}, 300_000);

afterAll(async () => {
  await page?.close();
  await fx?.close();
});

async function raw(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

const screen = async () => raw(await page.locator('#v').screenshot());

/** Calls toBlob in the page: the bytes and the Blob's type, or the message it rejected with. */
async function toBlob(options: Record<string, unknown>): Promise<{ bytes?: Buffer; type?: string; error?: string }> {
  const r = await page.evaluate(async (o) => {
    try {
      const blob = await (document.getElementById('v') as unknown as { toBlob(o: unknown): Promise<Blob> }).toBlob(o);
      const b = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (const c of b) s += String.fromCharCode(c);
      return { base64: btoa(s), type: blob.type };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, options);
  return 'error' in r ? { error: r.error } : { bytes: Buffer.from(r.base64!, 'base64'), type: r.type };
}

async function setAttribute(name: string, value: string): Promise<void> {
  await page.evaluate(
    ([n, v]) =>
      new Promise<void>((resolve, reject) => {
        const el = document.getElementById('v')!;
        el.addEventListener('scene-change', () => resolve(), { once: true });
        el.addEventListener('scene-error', (e) => reject(new Error((e as CustomEvent).detail.message)), { once: true });
        el.setAttribute(n!, v!);
      }),
    [name, value] as const,
  );
}

describe.skipIf(!hasChromium || !cert.present)(`<xoay-viewer>.toBlob ${chromiumReason} ${cert.reason}`, () => {
  it('gives a PNG of the size asked that matches the on-screen view at the same size', async () => {
    const shown = await screen();
    const r = await toBlob({ width: SIZE, height: SIZE });
    expect(r.type).toBe('image/png');
    const meta = await sharp(r.bytes!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', SIZE, SIZE]);
    expect(ssim(await raw(r.bytes!), shown)).toBeGreaterThan(0.98);
    // Default size: the view's own.
    expect(await sharp((await toBlob({})).bytes!).metadata()).toMatchObject({ width: SIZE, height: SIZE });
  }, 60_000);

  it('draws other sizes and types: 200 × 120 JPEG, 100 × 300 WebP', async () => {
    const jpeg = await toBlob({ width: 200, height: 120, mimeType: 'image/jpeg', quality: 0.8 });
    expect(jpeg.type).toBe('image/jpeg');
    expect(await sharp(jpeg.bytes!).metadata()).toMatchObject({ format: 'jpeg', width: 200, height: 120 });
    const webp = await toBlob({ width: 100, height: 300, mimeType: 'image/webp' });
    expect(await sharp(webp.bytes!).metadata()).toMatchObject({ format: 'webp', width: 100, height: 300 });
  }, 60_000);

  it('a given camera changes the picture, as camera-orbit would give it, and leaves the on-screen view as it was', async () => {
    const before = await screen();
    const camera = '100deg 45deg 150%';
    const turned = await raw((await toBlob({ width: SIZE, height: SIZE, camera })).bytes!);
    expect(ssim(turned, before)).toBeLessThan(0.9);
    expect(ssim(await screen(), before)).toBeGreaterThan(0.995);
    await setAttribute('camera-orbit', camera);
    expect(ssim(turned, await screen())).toBeGreaterThan(0.98);
  }, 60_000);

  const BAD: [Record<string, unknown>, RegExp][] = [
    [{ width: 0 }, /toBlob: width must be an integer from 1 to 4096; got 0/],
    [{ height: 5000 }, /toBlob: height must be an integer from 1 to 4096; got 5000/],
    [{ mimeType: 'image/gif' }, /toBlob: mimeType must be image\/png, image\/jpeg, image\/webp; got "image\/gif"/],
    [{ quality: 2 }, /toBlob: quality must be a number from 0 to 1; got 2/],
    [{ camera: 'sideways' }, /toBlob: camera \(θ\) must be an angle/],
  ];
  for (const [options, message] of BAD) {
    it(`refuses ${JSON.stringify(options)} with a message`, async () => {
      expect((await toBlob(options)).error).toMatch(message);
    });
  }
});
