import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIO } from '../../pipeline/model/codecs.js';
import { model } from '../../pipeline/model/model.js';
import { spin } from '../../pipeline/spin/spin.js';
import { chromiumReason, hasChromium, launchChromium, startServer, viewerPage, type Browser, type StaticServer, buildViewer } from '../helpers/browser.js';
import { ROOT } from '../helpers/data.js';
import { boxGlb, twoColourPng } from '../helpers/models.js';

let tmp = '';
let server: StaticServer;
let browser: Browser;
/** dist/viewer/chunks files holding three.js (there must be one). */
const threeChunks: string[] = [];
let pageNo = 0;

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-model3d-'));
  // The viewer is built into this test's own folder (same config and sources as dist/viewer): dist/viewer is rebuilt
  // by any other test run on the machine, and chunk names change under a page that is loading.
  const viewer = path.join(tmp, 'viewer');
  const build = buildViewer(viewer);
  const fixtures = async () => {
    const box = await boxGlb(path.join(tmp, 'box.glb'));
    await model(box, path.join(tmp, 'draco'), { geometry: 'draco', budget: 'none' });
    await model(box, path.join(tmp, 'meshopt'), { geometry: 'meshopt', budget: 'none' });
    // A textured box with a white base colour, so the KTX2 texture's own colours reach the screen.
    const textured = await boxGlb(path.join(tmp, 'textured.glb'), { texture: await twoColourPng() });
    const io = await createIO();
    const doc = await io.read(textured);
    for (const m of doc.getRoot().listMaterials()) m.setBaseColorFactor([1, 1, 1, 1]);
    await io.write(textured, doc);
    await model(textured, path.join(tmp, 'ktx2'), { geometry: 'none', textures: 'ktx2', budget: 'none' });
    // Twelve frames of the committed turntable sample: a small, quick spin for the fallback.
    const frames = path.join(tmp, 'frames');
    await mkdir(frames);
    for (let i = 1; i <= 34; i += 3) {
      const name = `stool_${String(i).padStart(3, '0')}.jpg`;
      await copyFile(path.join(ROOT, 'samples/stool-turntable', name), path.join(frames, name));
    }
    await spin(frames, path.join(tmp, 'spin'), { widths: [256, 512], formats: ['jpeg'] });
  };
  const [, , b, s] = await Promise.all([build, fixtures(), launchChromium(), startServer({ '/viewer/': viewer, '/m/': tmp })]);
  const chunksDir = path.join(viewer, 'chunks');
  for (const f of await readdir(chunksDir)) {
    if (f.endsWith('.js') && (await readFile(path.join(chunksDir, f), 'utf8')).includes('WebGLRenderer')) threeChunks.push(f);
  }
  browser = b;
  server = s;
  const header = Buffer.alloc(20);
  header.write('glTF', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(4096 + 20, 8);
  server.pages.set('/m/garbage.glb', randomBytes(4096));
  server.pages.set('/m/corrupt.glb', Buffer.concat([header, randomBytes(4096)]));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Loads a page with `body`; a capture listener records every element's `load` / `error` (they do not bubble). */
async function open(body: string, ctx = browser.desktop): Promise<{ page: Page; from: number }> {
  const p = `/page-${++pageNo}.html`;
  // Small viewers: SwiftShader draws every pixel on the CPU.
  const probe = `<style>xoay-viewer{width:320px}</style><script>window.__ev=[];window.__pageErrors=[];
addEventListener('unhandledrejection',(e)=>__pageErrors.push(String(e.reason)));
for(const t of ['load','error'])document.addEventListener(t,(e)=>{if(e.target&&e.target.tagName==='XOAY-VIEWER')__ev.push({id:e.target.id,type:t,mode:e.detail&&e.detail.mode,message:e.detail&&e.detail.message})},true);</script>`;
  server.pages.set(p, viewerPage(body, probe));
  const from = server.requests.length;
  const page = await ctx.newPage();
  await page.goto(server.origin + p);
  return { page, from };
}

type Ev = { id: string; type: string; mode?: string; message?: string };
const events = (page: Page) => page.evaluate(() => (window as unknown as { __ev: Ev[] }).__ev);
// Polled on a timer, not on animation frames (a page busy drawing on the CPU starves rAF polling); generous timeouts
// for a loaded machine: SwiftShader draws on the same two cores as everything else.
const WAIT = { polling: 100, timeout: 60_000 };
const waitEvents = (page: Page, n: number) => page.waitForFunction((k) => (window as unknown as { __ev: unknown[] }).__ev.length >= k, n, WAIT);
/** Lets the page run `n` animation frames. */
const frames = (page: Page, n = 10) =>
  page.evaluate(
    (k) =>
      new Promise<void>((resolve) => {
        let i = 0;
        const f = () => (++i >= k ? resolve() : requestAnimationFrame(f));
        requestAnimationFrame(f);
      }),
    n,
  );
/** The element's core viewer's render count and whether a frame is scheduled. */
const state = (page: Page, sel = 'xoay-viewer') =>
  page.evaluate((s) => {
    const v = (document.querySelector(s) as unknown as { viewer: { renders?: number; animating?: boolean } | null }).viewer;
    return { renders: v?.renders ?? -1, animating: !!v?.animating };
  }, sel);

/** Pixel spread of a screenshot of the element, and how many pixels are clearly green / blue. */
async function shot(page: Page, sel = 'xoay-viewer'): Promise<{ spread: number; green: number; blue: number; red: number }> {
  const png = await page.locator(sel).screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const stats = await sharp(png).removeAlpha().stats();
  let green = 0,
    blue = 0,
    red = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const r = data[i]!,
      g = data[i + 1]!,
      b = data[i + 2]!;
    if (g > r + 50 && g > b + 30) green++;
    if (b > r + 50 && b > g + 50) blue++;
    if (r > g + 60 && r > b + 60) red++;
  }
  return { spread: Math.max(...stats.channels.map((c) => c.stdev)), green, blue, red };
}

