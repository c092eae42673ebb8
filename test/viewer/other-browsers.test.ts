/**
 * `<xoay-viewer>` smoke tests in Firefox ESR (puppeteer-core) and WebKitGTK (MiniBrowser through WebKitWebDriver),
 * each on its own Xvfb: a spin fires `load`, a real pointer drag turns it and it paints; a KTX2 + meshopt GLB fires
 * `load` in 3D and draws its textured model (non-blank, with colour). No request fails, and nothing is fetched from
 * any host but 127.0.0.1. Reported skipped, with the reason, when a browser is missing.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../pipeline/model/model.js';
import { spin } from '../../pipeline/spin/spin.js';
import { startServer, viewerPage, type StaticServer } from '../helpers/browser.js';
import { dataSet, ROOT } from '../helpers/data.js';
import { boxGlb } from '../helpers/models.js';
import {
  firefoxReason,
  hasFirefox,
  hasWebKit,
  launchFirefox,
  pixelStats,
  startWebKit,
  webkitReason,
  type Firefox,
  type WebDriverSession,
  type WebKit,
} from '../helpers/other-browsers.js';

const models = dataSet('models');
let tmp = '';
let server: StaticServer | undefined;
let fixtures: Promise<void> | undefined;

/**
 * Made once, while the first browser starts: the viewer as built, the committed CC0 sample as a spin (every format,
 * one small width: enough for a smoke test, and quick to encode) and a KTX2 + meshopt GLB (the real stool with
 * textures capped at 256 px, or a small red box when the shared data is absent), served from 127.0.0.1.
 */
function prepare(): Promise<void> {
  fixtures ??= (async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-other-browsers-'));
    // A copy of the built viewer, taken at once: a rebuild elsewhere (another test run's global setup empties
    // dist/viewer first) cannot pull chunks from under a page that is loading.
    await cp(path.join(ROOT, 'dist/viewer'), path.join(tmp, 'viewer'), { recursive: true });
    if (!existsSync(path.join(tmp, 'viewer/xoay-viewer.js'))) throw new Error('dist/viewer/xoay-viewer.js is missing: npm run build');
    const glb = models.present ? path.join(models.dir, 'painted_wooden_stool_1k.glb') : await boxGlb(path.join(tmp, 'box.glb'));
    await spin(path.join(ROOT, 'samples/stool-turntable'), path.join(tmp, 'spin'), { widths: [256] });
    await model(glb, path.join(tmp, 'model'), { maxTextureSize: 256 });
    server = await startServer({ '/viewer/': path.join(tmp, 'viewer'), '/spin/': path.join(tmp, 'spin'), '/model/': path.join(tmp, 'model') });
  })();
  return fixtures;
}
afterAll(async () => {
  await fixtures?.catch(() => {}); // still being written after a hook timeout: let it finish before removing it
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * One viewer, and a classic script right after it that records its `load` / `error` events (and uncaught page errors)
 * before the element module runs, so no event is missed.
 */
function page(name: string, attrs: string): string {
  const p = `/${name}.html`;
  server!.pages.set(
    p,
    viewerPage(`<xoay-viewer ${attrs}></xoay-viewer>
<script>
window.__xoayEvents = []; window.__xoayErrors = [];
addEventListener('error', (e) => __xoayErrors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => __xoayErrors.push(String(e.reason)));
const el = document.querySelector('xoay-viewer');
el.addEventListener('load', (e) => __xoayEvents.push('load ' + e.detail.mode));
el.addEventListener('error', (e) => __xoayEvents.push('error ' + (e.detail && e.detail.message)));
</script>`),
  );
  return server!.origin + p;
}

type Probe = { __xoayEvents: string[]; __xoayErrors: string[] };

/** In the page: the recorded events once there is one (or after 30 s), the page errors, and what the element shows. */
function waitForEvents(): Promise<{ events: string[]; errors: string[]; state: string }> {
  const w = window as unknown as Probe;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const check = () => {
      if (!w.__xoayEvents.length && Date.now() - t0 < 30_000) return void setTimeout(check, 50);
      const root = document.querySelector('xoay-viewer')?.shadowRoot;
      const view = root?.querySelector('.xoay-spin, .xoay-3d');
      const state = `after ${Date.now() - t0} ms: ${document.visibilityState}, ${view ? `.${view.className.replace(/ /g, '.')}` : 'no viewer'}, messages: [${[...(root?.querySelectorAll('[role=alert]') ?? [])].map((m) => m.textContent).join(' | ')}]`;
      resolve({ events: w.__xoayEvents.slice(), errors: w.__xoayErrors.slice(), state });
    };
    check();
  });
}

/** In the page: the element's box in viewport CSS pixels. */
function viewerRect(): { x: number; y: number; width: number; height: number } {
  const r = document.querySelector('xoay-viewer')!.getBoundingClientRect();
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}

/** In the page: the element's current frame. */
function viewerFrame(): number {
  return document.querySelector('xoay-viewer')!.frame;
}

/** In the page: resources fetched from anywhere but this origin (http/https only). */
function foreignResources(): string[] {
  return performance
    .getEntriesByType('resource')
    .map((e) => e.name)
    .filter((u) => /^https?:/.test(u) && !u.startsWith(location.origin + '/'));
}

