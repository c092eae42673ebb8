/**
 * The AR button of `<xoay-viewer ar>` (viewer/core/ar.ts) in headless Chromium, with what the browser reports stubbed
 * in the page before any script runs (navigator.xr, the user agent, `a.relList.supports('ar')`): the button appears
 * only when a mode of `ar-modes` is supported (WebXR `immersive-ar`; Android → Scene Viewer; iOS Safari with an
 * `ios-src` → Quick Look), in the order `ar-modes` gives, never without `ar`; the Scene Viewer intent URL is exactly
 * Google's documented form with the GLB's absolute URL and the title encoded; Quick Look follows `<a rel="ar">` with an
 * image to the absolute USDZ URL; WebXR asks for an `immersive-ar` session with hit testing (a refused session is an
 * `error` event). The AR code is not loaded without `ar`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../pipeline/model/model.js';
import { parseArModes, sceneViewerUrl } from '../../viewer/core/ar.js';
import { type Browser, buildViewer, chromiumReason, hasChromium, launchChromium, type StaticServer, startServer, viewerPage } from '../helpers/browser.js';
import { boxGlb } from '../helpers/models.js';

const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const IOS_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ALT = 'Bàn gỗ & ghế #1';

describe('ar.ts (pure)', () => {
  it('parses ar-modes in order, ignoring unknown words; empty is all three', () => {
    expect(parseArModes(null)).toEqual(['webxr', 'scene-viewer', 'quick-look']);
    expect(parseArModes('  quick-look bogus webxr quick-look ')).toEqual(['quick-look', 'webxr']);
    expect(parseArModes('bogus')).toEqual(['webxr', 'scene-viewer', 'quick-look']);
  });
  it('builds the Scene Viewer intent', () => {
    expect(sceneViewerUrl('https://shop.example/p/a b/model.glb#x', 'Chè & bánh', 'https://shop.example/p/?q=1#top')).toBe(
      'intent://arvr.google.com/scene-viewer/1.0?file=https%3A%2F%2Fshop.example%2Fp%2Fa%2520b%2Fmodel.glb&mode=ar_preferred&title=Ch%C3%A8%20%26%20b%C3%A1nh#Intent;scheme=https;package=com.google.ar.core;action=android.intent.action.VIEW;S.browser_fallback_url=https%3A%2F%2Fshop.example%2Fp%2F%3Fq%3D1;end;',
    );
  });
});

interface Stub {
  /** What navigator.xr.isSessionSupported('immersive-ar') says; undefined: no navigator.xr at all. */
  xr?: boolean;
  ua?: string;
  /** a.relList.supports('ar'). */
  quickLook?: boolean;
}

/** Runs before the page's scripts: the browser's AR capabilities as `s` says, and a record of links followed. */
function stubScript(s: Stub): string {
  return `(() => {
  const s = ${JSON.stringify(s)};
  window.__xr = [];
  window.__links = [];
  if (s.xr === undefined) Object.defineProperty(Navigator.prototype, 'xr', { configurable: true, get: () => undefined });
  else {
    const xr = {
      isSessionSupported: async (mode) => mode === 'immersive-ar' && s.xr,
      requestSession: async (mode, init) => { window.__xr.push({ mode, init: { requiredFeatures: init.requiredFeatures, optionalFeatures: init.optionalFeatures } }); throw new DOMException('no AR device in this test', 'NotSupportedError'); },
    };
    Object.defineProperty(Navigator.prototype, 'xr', { configurable: true, get: () => xr });
  }
  if (s.ua) Object.defineProperty(Navigator.prototype, 'userAgent', { configurable: true, get: () => s.ua });
  const supports = DOMTokenList.prototype.supports;
  DOMTokenList.prototype.supports = function (t) { return t === 'ar' ? Boolean(s.quickLook) : supports.call(this, t); };
  // Links the view follows (Scene Viewer intent, Quick Look): recorded, not followed.
  document.addEventListener('click', (e) => {
    const a = e.composedPath()[0];
    if (a instanceof HTMLAnchorElement) {
      window.__links.push({ href: a.href, rel: a.rel, firstChild: a.firstElementChild && a.firstElementChild.tagName });
      e.preventDefault();
    }
  }, true);
})();`;
}

