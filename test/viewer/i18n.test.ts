/**
 * `<xoay-viewer>` speaks the page's language, in headless Chromium: on a `lang="vi"` page every text it shows or gives
 * to screen readers is Vietnamese, on `lang="en"` English; the nearest ancestor's `lang` wins over the document's;
 * the embedder's `strings` (attribute and property) replace the built-in ones. The interaction hint: shown once the
 * spin can be turned, gone at the first drag, key or wheel, still (not animated) under prefers-reduced-motion, and
 * in a corner, off the product as drawn.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spin } from '../../pipeline/spin/spin.js';
import { ROOT } from '../helpers/data.js';
import { chromiumReason, hasChromium, launchChromium, startServer, type Browser, type StaticServer } from '../helpers/browser.js';

let tmp: string;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-i18n-'));
  await spin(path.join(ROOT, 'samples/stool-turntable'), path.join(tmp, 'spin'), { widths: [256, 512], formats: ['webp', 'jpeg'] });
  server = await startServer({
    '/viewer/': path.join(ROOT, 'dist/viewer'),
    '/spin/': path.join(tmp, 'spin'),
    '/model/': path.join(ROOT, 'samples/stool-model'),
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const SPIN = 'src="/spin/spin.json"';
const MODEL = 'model="/model/painted_wooden_stool_1k.glb"';

/** A page in `lang` with `body`; records every viewer's load/error events. */
async function open(page: Page, lang: string, body: string): Promise<void> {
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{margin:0}xoay-viewer{width:640px;margin:20px}</style>
<script>window.seen=[];for(const t of ['load','error'])document.addEventListener(t,(e)=>e instanceof CustomEvent&&window.seen.push((e.target.id||'')+' '+t+(e.detail&&e.detail.mode?' '+e.detail.mode:'')),true)</script>
<script type="module" src="/viewer/xoay-viewer.js"></script></head><body>${body}</body></html>`;
  const url = `/p${Math.random().toString(36).slice(2)}.html`;
  server.pages.set(url, html);
  await page.goto(server.origin + url);
}

const waitSeen = (page: Page, what: string) =>
  page.waitForFunction((w) => (window as unknown as { seen: string[] }).seen.includes(w), what, { timeout: 60_000 });

/**
 * Every text of the viewer `sel` a reader sees or hears: its shadow root's text (not styles; the spin's live region
 * included) and its accessible names, role descriptions, values and descriptions.
 */
function texts(page: Page, sel = 'xoay-viewer'): Promise<string[]> {
  return page.evaluate((s) => {
    const root = document.querySelector(s)!.shadowRoot!;
    const out: string[] = [];
    const walk = (n: Node) => {
      if (n.nodeType === Node.TEXT_NODE && n.textContent!.trim() && n.parentElement?.localName !== 'style') out.push(n.textContent!.trim());
      if (n instanceof Element) {
        for (const a of ['aria-label', 'aria-roledescription', 'aria-valuetext', 'title', 'alt']) {
          const v = n.getAttribute(a);
          if (v) out.push(v);
        }
      }
      for (const c of n.childNodes) walk(c);
    };
    walk(root);
    return out;
  }, sel);
}

/** The built-in words, as the viewer shows them: what one language must show and the other must not. */
const EN = {
  spin: ['Drag to turn', 'View', '360° view', '360° product view'],
  live: 'Turned to ',
  model: ['3D model', '3D product model', 'Drag or use the arrow keys to turn; scroll, pinch or + and − to zoom; Home to reset.'],
  start: ['View in 360°', 'View in 360°: product'],
  error: 'The product could not be shown.',
};
const VI = {
  spin: ['Kéo để xoay', 'Chế độ xem', 'ảnh xoay 360°', 'Ảnh sản phẩm xoay 360°'],
  live: 'Đã xoay tới ',
  model: [
    'mô hình 3D',
    'Mô hình 3D của sản phẩm',
    'Kéo hoặc dùng các phím mũi tên để xoay; cuộn, chụm hai ngón hoặc phím + và − để phóng to, thu nhỏ; phím Home để về ban đầu.',
  ],
  start: ['Xem 360°', 'Xem 360°: sản phẩm'],
  error: 'Không hiển thị được sản phẩm.',
};
const ALL = (w: typeof EN) => [...w.spin, ...w.model, ...w.start, w.error];
/** Texts that are the same in both languages: the toggle's labels, the hint's arrow, an angle. */
const neutral = (t: string) => ['360°', '3D', '↔'].includes(t) || /^\d+°$/.test(t);
const spoke = (seen: string[], live: string) => seen.some((t) => new RegExp(`^${live}\\d+°$`).test(t));

describe.skipIf(!hasChromium)(`<xoay-viewer> languages and hint in Chromium ${chromiumReason}`, () => {
  for (const [lang, words, other] of [
    ['vi', VI, EN],
    ['en', EN, VI],
  ] as const) {
    it(`lang="${lang}": every visible and spoken text (spin, live region, 3D, start button, error) is in that language`, async () => {
      const page = await browser.desktop.newPage();
      try {
        await open(
          page,
          lang,
          `<xoay-viewer id="a" ${SPIN} ${MODEL} loading="eager"></xoay-viewer><xoay-viewer id="b" ${SPIN} loading="interaction"></xoay-viewer><xoay-viewer id="c" src="/spin/missing.json" loading="eager"></xoay-viewer>`,
        );
        await waitSeen(page, 'a load spin');
        await waitSeen(page, 'c error');
        const seen = [...(await texts(page, '#a')), ...(await texts(page, '#b')), ...(await texts(page, '#c'))];
        // The spin, after a key (the live region speaks once the turning settles).
        await page.evaluate(() => (document.querySelector('#a')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
        await page.keyboard.press('ArrowRight');
        await expect.poll(async () => spoke(await texts(page, '#a'), words.live), { timeout: 5000 }).toBe(true);
        seen.push(...(await texts(page, '#a')));
        // The 3D view.
        await page.evaluate(() => (document.querySelector('#a')!.shadowRoot!.querySelectorAll('.modes button')[1] as HTMLElement).click());
        await waitSeen(page, 'a load 3d');
        seen.push(...(await texts(page, '#a')));
        for (const w of ALL(words)) expect(seen, w).toContain(w);
        for (const w of ALL(other)) expect(seen, w).not.toContain(w);
        expect(spoke(seen, other.live)).toBe(false);
        // Nothing else: every text is one of this language's (or the same in both).
        const known = new Set(ALL(words));
        expect(seen.filter((t) => !known.has(t) && !neutral(t) && !t.startsWith(words.live))).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }

  it("the nearest ancestor's lang (or the element's own) wins over the document's; a lang change restarts in that language", async () => {
    const page = await browser.desktop.newPage();
    try {
      await open(
        page,
        'en',
        `<div lang="vi-VN"><section><xoay-viewer id="vi" ${SPIN} loading="interaction"></xoay-viewer><xoay-viewer id="en" lang="en" ${SPIN} loading="interaction"></xoay-viewer></section></div><xoay-viewer id="doc" ${SPIN} loading="eager"></xoay-viewer>`,
      );
      await waitSeen(page, 'doc load spin');
      expect((await texts(page, '#vi')).sort()).toEqual([...VI.start].sort());
      expect((await texts(page, '#en')).sort()).toEqual([...EN.start].sort());
      expect(await texts(page, '#doc')).toContain('Drag to turn');
      await page.evaluate(() => document.querySelector('#doc')!.setAttribute('lang', 'vi'));
      await waitSeen(page, 'doc load spin'); // already there: wait for the second one below
      await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.filter((s) => s === 'doc load spin').length === 2);
      expect(await texts(page, '#doc')).toEqual(expect.arrayContaining(['Kéo để xoay', 'Ảnh sản phẩm xoay 360°']));
    } finally {
      await page.close();
    }
  });

  it('overrides: the strings attribute (JSON) and the strings property replace the built-in words', async () => {
    const page = await browser.desktop.newPage();
    try {
      await open(
        page,
        'vi',
        `<xoay-viewer id="a" ${SPIN} ${MODEL} loading="eager" strings='{"hint":"Vuốt để xem mọi phía","spinLabel":"Ghế đẩu, xoay 360°"}'></xoay-viewer>`,
      );
      await waitSeen(page, 'a load spin');
      let seen = await texts(page, '#a');
      expect(seen).toEqual(expect.arrayContaining(['Vuốt để xem mọi phía', 'Ghế đẩu, xoay 360°', 'Chế độ xem']));
      expect(seen).not.toContain('Kéo để xoay');
      const strings = await page.evaluate(() => {
        const el = document.querySelector('xoay-viewer')!;
        el.strings = { modes: 'Cách xem', turned: 'Giờ ở {0}' };
        return el.strings;
      });
      expect(strings).toMatchObject({ hint: 'Vuốt để xem mọi phía', modes: 'Cách xem', turned: 'Giờ ở {0}', view3d: 'Xem 3D' });
      await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.filter((s) => s === 'a load spin').length === 2);
      seen = await texts(page, '#a');
      expect(seen).toEqual(expect.arrayContaining(['Cách xem', 'Ghế đẩu, xoay 360°']));
      await page.evaluate(() => (document.querySelector('#a')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => spoke(await texts(page, '#a'), 'Giờ ở '), { timeout: 5000 }).toBe(true);
      // A 3D string too (its words live in the 3D chunk).
      await page.evaluate(() => {
        const el = document.querySelector('xoay-viewer')!;
        el.strings = { modelLabel: 'Ghế đẩu 3D' };
        el.mode = '3d';
      });
      await expect.poll(() => texts(page, '#a'), { timeout: 30_000 }).toContain('Ghế đẩu 3D');
    } finally {
      await page.close();
    }
  });

  it('the hint: shown once the spin can be turned, gone at the first drag, key or wheel, and not shown again', async () => {
    const page = await browser.desktop.newPage();
    try {
      await open(page, 'en', ['drag', 'key', 'wheel'].map((id) => `<xoay-viewer id="${id}" ${SPIN} ${MODEL} loading="eager"></xoay-viewer>`).join(''));
      for (const id of ['drag', 'key', 'wheel']) await waitSeen(page, `${id} load spin`);
      const hint = (id: string) =>
        page.evaluate((i) => document.querySelector(`#${i}`)!.shadowRoot!.querySelector('.xoay-hint')?.textContent?.replace(/^.*\}/s, '') ?? null, id);
      for (const id of ['drag', 'key', 'wheel']) expect(await hint(id)).toBe('↔Drag to turn');
      const box = (await page.locator('#drag').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 4 });
      await page.mouse.up();
      expect(await hint('drag')).toBeNull();
      expect(await hint('key')).toBe('↔Drag to turn');
      await page.evaluate(() => (document.querySelector('#key')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
      await page.keyboard.press('ArrowLeft');
      expect(await hint('key')).toBeNull();
      await page.locator('#wheel').scrollIntoViewIfNeeded();
      const wbox = (await page.locator('#wheel').boundingBox())!;
      await page.mouse.move(wbox.x + wbox.width / 2, wbox.y + wbox.height / 2);
      await page.mouse.wheel(0, 40);
      await expect.poll(() => hint('wheel')).toBeNull();
      // Not again: switching to 3D and back (a new view) after the first interaction shows no hint.
      await page.evaluate(() => (document.querySelector('#drag')!.shadowRoot!.querySelectorAll('.modes button')[1] as HTMLElement).click());
      await waitSeen(page, 'drag load 3d');
      expect(await hint('drag')).toBeNull();
    } finally {
      await page.close();
    }
  });

  it('the hint nudges, but stands still under prefers-reduced-motion (and stays: it is information, not motion)', async () => {
    const page = await browser.desktop.newPage();
    try {
      const animation = () =>
        page.evaluate(() => {
          const b = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-hint b');
          return b ? { name: getComputedStyle(b).animationName, running: b.getAnimations().length } : null;
        });
      await open(page, 'en', `<xoay-viewer id="a" ${SPIN} loading="eager"></xoay-viewer>`);
      await waitSeen(page, 'a load spin');
      expect(await animation()).toEqual({ name: 'xoay-nudge', running: 1 });
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await open(page, 'en', `<xoay-viewer id="a" ${SPIN} loading="eager"></xoay-viewer>`);
      await waitSeen(page, 'a load spin');
      expect(await animation()).toEqual({ name: 'none', running: 0 });
    } finally {
      await page.close();
    }
  });

  for (const device of ['desktop', 'phone'] as const) {
    it(`${device}: the hint is small, in a corner, and off the product as drawn`, async () => {
      const page = await browser[device].newPage();
      try {
        await open(page, 'en', `<xoay-viewer id="a" ${SPIN} loading="eager" style="width:auto;max-width:640px"></xoay-viewer>`);
        await waitSeen(page, 'a load spin');
        await page.waitForTimeout(500); // full frames in
        const el = page.locator('#a');
        const box = (await el.boundingBox())!;
        const hint = await page.evaluate(() => {
          const host = document.querySelector('#a')!;
          const h = host.shadowRoot!.querySelector('.xoay-hint') as HTMLElement;
          const r = h.getBoundingClientRect(),
            e = host.getBoundingClientRect();
          h.style.visibility = 'hidden'; // for the screenshot of the product alone
          return { x: r.x - e.x, y: r.y - e.y, width: r.width, height: r.height };
        });
        const shot = await el.screenshot();
        const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        // The product: every pixel that is not the white background, in CSS px.
        const scale = info.width / box.width;
        let x0 = Infinity,
          y0 = Infinity,
          x1 = -1,
          y1 = -1;
        for (let y = 0; y < info.height; y++)
          for (let x = 0; x < info.width; x++) {
            const i = (y * info.width + x) * 3;
            if (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235) {
              x0 = Math.min(x0, x);
              y0 = Math.min(y0, y);
              x1 = Math.max(x1, x);
              y1 = Math.max(y1, y);
            }
          }
        const product = { x: x0 / scale, y: y0 / scale, width: (x1 - x0 + 1) / scale, height: (y1 - y0 + 1) / scale };
        expect(product.width).toBeGreaterThan(box.width * 0.2); // something was drawn
        const overlaps =
          hint.x < product.x + product.width && product.x < hint.x + hint.width && hint.y < product.y + product.height && product.y < hint.y + hint.height;
        expect(overlaps, `hint ${JSON.stringify(hint)} product ${JSON.stringify(product)}`).toBe(false);
        // Small and in the bottom-left corner.
        expect(hint.x).toBeLessThanOrEqual(12);
        expect(box.height - (hint.y + hint.height)).toBeLessThanOrEqual(12);
        expect(hint.width * hint.height).toBeLessThan(0.05 * box.width * box.height);
      } finally {
        await page.close();
      }
    });
  }
});
