/**
 * React bindings (viewer/react): on the server they import and render nothing without touching browser globals. In
 * headless Chromium, apps bundled with Vite's JS API (react, react-dom, R3F, drei and three in the bundle; the element
 * served from dist/viewer): <XoayViewer> gets `onLoad`, `onFrameChange` and `onError` and its `frame` prop turns the
 * spin; <ProductModel> shows a meshopt + KTX2 GLB and a Draco GLB from `model()` in an R3F <Canvas>.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createElement, type ReactElement } from 'react';
// @ts-expect-error -- react-dom has no types of its own and @types/react-dom is not installed; typed below.
import { renderToString as untypedRenderToString } from 'react-dom/server';
import { build, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../pipeline/model/model.js';
import { spin } from '../../pipeline/spin/spin.js';
import { stringsOf } from '../../viewer/core/i18n.js';
import { ROOT } from '../helpers/data.js';
import { boxGlb, twoColourPng } from '../helpers/models.js';
import { chromiumReason, hasChromium, launchChromium, startServer, type Browser, type StaticServer } from '../helpers/browser.js';

const renderToString: (node: ReactElement) => string = untypedRenderToString;

/** Browser globals made to record any read while `fn` runs (they do not exist in Node). */
async function watchingGlobals<T>(fn: () => Promise<T> | T): Promise<{ result: T; touched: string[] }> {
  const names = ['window', 'document', 'customElements', 'HTMLElement', 'self'] as const;
  const touched: string[] = [];
  for (const name of names) {
    expect(name in globalThis, `${name} is not defined in Node`).toBe(false);
    Object.defineProperty(globalThis, name, { configurable: true, get: () => void touched.push(name) });
  }
  try {
    return { result: await fn(), touched };
  } finally {
    for (const name of names) delete (globalThis as Record<string, unknown>)[name];
  }
}

describe('React bindings on the server', () => {
  it('XoayViewer: importing and server rendering touch no browser global and render nothing', async () => {
    const { result, touched } = await watchingGlobals(async () => {
      const { XoayViewer } = await import('../../viewer/react/XoayViewer.js');
      return renderToString(createElement(XoayViewer, { src: '/spin/spin.json', model: '/m.glb', autoplay: true, alt: 'Stool', frame: 3, onLoad: () => {} }));
    });
    expect(result).toBe('');
    expect(touched).toEqual([]);
  });

  it('index: ProductModel and its preload import on the server (preload does nothing there)', async () => {
    const mod = await import('../../viewer/react/index.js');
    expect(typeof mod.XoayViewer).toBe('object'); // a forwardRef component
    expect(typeof mod.ProductModel).toBe('object');
    expect(mod.ProductModel.preload).toBe(mod.preloadProductModel);
    expect(() => mod.preloadProductModel('/model.glb', '/decoders/')).not.toThrow();
    expect(renderToString(createElement(mod.XoayViewer, { src: '/spin/spin.json' }))).toBe('');
  });
});

/** The test app: three XoayViewers in StrictMode, driven from the test through `window.__t`. */
const APP = (xoayViewer: string) => `
import { StrictMode, createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { XoayViewer } from ${JSON.stringify(xoayViewer)};
const t = (window.__t = { events: [], els: {} });
const log = (id, type) => (detail) => t.events.push({ id, type, detail });
const ref = (id) => (el) => { if (el) t.els[id] = el; };
function App() {
  const [frame, setFrame] = useState(5);
  const [lateSrc, setLateSrc] = useState(undefined);
  t.setFrame = setFrame;
  t.setLateSrc = setLateSrc;
  const on = (id) => ({ ref: ref(id), onLoad: log(id, 'load'), onFrameChange: log(id, 'frame'), onError: log(id, 'error') });
  return h('main', null,
    h(XoayViewer, { ...on('a'), src: '/spin/spin.json', loading: 'eager', alt: 'Painted wooden stool', frame, className: 'product', style: { width: '320px' }, lang: 'vi', strings: { hint: 'Kéo ghế' } }),
    h(XoayViewer, { ...on('late'), src: lateSrc, loading: 'eager', style: { width: '320px' }, strings: { hint: '' } }),
    h(XoayViewer, { ...on('missing'), src: '/spin/missing.json', loading: 'eager', style: { width: '320px' } }));
}
createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
`;

