/**
 * The built pages in a real browser (Chromium, phone and desktop): the viewer loads and turns, the facts are
 * shown, nothing overflows a phone screen; hostile product fields and story run no script; the catalogue's
 * search and filters work opened straight from the disk (file://).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../../pipeline/product/build.js';
import { type Browser, chromiumReason, hasChromium, launchChromium, startServer, type StaticServer } from '../../helpers/browser.js';
import { decodeQr } from '../../helpers/qr.js';
import { facts, makeProduct, SMALL_SPIN } from '../../helpers/products.js';
import { STORY_XSS } from '../../helpers/xss.js';

let tmp: string, site: string, server: StaticServer, browser: Browser;

const HOSTILE = facts('hostile', {
  name: { vi: 'Chè <script>window.__xss=1</script>', en: '"><img src=x onerror="window.__xss=2">' },
  summary: { vi: '<svg onload="window.__xss=3">' },
  category: '</script><script>window.__xss=4</script>',
  producer: { name: '"><img src=x onerror="window.__xss=19">', kind: 'enterprise', province: 'Huế</title><script>window.__xss=20</script>' },
  origin: { '<b onmouseover="window.__xss=21">': 'x' },
  links: [{ label: '<img src=x onerror="window.__xss=22">', url: "https://example.vn/'onmouseover='window.__xss=23" }],
});

describe.skipIf(!hasChromium)(`product pages in Chromium ${chromiumReason}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-page-browser-'));
    const cat = path.join(tmp, 'cat');
    await makeProduct(path.join(cat, 'tea'), 'che-shan-tuyet', {
      product: facts('che-shan-tuyet', {
        name: { vi: 'Chè Shan tuyết cổ thụ' },
        category: 'Đồ uống',
        producer: { name: 'HTX Chè Lũng Phìn', kind: 'co-operative', province: 'Hà Giang' },
        price: { amount: 250000 },
      }),
      story: '## Câu chuyện\n\nHái bằng tay mỗi sớm trên núi cao, nơi sương mù phủ quanh năm và những cây chè cổ thụ hàng trăm năm tuổi.',
    });
    await makeProduct(path.join(cat, 'hostile'), 'hostile', { frames: 8, mirror: true, product: HOSTILE, story: STORY_XSS.join('\n\n') });
    site = path.join(tmp, 'site');
    const r = await build([cat], site, { baseUrl: 'http://127.0.0.1/', cache: path.join(tmp, 'cache'), spin: SMALL_SPIN });
    expect(r.products.filter((p) => p.status === 'failed').map((p) => p.message)).toEqual([]);
    server = await startServer({ '/': site });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  for (const device of ['phone', 'desktop'] as const) {
    it(`${device}: the page shows the viewer (it loads and turns) and the product facts, with no sideways scrolling`, async () => {
      const page = await browser[device].newPage();
      try {
        await page.goto(`${server.origin}/che-shan-tuyet/index.html`);
        await expect
          .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frames: number }).frames), { timeout: 20_000 })
          .toBe(12);
        const viewer = page.locator('xoay-viewer');
        await viewer.scrollIntoViewIfNeeded();
        expect(await viewer.isVisible()).toBe(true);
        const box = (await viewer.boundingBox())!;
        expect(box.width).toBeGreaterThan(device === 'phone' ? 300 : 500);
        // Turning it: a key press moves to the next frame.
        await page.evaluate(() => (document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
        await page.keyboard.press('ArrowRight');
        await expect
          .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frame: number }).frame), { timeout: 5000 })
          .not.toBe(0);
        expect(await page.locator('h1').innerText()).toBe('Chè Shan tuyết cổ thụ');
        expect(await page.locator('.stars').innerText()).toContain('★★★★☆');
        expect(await page.getByText('HTX Chè Lũng Phìn').isVisible()).toBe(true);
        expect(await page.getByText('Hà Giang').first().isVisible()).toBe(true);
        expect(await page.getByRole('heading', { name: 'Câu chuyện', exact: true, level: 4 }).isVisible()).toBe(true);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');
        // The QR code as the browser shows it (on the phone's 3× screen) decodes to the page's public URL.
        const qr = page.locator('.qr img');
        await qr.scrollIntoViewIfNeeded();
        if (device === 'phone') expect(await decodeQr(await qr.screenshot(), { onWhite: true })).toBe('http://127.0.0.1/che-shan-tuyet/');
      } finally {
        await page.close();
      }
    }, 60_000);
  }

  it('hostile product fields and story run no script, carry no event handler and no unsafe link', async () => {
    const page = await browser.desktop.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      await page.goto(`${server.origin}/hostile/index.html`);
      await expect
        .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { frames: number }).frames), { timeout: 20_000 })
        .toBe(8);
      // Give anything that would fire (onerror of a broken image, ontoggle, onload) the time to do so; hover the links.
      for (const a of await page.locator('a').all()) await a.hover({ timeout: 2000 }).catch(() => {});
      await page.waitForTimeout(300);
      const report = await page.evaluate(() => {
        const all = [...document.querySelectorAll('*')];
        return {
          xss: (window as unknown as { __xss?: number }).__xss,
          scripts: [...document.scripts].map((s) => s.type || 'classic'),
          handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`)),
          badLinks: all
            .flatMap((el) => ['href', 'src', 'action', 'formaction'].map((n) => el.getAttribute(n) ?? ''))
            .filter((v) => /^\s*(javascript|data|vbscript|file):/i.test(v) || v.startsWith('//')),
          frames: document.querySelectorAll('iframe, object, embed').length,
          title: document.title,
          h1: document.querySelector('h1')!.textContent,
          ld: JSON.parse(document.querySelector('script[type="application/ld+json"]')!.textContent!),
          inlineManifest: (() => {
            const m = document.querySelector('script[type="application/json"][data-xoay-spin]');
            return !!m && typeof JSON.parse(m.textContent!) === 'object';
          })(),
        };
      });
      expect(report.xss).toBeUndefined();
      expect(dialogs).toEqual([]);
      // The structured data, the viewer, and the spin's manifest inline (data: a type the browser never runs, and it
      // parses as JSON, so no hostile field broke out of it).
      expect([...report.scripts].sort()).toEqual(['application/json', 'application/ld+json', 'module']);
      expect(report.inlineManifest).toBe(true);
      expect(report.handlers).toEqual([]);
      expect(report.badLinks).toEqual([]);
      expect(report.frames).toBe(0);
      // The text itself survives, shown as text.
      expect(report.h1).toBe('Chè <script>window.__xss=1</script>');
      expect(report.ld.category).toBe('</script><script>window.__xss=4</script>');
      expect(report.title).toContain('Chè <script>');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('the catalogue works opened from the disk: search ignores diacritics, filters by province and stars', async () => {
    const page = await browser.phone.newPage();
    try {
      await page.goto(pathToFileURL(path.join(site, 'index.html')).href);
      const count = page.locator('#count');
      await expect.poll(() => count.innerText()).toBe('2 / 2 sản phẩm');
      await page.locator('input[name=q]').fill('che shan');
      await expect.poll(() => count.innerText()).toBe('1 / 2 sản phẩm');
      expect(await page.locator('li:not([hidden]) h2').allInnerTexts()).toEqual(['Chè Shan tuyết cổ thụ']);
      await page.locator('input[name=q]').fill('');
      await page.locator('select[name=province]').selectOption('Hà Giang');
      await expect.poll(() => count.innerText()).toBe('1 / 2 sản phẩm');
      await page.locator('select[name=province]').selectOption('');
      await page.locator('select[name=stars]').selectOption('5');
      await expect.poll(() => count.innerText()).toBe('0 / 2 sản phẩm');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    } finally {
      await page.close();
    }
  }, 30_000);
});