const requested = (from: number) => server.requests.slice(from).map((r) => r.url);

describe.skipIf(!hasChromium)(`<xoay-viewer> in 3D (Chromium) ${chromiumReason}`, () => {
  it('the build puts three.js in its own chunk', () => {
    expect(threeChunks.length).toBe(1);
    expect(threeChunks[0]).toMatch(/^three-scene-/);
  });

  for (const kind of ['draco', 'meshopt', 'ktx2'] as const) {
    it(`a ${kind} GLB fires load and draws the model`, async () => {
      // No decoder-path: the default is the decoders/ folder of the built viewer.
      const { page, from } = await open(`<xoay-viewer model="/m/${kind}/model.glb" loading="eager" alt="Lacquer box"></xoay-viewer>`);
      try {
        await waitEvents(page, 1);
        expect(await events(page)).toEqual([{ id: '', type: 'load', mode: '3d', message: undefined }]);
        const px = await shot(page);
        expect(px.spread).toBeGreaterThan(10);
        if (kind === 'ktx2') {
          // The texture's own colours: the KTX2 file was transcoded and applied.
          expect(px.green + px.blue).toBeGreaterThan(500);
          expect(requested(from)).toEqual(expect.arrayContaining(['/viewer/decoders/basis_transcoder.js', '/viewer/decoders/basis_transcoder.wasm']));
        } else {
          expect(px.red).toBeGreaterThan(500);
        }
        if (kind === 'draco')
          expect(requested(from)).toEqual(expect.arrayContaining(['/viewer/decoders/draco_wasm_wrapper.js', '/viewer/decoders/draco_decoder.wasm']));
        if (kind === 'meshopt') expect(requested(from).filter((u) => u.includes('/decoders/'))).toEqual([]);
        expect(requested(from).some((u) => u.includes('/chunks/three-scene-'))).toBe(true);
        expect(server.requests.slice(from).filter((r) => r.status !== 200)).toEqual([]);
        // Accessible: a focusable image with the alt as its name.
        const a11y = await page.evaluate(() => {
          const b = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-3d')!;
          return [b.getAttribute('role'), b.getAttribute('aria-label'), b.getAttribute('aria-roledescription'), b.getAttribute('tabindex')];
        });
        expect(a11y).toEqual(['img', 'Lacquer box', '3D model', '0']);
        expect(await page.evaluate(() => (window as unknown as { __pageErrors: string[] }).__pageErrors)).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }

  it('draws on demand only: still → no frames; a drag and the arrow keys draw, then it settles', async () => {
    const { page } = await open(`<xoay-viewer model="/m/meshopt/model.glb" loading="eager"></xoay-viewer>`);
    try {
      await waitEvents(page, 1);
      const still = await state(page);
      expect(still.renders).toBeGreaterThanOrEqual(1);
      await frames(page, 15);
      expect(await state(page)).toEqual({ renders: still.renders, animating: false });

      const before = await shot(page);
      const box = (await page.locator('xoay-viewer').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
      const dragged = await state(page);
      expect(dragged.renders).toBeGreaterThan(still.renders);
      // Damping runs out, and then no more frames are drawn.
      await page.waitForFunction(() => !(document.querySelector('xoay-viewer') as unknown as { viewer: { animating: boolean } }).viewer.animating, null, WAIT);
      const settled = await state(page);
      await frames(page, 15);
      expect(await state(page)).toEqual(settled);
      const after = await shot(page);
      expect(after.red).not.toBe(before.red); // the box turned

      await page.evaluate(() => (document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-3d') as HTMLElement).focus());
      await page.keyboard.press('ArrowRight');
      await frames(page, 2);
      expect((await state(page)).renders).toBeGreaterThan(settled.renders);

      // The WebGL context lost after load: a message in place and `error`.
      await page.evaluate(() =>
        (document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('canvas') as HTMLCanvasElement)
          .getContext('webgl2')!
          .getExtension('WEBGL_lose_context')!
          .loseContext(),
      );
      await waitEvents(page, 2);
      const lost = `xoay-viewer: ${server.origin}/m/meshopt/model.glb: the WebGL context was lost`;
      expect((await events(page))[1]).toEqual({ id: '', type: 'error', message: lost });
      // In place, a sentence in the page's language; the details are in the event.
      expect(await page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-msg[role="alert"]')?.textContent)).toBe(
        'The 3D model could not be shown.',
      );
    } finally {
      await page.close();
    }
  });

  it('lowers its resolution while moving when frames are slow, and draws the still view at full resolution', async () => {
    const { page } = await open(`<xoay-viewer model="/m/meshopt/model.glb" loading="eager" style="width:800px;height:600px"></xoay-viewer>`);
    try {
      await waitEvents(page, 1);
      const canvasWidth = () => page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('canvas')!.width);
      const full = await canvasWidth();
      expect(full).toBe(800); // desktop: DPR 1
      // A slow device: the CPU throttled 8× (the renderer is SwiftShader, on the CPU), so frames take well over 40 ms.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 8 });
      await page.evaluate(() => {
        const w = window as unknown as { __widths: number[] };
        w.__widths = [];
        const c = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('canvas')!;
        const sample = () => {
          w.__widths.push(c.width);
          requestAnimationFrame(sample);
        };
        requestAnimationFrame(sample);
      });
      const box = (await page.locator('xoay-viewer').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      for (let i = 1; i <= 30; i++) await page.mouse.move(box.x + box.width / 2 + i * 12, box.y + box.height / 2);
      await page.mouse.up();
      await page.waitForFunction(() => !(document.querySelector('xoay-viewer') as unknown as { viewer: { animating: boolean } }).viewer.animating, null, WAIT);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      const widths = await page.evaluate(() => (window as unknown as { __widths: number[] }).__widths);
      expect(Math.min(...widths)).toBeLessThan(full);
      expect(Math.min(...widths)).toBeGreaterThanOrEqual(full / 2); // never below half the pixel ratio
      expect(await canvasWidth()).toBe(full); // at rest: sharp again
    } finally {
      await page.close();
    }
  });

  it('a spin alone never downloads three.js', async () => {
    const { page, from } = await open(`<xoay-viewer src="/m/spin/spin.json" loading="eager"></xoay-viewer>`);
    try {
      await waitEvents(page, 1);
      expect((await events(page)).map((e) => `${e.type} ${e.mode}`)).toEqual(['load spin']);
      const urls = requested(from);
      expect(urls.some((u) => u.startsWith('/m/spin/'))).toBe(true);
      for (const c of threeChunks) expect(urls).not.toContain(`/viewer/chunks/${c}`);
      expect(urls.filter((u) => u.includes('/decoders/'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('without WebGL, 3D falls back to the spin with an error, and three.js is never fetched', async () => {
    const noGl = await launchChromium(['--disable-webgl', '--disable-3d-apis']);
    try {
      const { page, from } = await open(
        `<xoay-viewer id="v" src="/m/spin/spin.json" model="/m/draco/model.glb" mode="3d" loading="eager"></xoay-viewer>`,
        noGl.desktop,
      );
      await waitEvents(page, 2);
      const ev = await events(page);
      expect(ev.map((e) => e.type).sort()).toEqual(['error', 'load']);
      expect(ev.find((e) => e.type === 'error')!.message).toBe(`xoay-viewer: ${server.origin}/m/draco/model.glb: WebGL is not available`);
      expect(ev.find((e) => e.type === 'load')!.mode).toBe('spin');
      const urls = requested(from);
      for (const c of threeChunks) expect(urls).not.toContain(`/viewer/chunks/${c}`);
      expect(urls).not.toContain('/m/draco/model.glb');
      expect(await page.evaluate(() => !!document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-spin'))).toBe(true);
      expect(await page.evaluate(() => !!document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-3d'))).toBe(false);
      expect(noGl.foreign).toEqual([]);
    } finally {
      await noGl.close();
    }
  });

  it('a GLB that is garbage, missing, corrupt or not http(s) shows a message in place and fires error naming it', async () => {
    const { page } = await open(
      ['garbage', 'missing', 'corrupt'].map((n) => `<xoay-viewer id="${n}" model="/m/${n}.glb" loading="eager" style="height:120px"></xoay-viewer>`).join('') +
        `<xoay-viewer id="scheme" model="javascript:alert(1)" loading="eager" style="height:120px"></xoay-viewer>`,
    );
    try {
      await waitEvents(page, 4);
      const ev = Object.fromEntries((await events(page)).map((e) => [e.id, e]));
      const origin = server.origin;
      expect(ev.garbage).toEqual({ id: 'garbage', type: 'error', message: `xoay-viewer: ${origin}/m/garbage.glb: is not a GLB or glTF file` });
      expect(ev.missing).toEqual({ id: 'missing', type: 'error', message: `xoay-viewer: ${origin}/m/missing.glb: could not be loaded (HTTP 404)` });
      expect(ev.corrupt!.type).toBe('error');
      expect(ev.corrupt!.message).toMatch(new RegExp(`^xoay-viewer: ${origin}/m/corrupt\\.glb: the model could not be decoded \\(.+\\)$`));
      expect(ev.scheme!.message).toMatch(/^xoay-viewer: \S+: model uses the javascript: scheme; only http\(s\) is allowed$/);
      const shown = await page.evaluate(() =>
        [...document.querySelectorAll('xoay-viewer')].map((el) => ({
          msg: el.shadowRoot!.querySelector('.xoay-msg[role="alert"]')?.textContent ?? null,
          canvas: !!el.shadowRoot!.querySelector('canvas'),
        })),
      );
      // In place, a sentence in the page's language (the details are in the events above).
      expect(shown.map((s) => s.msg)).toEqual(Array(4).fill('The product could not be shown.'));
      expect(shown.every((s) => !s.canvas)).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('auto-rotates until the first interaction (not under reduced motion), and removing the element destroys the viewer', async () => {
    const tag = (id: string) => `<xoay-viewer id="${id}" model="/m/draco/model.glb" loading="eager" autoplay style="height:240px"></xoay-viewer>`;
    const { page } = await open(tag('a') + tag('b'));
    try {
      await waitEvents(page, 2);
      const turning = await state(page, '#a');
      expect(turning.animating).toBe(true);
      await frames(page, 5);
      expect((await state(page, '#a')).renders).toBeGreaterThan(turning.renders);
      // A key press is an interaction: b stops turning.
      expect((await state(page, '#b')).animating).toBe(true);
      await page.evaluate(() => (document.querySelector('#b')!.shadowRoot!.querySelector('.xoay-3d') as HTMLElement).focus());
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(() => !(document.querySelector('#b') as unknown as { viewer: { animating: boolean } }).viewer.animating, null, WAIT);
      const stopped = await state(page, '#b');
      await frames(page, 10);
      expect(await state(page, '#b')).toEqual(stopped);

      const gone = await page.evaluate(async () => {
        const el = document.querySelector('#a') as HTMLElement & { viewer: { renders: number; animating: boolean } };
        const v = el.viewer;
        const canvas = el.shadowRoot!.querySelector('canvas')!;
        const gl = canvas.getContext('webgl2')!; // the renderer's own context
        el.remove();
        const renders = v.renders;
        await new Promise<void>((resolve) => {
          let i = 0;
          const f = () => (++i >= 10 ? resolve() : requestAnimationFrame(f));
          requestAnimationFrame(f);
        });
        return {
          canvas: !!el.shadowRoot!.querySelector('canvas'),
          stage: el.shadowRoot!.querySelector('.stage')!.childElementCount,
          more: v.renders - renders,
          animating: v.animating,
          lost: gl.isContextLost(),
        };
      });
      expect(gone).toEqual({ canvas: false, stage: 0, more: 0, animating: false, lost: true });
    } finally {
      await page.close();
    }
  });

  it('does not auto-rotate under prefers-reduced-motion', async () => {
    const { page } = await open('');
    try {
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.evaluate(() =>
        document.body.insertAdjacentHTML('beforeend', '<xoay-viewer model="/m/meshopt/model.glb" loading="eager" autoplay></xoay-viewer>'),
      );
      await waitEvents(page, 1);
      const s = await state(page);
      await frames(page, 10);
      expect(await state(page)).toEqual({ renders: s.renders, animating: false });
    } finally {
      await page.close();
    }
    expect(browser.foreign).toEqual([]);
  });
});