let tmp = '';
let server: StaticServer;
let browser: Browser;
let pageNo = 0;

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-ar-'));
  const viewer = path.join(tmp, 'viewer');
  const fixtures = async () => {
    const box = await boxGlb(path.join(tmp, 'box.glb'));
    await model(box, path.join(tmp, 'm'), { geometry: 'meshopt', budget: 'none' });
  };
  const [, , b, s] = await Promise.all([buildViewer(viewer), fixtures(), launchChromium(), startServer({ '/viewer/': viewer, '/m/': path.join(tmp, 'm') })]);
  browser = b;
  server = s;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A page with one 3D viewer (`attrs` added), the stub installed; waits for the 3D view's load and the AR check. */
async function open(attrs: string, stub: Stub): Promise<{ page: Page; url: string }> {
  const p = `/ar-${++pageNo}.html`;
  const probe = `<style>xoay-viewer{width:240px}</style><script>window.__ev=[];for(const t of ['load','error'])document.addEventListener(t,(e)=>{if(e.target&&e.target.tagName==='XOAY-VIEWER')__ev.push({type:t,message:e.detail&&e.detail.message})},true);</script>`;
  server.pages.set(p, viewerPage(`<xoay-viewer id="v" model="/m/model.glb" loading="eager" alt="${ALT.replace('&', '&amp;')}" ${attrs}></xoay-viewer>`, probe));
  const page = await browser.desktop.newPage();
  await page.addInitScript(stubScript(stub));
  await page.goto(server.origin + p);
  await page.waitForFunction(() => (window as unknown as { __ev: { type: string }[] }).__ev.some((e) => e.type === 'load'), undefined, { timeout: 60_000 });
  // With `ar`, the AR module loads with the view and asks the browser: wait for it, then give the answer a moment.
  if (/\bar\b/.test(attrs))
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /\/chunks\/ar-[^/]*\.js$/.test(e.name)), undefined, {
      timeout: 30_000,
    });
  await page.waitForTimeout(300);
  return { page, url: server.origin + p };
}

const arButton = (page: Page) =>
  page.evaluate(() => {
    const b = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector<HTMLButtonElement>('button.xoay-ar');
    return b ? { mode: b.dataset.mode, label: b.getAttribute('aria-label'), visible: b.getBoundingClientRect().width > 0 } : null;
  });

const click = (page: Page) =>
  page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector<HTMLButtonElement>('button.xoay-ar')!.click());