/** The R3F app: ProductModel in two Canvases (one preloaded); each reports what it shows, or its error, in `window.__t`. */
const R3F_APP = (productModel: string) => `
import { Component, Suspense, createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { Canvas } from '@react-three/fiber';
import { Box3, Vector3 } from 'three';
import { ProductModel } from ${JSON.stringify(productModel)};
const t = (window.__t = { models: {} });
ProductModel.preload('/m/ktx2/model.glb', '/viewer/decoders');
class Catch extends Component {
  constructor(props) { super(props); this.state = { failed: false }; }
  static getDerivedStateFromError() { return { failed: true }; }
  componentDidCatch(e) { t.models[this.props.id] = { error: e.message }; }
  render() { return this.state.failed ? null : this.props.children; }
}
const report = (id) => (group) => {
  if (!group) return;
  let meshes = 0, triangles = 0, ktx2 = 0;
  group.traverse((o) => {
    if (!o.isMesh) return;
    meshes++;
    triangles += (o.geometry.index ? o.geometry.index.count : o.geometry.attributes.position.count) / 3;
    if (o.material.map && o.material.map.isCompressedTexture) ktx2++;
  });
  group.updateWorldMatrix(true, true);
  const size = new Box3().setFromObject(group).getSize(new Vector3()).toArray().map((v) => Math.round(v * 100) / 100);
  t.models[id] = { meshes, triangles, ktx2, size, y: group.position.y, inScene: group.children[0] && group.children[0].type };
};
const view = (id, props) => h('div', { style: { width: '200px', height: '200px' } },
  h(Canvas, null, h(Catch, { id }, h(Suspense, { fallback: null }, h(ProductModel, { ...props, ref: report(id) })))));
createRoot(document.getElementById('root')).render(h('div', null,
  view('ktx2', { url: '/m/ktx2/model.glb', decoderPath: '/viewer/decoders', position: [0, -0.5, 0] }),
  view('draco', { url: '/m/draco/model.glb', decoderPath: '/viewer/decoders/' })));
`;

/**
 * Bundles both apps with Vite's JS API (not vite.config.ts, which builds dist/viewer); the element's import becomes the
 * built /viewer/xoay-viewer.js.
 */
async function bundleApps(outDir: string): Promise<void> {
  const apps: Record<string, string> = {
    '\0xoay-react-app': APP(path.join(ROOT, 'viewer/react/XoayViewer.tsx')),
    '\0xoay-r3f-app': R3F_APP(path.join(ROOT, 'viewer/react/ProductModel.tsx')),
  };
  const plugin: Plugin = {
    name: 'xoay-react-test-apps',
    enforce: 'pre',
    resolveId(id) {
      if (`\0${id}` in apps) return `\0${id}`;
      if (id.endsWith('/element/xoay-viewer.js')) return { id: '/viewer/xoay-viewer.js', external: 'absolute' };
      return null;
    },
    load(id) {
      return apps[id] ?? null;
    },
  };
  await build({
    configFile: false,
    root: ROOT,
    mode: 'production',
    logLevel: 'warn',
    plugins: [plugin],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      modulePreload: false,
      copyPublicDir: false,
      // bundlerTimings: no "plugins took N s" note (the machine's load, not a finding).
      rollupOptions: {
        input: { app: 'xoay-react-app', r3f: 'xoay-r3f-app' },
        checks: { bundlerTimings: false },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name].js' },
      },
    },
  });
}

let tmp: string;
let server: StaticServer;
let browser: Browser;

