/**
 * What the built page and embed carry for the viewer's first drag (pipeline/product/page.ts): the spin manifest
 * inline (no request for spin.json) and the first sprite preloaded (fetched once: the viewer takes the preloaded
 * response). In Chromium, served by the project's static server, which records every request. The viewer still
 * turns from the inline manifest, and still works from `src` alone (no inline manifest, one for another spin, or one
 * that is not JSON).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../../pipeline/product/build.js';
import { type Browser, chromiumReason, hasChromium, launchChromium, startServer, type StaticServer } from '../../helpers/browser.js';
import { makeProduct, SMALL_SPIN } from '../../helpers/products.js';

let tmp: string, site: string, server: StaticServer, browser: Browser;
const ID = 'ghe-thu';

/** Requests the server answered for a path ending in `suffix`, from `since` on (an index into server.requests). */
const served = (suffix: string, since = 0) => server.requests.slice(since).filter((r) => r.url.endsWith(suffix));

async function turns(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frames: number }).frames), { timeout: 20_000 }).toBe(8);
  const box = (await page.locator('xoay-viewer').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frame: number }).frame), { timeout: 5000 }).not.toBe(0);
}

describe.skipIf(!hasChromium)(`the page carries what the first drag needs, in Chromium ${chromiumReason}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-page-inline-'));
    site = path.join(tmp, 'site');
    // The server first: the embed snippet's absolute URLs need its address as the base URL.
    server = await startServer({ '/': site });
    await makeProduct(path.join(tmp, 'cat', 'ghe'), ID, { frames: 8 });
    const r = await build([path.join(tmp, 'cat')], site, { baseUrl: `${server.origin}/`, cache: path.join(tmp, 'cache'), spin: SMALL_SPIN });
    expect(r.products.filter((p) => p.status === 'failed').map((p) => p.message)).toEqual([]);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('the built page: the manifest inline (byte for byte the spin.json), the sprite (AVIF: every spin has its sprite in the three formats) preloaded at high priority', async () => {
    const page = await readFile(path.join(site, ID, 'index.html'), 'utf8');
    const json = page.match(/<script type="application\/json" data-xoay-spin="spin\/spin\.json">([^<]*)<\/script><xoay-viewer/)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json!)).toEqual(JSON.parse(await readFile(path.join(site, ID, 'spin/spin.json'), 'utf8')));
    expect(page).toMatch(/<head>[\s\S]*<link rel="preload" href="spin\/row-1\/sprite\.avif" as="fetch" crossorigin fetchpriority="high">[\s\S]*<\/head>/);
  });

  for (const device of ['desktop', 'phone'] as const) {
    it(`${device}: the product page turns with no request for spin.json, and the sprite is fetched once`, async () => {
      const since = server.requests.length;
      const page = await browser[device].newPage();
      try {
        await page.goto(`${server.origin}/${ID}/`);
        await turns(page);
        expect(served('/spin.json', since)).toEqual([]);
        expect(served('/sprite.avif', since).length).toBe(1);
        expect(served('/xoay-viewer.js', since).length).toBe(1);
      } finally {
        await page.close();
      }
    });
  }

  it('the embed snippet pasted into another page: no request for spin.json either, and it turns', async () => {
    const snippet = await readFile(path.join(site, ID, 'embed.html'), 'utf8');
    expect(snippet).toContain(`data-xoay-spin="${server.origin}/${ID}/spin/spin.json"`);
    server.pages.set(
      '/cms/bai-viet.html',
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>CMS</title></head><body><h1>Bài viết</h1>${snippet}</body></html>`,
    );
    const since = server.requests.length;
    const page = await browser.desktop.newPage();
    try {
      await page.goto(`${server.origin}/cms/bai-viet.html`);
      await turns(page);
      expect(served('/spin.json', since)).toEqual([]);
      expect(served('/sprite.avif', since).length).toBe(1);
    } finally {
      await page.close();
    }
  });

  const variants: [string, (tag: string) => string][] = [
    ['only src (no inline manifest)', (tag) => tag],
    ['an inline manifest for another spin', (tag) => `<script type="application/json" data-xoay-spin="../khac/spin/spin.json">{"version":1}</script>${tag}`],
    ['an inline manifest that is not JSON', (tag) => `<script type="application/json" data-xoay-spin="spin/spin.json">{"version":1,</script>${tag}`],
  ];
  for (const [what, markup] of variants) {
    it(`${what}: the viewer fetches spin.json once and turns`, async () => {
      server.pages.set(
        `/${ID}/src-only.html`,
        `<!doctype html><html lang="vi"><head><meta charset="utf-8"><script type="module" src="../viewer/xoay-viewer.js"></script></head><body>${markup('<xoay-viewer src="spin/spin.json" alt="Ghế" style="width:480px"></xoay-viewer>')}</body></html>`,
      );
      const since = server.requests.length;
      const page = await browser.desktop.newPage();
      try {
        await page.goto(`${server.origin}/${ID}/src-only.html`);
        await turns(page);
        expect(served('/spin.json', since).map((r) => r.status)).toEqual([200]);
      } finally {
        await page.close();
      }
    });
  }
});