describe.skipIf(!hasChromium)(`AR button ${chromiumReason}`, () => {
  it('none when the browser supports no mode, or without `ar` (and then ar.ts is not loaded)', async () => {
    const { page } = await open('ar ios-src="/m/model.usdz"', { xr: false });
    expect(await arButton(page)).toBeNull();
    await page.close();
    const noXr = await open('ar', {});
    expect(await arButton(noXr.page)).toBeNull();
    await noXr.page.close();
    const without = await open('', { xr: true, ua: ANDROID_UA, quickLook: true });
    expect(await arButton(without.page)).toBeNull();
    const scripts = await without.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(scripts.some((s) => /\/chunks\/ar-/.test(s))).toBe(false);
    await without.page.close();
  }, 120_000);

  it('WebXR immersive-ar: the button asks for a session with hit testing; a refused one is an error event', async () => {
    const { page } = await open('ar', { xr: true, ua: ANDROID_UA });
    expect(await arButton(page)).toEqual({ mode: 'webxr', label: `View ${ALT} in your room (augmented reality)`, visible: true });
    await click(page);
    await page.waitForFunction(() => (window as unknown as { __ev: { type: string }[] }).__ev.some((e) => e.type === 'error'), undefined, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { __xr: unknown[] }).__xr)).toEqual([
      { mode: 'immersive-ar', init: { requiredFeatures: ['hit-test'], optionalFeatures: ['dom-overlay'] } },
    ]);
    const ev = await page.evaluate(() => (window as unknown as { __ev: { type: string; message: string }[] }).__ev.find((e) => e.type === 'error'));
    expect(ev!.message).toMatch(/AR could not start \(no AR device in this test\)/);
    // The overlay made for the session is gone again.
    expect(await page.evaluate(() => document.body.children.length)).toBe(1);
    await page.close();
  }, 120_000);

  it('speaks the page language: Vietnamese words on a lang="vi" page (or the embedder\'s), in the corner the hint leaves free', async () => {
    const { page } = await open('ar lang="vi"', { xr: false, ua: ANDROID_UA });
    expect(await arButton(page)).toEqual({ mode: 'scene-viewer', label: `Xem ${ALT} trong phòng của bạn (thực tế tăng cường)`, visible: true });
    const place = await page.evaluate(() => {
      const v = document.querySelector('xoay-viewer')!;
      const b = v.shadowRoot!.querySelector<HTMLButtonElement>('button.xoay-ar')!.getBoundingClientRect();
      const box = v.getBoundingClientRect();
      return { text: v.shadowRoot!.querySelector('button.xoay-ar')!.textContent, right: box.right - b.right, bottom: box.bottom - b.bottom };
    });
    expect(place).toEqual({ text: 'Xem trong phòng của bạn', right: 8, bottom: 8 });
    await page.close();
    const own = await open(`ar strings='{"arButton":"Đặt vào phòng"}'`, { xr: false, ua: ANDROID_UA });
    expect(await own.page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('button.xoay-ar')!.textContent)).toBe(
      'Đặt vào phòng',
    );
    await own.page.close();
  }, 120_000);

  it('Android without WebXR: Scene Viewer, with the exact intent URL', async () => {
    const { page, url } = await open('ar', { xr: false, ua: ANDROID_UA });
    expect(await arButton(page)).toMatchObject({ mode: 'scene-viewer', visible: true });
    await click(page);
    const links = await page.evaluate(() => (window as unknown as { __links: unknown[] }).__links);
    const glb = `${server.origin}/m/model.glb`;
    expect(links).toEqual([
      {
        href: `intent://arvr.google.com/scene-viewer/1.0?file=${encodeURIComponent(glb)}&mode=ar_preferred&title=${encodeURIComponent(ALT)}#Intent;scheme=https;package=com.google.ar.core;action=android.intent.action.VIEW;S.browser_fallback_url=${encodeURIComponent(url)};end;`,
        rel: '',
        firstChild: null,
      },
    ]);
    await page.close();
  }, 120_000);

  it('iOS Safari: Quick Look with ios-src (an <a rel="ar"> with an image), none without a USDZ', async () => {
    const { page } = await open('ar ios-src="/m/model.usdz"', { ua: IOS_UA, quickLook: true });
    expect(await arButton(page)).toMatchObject({ mode: 'quick-look', visible: true });
    await click(page);
    expect(await page.evaluate(() => (window as unknown as { __links: unknown[] }).__links)).toEqual([
      { href: `${server.origin}/m/model.usdz`, rel: 'ar', firstChild: 'IMG' },
    ]);
    await page.close();
    const none = await open('ar', { ua: IOS_UA, quickLook: true });
    expect(await arButton(none.page)).toBeNull();
    await none.page.close();
  }, 120_000);

  it('ar-modes: its order wins, and a mode left out is not offered', async () => {
    const first = await open('ar ar-modes="scene-viewer webxr"', { xr: true, ua: ANDROID_UA });
    expect(await arButton(first.page)).toMatchObject({ mode: 'scene-viewer' });
    await first.page.close();
    const only = await open('ar ar-modes="quick-look" ios-src="/m/model.usdz"', { xr: true, ua: ANDROID_UA });
    expect(await arButton(only.page)).toBeNull();
    expect(
      await only.page.evaluate(() => (document.querySelector('xoay-viewer') as HTMLElement & { arModes: string; iosSrc: string; ar: boolean }).arModes),
    ).toBe('quick-look');
    await only.page.close();
  }, 120_000);
});
