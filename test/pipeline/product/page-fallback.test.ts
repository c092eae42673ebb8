/**
 * Progressive enhancement (issue 16, item 2): the product page and the embed carry the poster as an `<img>` (srcset,
 * sizes, width and height, alt text) in `<xoay-viewer>`'s light DOM, so the product shows where the viewer's script
 * does not run: JavaScript off, the script URL failing, the page opened from file://. When the script runs, the
 * element keeps that picture over its stage until its first frame is drawn, then drops it. In Chromium, on a small
 * built catalogue served by the project's static server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../../pipeline/core/chromium.js';
import { build } from '../../../pipeline/product/build.js';
import { CHROMIUM, chromiumReason, hasChromium, launchChromium, startServer, type Browser, type StaticServer } from '../../helpers/browser.js';
import { facts, makeProduct } from '../../helpers/products.js';

let tmp: string, site: string, server: StaticServer, browser: Browser, noJs: BrowserContext;
const ID = 'ghe-thu';

/** The light-DOM poster of the page's first viewer: loaded (naturalWidth) and laid out with a visible box. */
async function posterShown(page: Page): Promise<{ naturalWidth: number; width: number; height: number; visible: boolean; alt: string }> {
  const img = page.locator('xoay-viewer > img').first();
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), { timeout: 20_000 }).toBeGreaterThan(0);
  const box = (await img.boundingBox()) ?? { width: 0, height: 0 };
  return {
    naturalWidth: await img.evaluate((i: HTMLImageElement) => i.naturalWidth),
    width: box.width,
    height: box.height,
    visible: await img.isVisible(),
    alt: (await img.getAttribute('alt')) ?? '',
  };
}

function expectShown(r: Awaited<ReturnType<typeof posterShown>>): void {
  expect(r.naturalWidth).toBeGreaterThan(0);
  expect(r.width).toBeGreaterThan(100);
  expect(r.height).toBeGreaterThan(100);
  expect(r.visible).toBe(true);
  expect(r.alt).toBe('Ghế thử');
}

describe.skipIf(!hasChromium)(`the poster in the light DOM shows the product without the viewer's script, in Chromium ${chromiumReason}`, () => {
  let noJsDir: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-page-fallback-'));
    site = path.join(tmp, 'site');
    server = await startServer({ '/': site });
    await makeProduct(path.join(tmp, 'cat', 'ghe'), ID, { frames: 8, product: facts(ID, { name: { vi: 'Ghế thử' } }) });
    const r = await build([path.join(tmp, 'cat')], site, {
      baseUrl: `${server.origin}/`,
      cache: path.join(tmp, 'cache'),
      spin: { widths: [256, 512], formats: ['jpeg'] },
    });
    expect(r.products.filter((p) => p.status === 'failed').map((p) => p.message)).toEqual([]);
    server.pages.set(
      '/cms/bai-viet.html',
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>CMS</title></head><body><h1>Bài viết</h1>${await readFile(path.join(site, ID, 'embed.html'), 'utf8')}</body></html>`,
    );
    browser = await launchChromium();
    noJsDir = await mkdtemp(path.join(os.tmpdir(), 'xoay-chromium-nojs-'));
    noJs = await chromium.launchPersistentContext(noJsDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 800 },
    });
  }, 120_000);
  afterAll(async () => {
    await noJs?.close();
    await browser?.close();
    await server?.close();
    if (noJsDir) await rm(noJsDir, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  });

  it('the page and the embed put an <img> with srcset, sizes, width, height and alt in the element (not only in <noscript>)', async () => {
    const page = await readFile(path.join(site, ID, 'index.html'), 'utf8');
    const tag = page.match(/<xoay-viewer[^>]*>(<img [^>]*>)<\/xoay-viewer>/)?.[1];
    expect(tag).toBeDefined();
    expect(tag).toMatch(/ srcset="spin\/row-1\/256\/[^" ]+\.jpg 256w, spin\/row-1\/512\/[^" ]+\.jpg 512w"/);
    expect(tag).toMatch(/ sizes="[^"]+"/);
    expect(tag).toMatch(/ alt="Ghế thử" width="512" height="512"/);
    expect(page).not.toContain('<noscript>');
    const embed = await readFile(path.join(site, ID, 'embed.html'), 'utf8');
    expect(embed).toContain(`<img src="${server.origin}/${ID}/spin/row-1/512/`);
    expect(embed).toMatch(new RegExp(` srcset="${server.origin}/${ID}/spin/row-1/256/[^" ]+ 256w, `));
  });

  for (const [what, url] of [
    ['the product page', `/${ID}/`],
    ['the embed in a CMS page', '/cms/bai-viet.html'],
  ] as const) {
    it(`JavaScript off: ${what} shows the product image`, async () => {
      const page = await noJs.newPage();
      try {
        await page.goto(`${server.origin}${url}`);
        expectShown(await posterShown(page));
      } finally {
        await page.close();
      }
    });

    it(`the viewer's script URL failing: ${what} shows the product image`, async () => {
      const page = await browser.desktop.newPage();
      try {
        await page.route('**/xoay-viewer.js', (r) => r.abort());
        await page.goto(`${server.origin}${url}`);
        expectShown(await posterShown(page));
        expect(await page.evaluate(() => customElements.get('xoay-viewer'))).toBeUndefined();
      } finally {
        await page.close();
      }
    });
  }

  it('opened from file:// (the module script is blocked there): the product image shows', async () => {
    const page = await browser.desktop.newPage();
    try {
      await page.goto(pathToFileURL(path.join(site, ID, 'index.html')).href);
      expectShown(await posterShown(page));
    } finally {
      await page.close();
    }
  });

  it('with the script: the poster stays over the stage until the first frame is drawn, then goes', async () => {
    const page = await browser.desktop.newPage();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    try {
      // The sprite held back: the element has upgraded, the spin cannot draw yet.
      await page.route('**/sprite.*', async (r) => {
        await held;
        await r.continue();
      });
      await page.goto(`${server.origin}/${ID}/`);
      await expect.poll(() => page.evaluate(() => !!customElements.get('xoay-viewer') && !!document.querySelector('xoay-viewer')!.shadowRoot)).toBe(true);
      await page.waitForTimeout(300);
      expectShown(await posterShown(page));
      release();
      await expect
        .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frames: number }).frames), { timeout: 20_000 })
        .toBe(8);
      await expect.poll(() => page.locator('xoay-viewer > img').isVisible()).toBe(false);
      expect(await page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('slot'))).toBeNull();
    } finally {
      release();
      await page.close();
    }
  });
});