/** In the page: two animation frames, so what was drawn is on screen. */
function twoFrames(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/**
 * A screenshot of the element shows the product: not one flat colour, and with colour in it (the stool's brown paint
 * wear; the fallback box is red), which an untextured model (white and grey shading) does not have.
 */
async function expectDrawn(png: Uint8Array): Promise<void> {
  const px = await pixelStats(png);
  expect(px.stdev, 'not blank').toBeGreaterThan(8);
  expect(px.colourful, 'has colour (textures decoded)').toBeGreaterThan(0.005);
}

/** Requests since `from`, for failure messages. */
const requested = (from: number) =>
  server!.requests
    .slice(from)
    .map((r) => `${r.status} ${r.url}`)
    .join(', ');

/** Requests since `from` that failed (a favicon aside), e.g. a decoder fetched from the wrong folder. */
const failed = (from: number) =>
  server!.requests
    .slice(from)
    .filter((r) => r.status >= 400 && r.url !== '/favicon.ico')
    .map((r) => `${r.status} ${r.url}`);

/** Browser start-up and fixtures together; the hook's own limit (default 10 s under a bare config) is not enough. */
const START_MS = 240_000;

describe.skipIf(!hasFirefox)(`<xoay-viewer> in Firefox ESR ${firefoxReason}`, () => {
  let launching: Promise<Firefox> | undefined;
  let firefox: Firefox;
  beforeAll(async () => {
    launching = launchFirefox();
    [firefox] = await Promise.all([launching, prepare()]);
  }, START_MS);
  afterAll(async () => {
    // Also when the launch finishes only after a failure or a timeout here.
    await launching?.then(
      (f) => f.close(),
      () => {},
    );
  });

  const open = async (p: Page, url: string) => {
    await p.goto(url);
    return p.evaluate(waitForEvents);
  };

  it('spin: fires load, a mouse drag turns it, it paints, nothing fetched off 127.0.0.1', async () => {
    const p = await firefox.newPage();
    const from = server!.requests.length;
    const { events, errors, state } = await open(p, page('ff-spin', 'src="/spin/spin.json" alt="Painted wooden stool"'));
    expect(events, `${state}; requests: ${requested(from)}`).toEqual(['load spin']);
    expect(errors).toEqual([]);
    const before = await p.evaluate(viewerFrame);
    const r = await p.evaluate(viewerRect);
    const y = r.y + r.height / 2;
    await p.mouse.move(r.x + r.width * 0.3, y);
    await p.mouse.down();
    await p.mouse.move(r.x + r.width * 0.6, y, { steps: 10 });
    await p.mouse.up();
    expect(await p.evaluate(viewerFrame)).not.toBe(before);
    expect(failed(from)).toEqual([]);
    expect(await p.evaluate(foreignResources)).toEqual([]);
    await p.evaluate(twoFrames);
    await expectDrawn(await (await p.$('xoay-viewer'))!.screenshot());
    expect(firefox.errors).toEqual([]);
    await p.close();
  });

  it('3D: a KTX2 + meshopt GLB fires load and draws its textured model (WebGL2 on llvmpipe)', async () => {
    const p = await firefox.newPage();
    const from = server!.requests.length;
    const { events, errors, state } = await open(p, page('ff-3d', 'model="/model/model.glb" alt="Painted wooden stool"'));
    expect(events, `${state}; requests: ${requested(from)}`).toEqual(['load 3d']);
    expect(errors).toEqual([]);
    expect(failed(from)).toEqual([]);
    expect(await p.evaluate(foreignResources)).toEqual([]);
    await p.evaluate(twoFrames);
    await expectDrawn(await (await p.$('xoay-viewer'))!.screenshot());
    expect(firefox.errors).toEqual([]);
    await p.close();
  });
});

describe.skipIf(!hasWebKit)(`<xoay-viewer> in WebKitGTK (MiniBrowser) ${webkitReason}`, () => {
  let starting: Promise<WebKit> | undefined;
  let s: WebDriverSession;
  beforeAll(async () => {
    starting = startWebKit();
    const [webkit] = await Promise.all([starting, prepare()]);
    s = await webkit.newSession();
  }, START_MS);
  afterAll(async () => {
    await starting?.then(
      (w) => w.close(),
      () => {},
    );
  });

  const open = async (url: string) => {
    await s.navigate(url);
    return s.evaluate(waitForEvents);
  };

  it('spin: fires load, a W3C pointer-actions drag turns it, it paints, nothing fetched off 127.0.0.1', async () => {
    const from = server!.requests.length;
    const { events, errors, state } = await open(page('wk-spin', 'src="/spin/spin.json" alt="Painted wooden stool"'));
    expect(events, `${state}; requests: ${requested(from)}`).toEqual(['load spin']);
    expect(errors).toEqual([]);
    const before = await s.evaluate(viewerFrame);
    const r = await s.evaluate(viewerRect);
    const y = r.y + r.height / 2;
    await s.drag({ x: r.x + r.width * 0.3, y }, { x: r.x + r.width * 0.6, y }, 10);
    expect(await s.evaluate(viewerFrame)).not.toBe(before);
    expect(failed(from)).toEqual([]);
    expect(await s.evaluate(foreignResources)).toEqual([]);
    await s.evaluate(twoFrames);
    await expectDrawn(await s.screenshot(await s.findElement('xoay-viewer')));
  });

  it('3D: a KTX2 + meshopt GLB fires load and draws its textured model (WebGL2)', async () => {
    const from = server!.requests.length;
    const { events, errors, state } = await open(page('wk-3d', 'model="/model/model.glb" alt="Painted wooden stool"'));
    expect(events, `${state}; requests: ${requested(from)}`).toEqual(['load 3d']);
    expect(errors).toEqual([]);
    expect(failed(from)).toEqual([]);
    expect(await s.evaluate(foreignResources)).toEqual([]);
    await s.evaluate(twoFrames);
    await expectDrawn(await s.screenshot(await s.findElement('xoay-viewer')));
  });
});