const htmlPage = (script: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><script type="module" src="/app/${script}"></script></head><body><div id="root"></div></body></html>`;

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-react-'));
  const spinFixture = async () => {
    // Twelve frames of the committed sample (every third), two widths: a quick spin.
    const frames = path.join(tmp, 'frames');
    await mkdir(frames);
    for (let i = 1; i <= 34; i += 3) {
      const name = `stool_${String(i).padStart(3, '0')}.jpg`;
      await copyFile(path.join(ROOT, 'samples/stool-turntable', name), path.join(frames, name));
    }
    await spin(frames, path.join(tmp, 'spin'), { widths: [256, 512], formats: ['webp'] });
  };
  const modelFixtures = async () => {
    const textured = await boxGlb(path.join(tmp, 'textured.glb'), { texture: await twoColourPng(16) });
    await model(textured, path.join(tmp, 'm/ktx2'), { geometry: 'meshopt', textures: 'ktx2', budget: 'none' });
    await model(await boxGlb(path.join(tmp, 'box.glb')), path.join(tmp, 'm/draco'), { geometry: 'draco', budget: 'none' });
  };
  const [, , , b] = await Promise.all([spinFixture(), modelFixtures(), bundleApps(path.join(tmp, 'app')), launchChromium()]);
  browser = b;
  server = await startServer({
    '/viewer/': path.join(ROOT, 'dist/viewer'),
    '/spin/': path.join(tmp, 'spin'),
    '/m/': path.join(tmp, 'm'),
    '/app/': path.join(tmp, 'app'),
  });
  server.pages.set('/', htmlPage('app.js'));
  server.pages.set('/r3f.html', htmlPage('r3f.js'));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Logged {
  id: string;
  type: 'load' | 'frame' | 'error';
  detail: { mode?: string; row?: number; frame?: number; message?: string };
}
const events = (page: Page) => page.evaluate(() => (window as unknown as { __t: { events: Logged[] } }).__t.events);
const until = (page: Page, fn: string) => page.waitForFunction(fn, undefined, { timeout: 20_000 });

describe.skipIf(!hasChromium)(`XoayViewer in Chromium ${chromiumReason}`, () => {
  it('onLoad, the frame prop (before and after load) turning the spin with onFrameChange, a src given later, onError', async () => {
    const page = await browser.desktop.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.origin}/`);

    await until(page, `__t.events.some((e) => e.id === 'a' && e.type === 'load')`);
    const a = await page.evaluate(() => {
      const el = (window as unknown as { __t: { els: Record<string, HTMLElement & { frame: number; frames: number }> } }).__t.els.a!;
      return {
        tag: el.localName,
        defined: !!customElements.get('xoay-viewer'),
        src: el.getAttribute('src'),
        alt: el.getAttribute('alt'),
        autoplay: el.hasAttribute('autoplay'),
        className: el.className,
        width: el.style.width,
        frames: el.frames,
        lang: el.getAttribute('lang'),
        strings: (el as unknown as { strings: Record<string, string> }).strings,
        hint: [...(el.shadowRoot?.querySelectorAll('.xoay-hint') ?? [])].find((e) => e.localName !== 'style')?.lastChild?.textContent,
      };
    });
    expect(a).toEqual({
      tag: 'xoay-viewer',
      defined: true,
      src: '/spin/spin.json',
      alt: 'Painted wooden stool',
      autoplay: false,
      className: 'product',
      width: '320px',
      frames: 12,
      // lang and strings props: Vietnamese words (the page is English), the hint replaced, shown in the view.
      lang: 'vi',
      strings: { ...stringsOf('vi'), hint: 'Kéo ghế' },
      hint: 'Kéo ghế',
    });
    expect((await events(page)).find((e) => e.id === 'a' && e.type === 'load')!.detail).toEqual({ mode: 'spin' });
    // frame={5} was given before the spin had loaded: it is applied once it has.
    await until(page, `__t.els.a.frame === 5`);
    await until(page, `__t.events.some((e) => e.id === 'a' && e.type === 'frame' && e.detail.frame === 5)`);

    await page.evaluate(() => (window as unknown as { __t: { setFrame(f: number): void } }).__t.setFrame(9));
    await until(page, `__t.els.a.frame === 9`);
    await until(page, `__t.events.some((e) => e.id === 'a' && e.type === 'frame' && e.detail.frame === 9)`);
    expect((await events(page)).filter((e) => e.id === 'a' && e.type === 'frame').at(-1)!.detail).toEqual({ row: 0, frame: 9 });

    // A viewer rendered without a source starts when one is given.
    await page.evaluate(() => (window as unknown as { __t: { setLateSrc(s: string): void } }).__t.setLateSrc('/spin/spin.json'));
    await until(page, `__t.events.some((e) => e.id === 'late' && e.type === 'load')`);
    expect(await page.evaluate(() => (window as unknown as { __t: { els: Record<string, HTMLElement> } }).__t.els.late!.getAttribute('src'))).toBe(
      '/spin/spin.json',
    );
    // Its hint turned off by empty words; the first viewer's is there.
    const hints = await page.evaluate(() =>
      ['a', 'late'].map(
        (id) => (window as unknown as { __t: { els: Record<string, HTMLElement> } }).__t.els[id]!.shadowRoot!.querySelectorAll('div.xoay-hint').length,
      ),
    );
    expect(hints).toEqual([1, 0]);

    await until(page, `__t.events.some((e) => e.id === 'missing' && e.type === 'error')`);
    const missing = (await events(page)).filter((e) => e.id === 'missing');
    expect(missing.map((e) => e.type)).toEqual(['error']);
    expect(missing[0]!.detail.message).toMatch(/missing\.json/);

    // One element per viewer (StrictMode's double effects leave no extra), nothing off 127.0.0.1, no page errors.
    expect(await page.locator('xoay-viewer').count()).toBe(3);
    expect(browser.foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('ProductModel: a meshopt + KTX2 GLB (preloaded) and a Draco GLB in R3F, with the group props applied', async () => {
    const page = await browser.desktop.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const before = server.requests.length;
    await page.goto(`${server.origin}/r3f.html`);
    await until(page, `__t.models.ktx2 && __t.models.draco`);
    const models = await page.evaluate(() => (window as unknown as { __t: { models: unknown } }).__t.models);
    // The box (6 triangles, 1 m across) with its KTX2 texture, moved down by the group's position.
    expect(models).toEqual({
      ktx2: { meshes: 1, triangles: 6, ktx2: 1, size: [1, 1, 1], y: -0.5, inScene: 'Group' },
      draco: { meshes: 1, triangles: 6, ktx2: 0, size: [1, 1, 1], y: 0, inScene: 'Group' },
    });
    const asked = server.requests.slice(before).map((r) => `${r.status} ${r.url}`);
    // Preloaded, then shown: fetched once. The decoders come from decoderPath.
    expect(asked.filter((u) => u.endsWith('/m/ktx2/model.glb'))).toEqual(['200 /m/ktx2/model.glb']);
    expect(asked).toEqual(expect.arrayContaining(['200 /viewer/decoders/basis_transcoder.wasm', '200 /viewer/decoders/draco_decoder.wasm']));
    expect(asked.filter((u) => !u.startsWith('200 ') && !u.endsWith('/favicon.ico'))).toEqual([]);
    expect(browser.foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
