import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { read as readKtx2 } from 'ktx-parse';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIO } from '../../../pipeline/model/codecs.js';
import { openTurntableRenderer } from '../../../pipeline/render/render.js';
import { calibrationText, renderCamera } from '../../../pipeline/reconstruct/cameras.js';
import { reconstruct } from '../../../pipeline/reconstruct/reconstruct.js';
import { chromiumReason, hasChromium, launchChromium, startServer, viewerPage, type Browser, type StaticServer, buildViewer } from '../../helpers/browser.js';
import { dataSet } from '../../helpers/data.js';

const dino = dataSet('ring/dino-sparse-16');
const table = dataSet('models/wooden_table_02_1k.glb');

/** Cheaper than the defaults (256 voxels, 1024 px working images, 1024² atlas); the texture mode stays the default. */
const CHEAP = { resolution: 128, textureSize: 512 } as const;
/** The synthetic shoot: 36 views of SIZE² on a saturated blue backdrop (as in reconstruct.test.ts). */
const FRAMES = 36;
const SIZE = 320;
const BACKDROP = '#2040ff';

type Rgb = [number, number, number];
interface Case {
  name: string;
  present: boolean;
  reason: string;
  /** model.glb of the reconstruction, served at /m/<name>/model.glb. */
  glb?: string;
  /** Width × height of the KTX2 base colour texture in the GLB. */
  texture?: [number, number];
  /** Mean colour of the object in the input views. */
  input?: Rgb;
}
const cases: Case[] = [
  { name: 'dino', present: dino.present, reason: dino.reason },
  { name: 'table', present: table.present, reason: table.reason },
];

let tmp = '';
let server: StaticServer;
let browser: Browser;
let pageNo = 0;

/** Mean colour of the pixels of `files` that `isObject` keeps. */
async function meanObjectColour(files: string[], isObject: (r: number, g: number, b: number) => boolean): Promise<Rgb> {
  const sum: Rgb = [0, 0, 0];
  let n = 0;
  for (const f of files) {
    const { data, info } = await sharp(f).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < data.length; i += info.channels) {
      const r = data[i]!,
        g = data[i + 1]!,
        b = data[i + 2]!;
      if (!isObject(r, g, b)) continue;
      sum[0] += r;
      sum[1] += g;
      sum[2] += b;
      n++;
    }
  }
  return sum.map((s) => s / n) as Rgb;
}

/** The GLB uses the default output's extensions; the size of its one KTX2 texture. */
async function inspectGlb(file: string): Promise<{ extensions: string[]; texture: [number, number] }> {
  const io = await createIO();
  const doc = await io.readBinary(new Uint8Array(await readFile(file)));
  const textures = doc.getRoot().listTextures();
  expect(textures).toHaveLength(1);
  expect(textures[0]!.getMimeType()).toBe('image/ktx2');
  const ktx = readKtx2(textures[0]!.getImage()!);
  return {
    extensions: doc
      .getRoot()
      .listExtensionsUsed()
      .map((e) => e.extensionName),
    texture: [ktx.pixelWidth, ktx.pixelHeight],
  };
}

async function makeDino(c: Case): Promise<void> {
  const out = path.join(tmp, 'dino');
  await reconstruct(dino.dir, out, { cameras: path.join(dino.dir, 'dinoSR_par.txt'), ...CHEAP });
  c.glb = path.join(out, 'model.glb');
  // The dino on its black backdrop.
  const inputs = Array.from({ length: 16 }, (_, i) => path.join(dino.dir, `dinoSR${String(i + 1).padStart(4, '0')}.png`));
  c.input = await meanObjectColour(inputs, (r, g, b) => r + g + b > 3 * 40);
}

async function makeTable(c: Case): Promise<void> {
  const renderer = await openTurntableRenderer();
  const shoot = path.join(tmp, 'table-frames');
  let rendered;
  try {
    rendered = await renderer.render(new Uint8Array(await readFile(table.dir)), shoot, { frames: FRAMES, width: SIZE, height: SIZE, background: BACKDROP });
  } finally {
    await renderer.close();
  }
  const cams = rendered.frames.map((f, i) => renderCamera(rendered.info, i, FRAMES, SIZE, SIZE, path.basename(f)));
  const par = path.join(tmp, 'table_par.txt');
  await writeFile(par, calibrationText(cams));
  const out = path.join(tmp, 'table');
  await reconstruct(shoot, out, { cameras: par, ...CHEAP, size: SIZE, triangles: 20_000 });
  c.glb = path.join(out, 'model.glb');
  // Everything clearly not the blue backdrop.
  c.input = await meanObjectColour(rendered.frames, (r, g, b) => !(b > r + 60 && b > g + 40));
}

beforeAll(async () => {
  if (!hasChromium || !cases.some((c) => c.present)) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-reconstruct-viewer-'));
  // The viewer is built into this test's own folder (same config and sources as dist/viewer), as in
  // test/viewer/model3d.test.ts: dist/viewer may be rebuilt by another test run while a page is loading.
  const viewer = path.join(tmp, 'viewer');
  const build = buildViewer(viewer);
  const fixtures = async () => {
    // One after the other: each uses both cores.
    for (const c of cases) {
      if (!c.present) continue;
      const t0 = performance.now();
      await (c.name === 'dino' ? makeDino(c) : makeTable(c));
      const glb = await inspectGlb(c.glb!);
      expect(glb.extensions).toEqual(expect.arrayContaining(['EXT_meshopt_compression', 'KHR_texture_basisu']));
      c.texture = glb.texture;
      console.log(
        `${c.name}: reconstructed in ${((performance.now() - t0) / 1000).toFixed(1)} s; texture ${glb.texture.join('×')}; input colour ${c.input!.map((x) => x.toFixed(0)).join(',')}`,
      );
    }
  };
  const [, , b, s] = await Promise.all([build, fixtures(), launchChromium(), startServer({ '/viewer/': viewer, '/m/': tmp })]);
  browser = b;
  server = s;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Warnings about SwiftShader itself, whatever the model: three's note on a missing extension, Chromium's on readbacks. */
const ENVIRONMENT_WARNINGS = [
  /^THREE\.WebGLRenderer: KHR_parallel_shader_compile extension not supported\.$/,
  /GL Driver Message \(OpenGL, Performance, GL_CLOSE_PATH_NV, High\): GPU stall due to ReadPixels$/,
];

interface Upload {
  fn: string;
  width: number;
  height: number;
  format: number;
}

/**
 * Opens a page with the element showing `glb`. Before any script runs, the page records every `load` / `error` of the
 * element, every console error or warning and uncaught error, and every WebGL 2 texture upload with pixels (level 0).
 */
async function open(ctx: BrowserContext, glb: string): Promise<{ page: Page; from: number; logs: string[] }> {
  const p = `/page-${++pageNo}.html`;
  const probe = `<style>xoay-viewer{width:320px;--xoay-background:${BACKGROUND}}</style><script>window.__ev=[];window.__uploads=[];
addEventListener('unhandledrejection',(e)=>console.error('unhandled rejection: '+e.reason));
for(const t of ['load','error'])document.addEventListener(t,(e)=>{if(e.target&&e.target.tagName==='XOAY-VIEWER')__ev.push({type:t,mode:e.detail&&e.detail.mode,message:e.detail&&e.detail.message})},true);
const G=WebGL2RenderingContext.prototype;
for(const fn of ['texImage2D','texSubImage2D','compressedTexImage2D','compressedTexSubImage2D']){const f=G[fn];G[fn]=function(...a){
 const sub=fn.includes('Sub');
 if(a[1]===0&&typeof a[sub?4:3]==='number'&&typeof a[sub?5:4]==='number'&&a[a.length-1]!=null&&typeof a[a.length-1]==='object')__uploads.push({fn,width:a[sub?4:3],height:a[sub?5:4],format:a[sub?6:2]});
 return f.apply(this,a)}}</script>`;
  server.pages.set(p, viewerPage(`<xoay-viewer model="${glb}" loading="eager" alt="Reconstruction"></xoay-viewer>`, probe));
  const page = await ctx.newPage();
  const logs: string[] = [];
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !ENVIRONMENT_WARNINGS.some((w) => w.test(m.text()))) logs.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const from = server.requests.length;
  await page.goto(server.origin + p);
  return { page, from, logs };
}

// Polled on a timer, not on animation frames (a page busy drawing on the CPU starves rAF polling); generous for a
// loaded machine: SwiftShader draws on the same two cores as everything else.
const WAIT = { polling: 100, timeout: 60_000 };

/** The element's backdrop (behind its transparent canvas): magenta, a colour none of the objects has. */
const BACKGROUND = '#ff00ff';

/**
 * The element's screenshot: the share of object pixels (not the magenta backdrop behind the transparent canvas) in the
 * centre (the middle half in each direction) and over the whole; the mean colour and spread of the object's inner
 * pixels (all 8 neighbours object too, so the anti-aliased rim, mixed with the backdrop, does not tint it).
 */
async function shot(page: Page): Promise<{ centre: number; whole: number; mean: Rgb; spread: number }> {
  const png = await page.locator('xoay-viewer').screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: W, height: H, channels } = info;
  const object = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) {
    const r = data[p * channels]!,
      g = data[p * channels + 1]!,
      b = data[p * channels + 2]!;
    object[p] = 255 - r + g + (255 - b) > 90 ? 1 : 0;
  }
  let centre = 0,
    centreAll = 0,
    whole = 0,
    inner = 0;
  const sum: Rgb = [0, 0, 0],
    sq: Rgb = [0, 0, 0];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const inCentre = x >= W / 4 && x < (3 * W) / 4 && y >= H / 4 && y < (3 * H) / 4;
      if (inCentre) centreAll++;
      if (!object[p]) continue;
      whole++;
      if (inCentre) centre++;
      if (x === 0 || y === 0 || x === W - 1 || y === H - 1) continue;
      let all = true;
      for (let dy = -1; dy <= 1 && all; dy++) for (let dx = -1; dx <= 1 && all; dx++) all = object[p + dy * W + dx] === 1;
      if (!all) continue;
      inner++;
      for (let k = 0; k < 3; k++) {
        const v = data[p * channels + k]!;
        sum[k] = sum[k]! + v;
        sq[k] = sq[k]! + v * v;
      }
    }
  }
  const mean = sum.map((s) => s / inner) as Rgb;
  const spread = Math.max(...sq.map((s, k) => Math.sqrt(s / inner - mean[k]! ** 2)));
  return { centre: centre / centreAll, whole: whole / (W * H), mean, spread };
}

/** Chromaticity: the colour's share of each channel (brightness removed). */
const chroma = (c: Rgb) => c.map((x) => x / (c[0] + c[1] + c[2])) as Rgb;

describe.skipIf(!hasChromium)(`reconstructions in <xoay-viewer> (Chromium) ${chromiumReason}`, () => {
  for (const c of cases) {
    for (const device of ['desktop', 'phone'] as const) {
      it.skipIf(!c.present)(`${c.name} (reconstruct() defaults: meshopt + KTX2) loads and shows its textured object on a ${device} ${c.reason}`, async () => {
        const url = `/m/${c.name}/model.glb`;
        const { page, from, logs } = await open(browser[device], url);
        try {
          await page.waitForFunction(() => (window as unknown as { __ev: unknown[] }).__ev.length >= 1, null, WAIT);
          // Let the element settle: a late error (a texture failing after the first frame) would show here.
          await page.evaluate(
            () =>
              new Promise<void>((resolve) => {
                let i = 0;
                const f = () => (++i >= 5 ? resolve() : requestAnimationFrame(f));
                requestAnimationFrame(f);
              }),
          );
          expect(await page.evaluate(() => (window as unknown as { __ev: unknown[] }).__ev)).toEqual([{ type: 'load', mode: '3d' }]);

          // The KTX2 texture went through the Basis transcoder and reached WebGL at its own size.
          const requested = server.requests.slice(from);
          expect(requested.filter((r) => r.status !== 200)).toEqual([]);
          expect(requested.map((r) => r.url)).toEqual(
            expect.arrayContaining([url, '/viewer/decoders/basis_transcoder.js', '/viewer/decoders/basis_transcoder.wasm']),
          );
          const uploads = await page.evaluate(() => (window as unknown as { __uploads: Upload[] }).__uploads);
          expect(uploads.filter((u) => u.width === c.texture![0] && u.height === c.texture![1])).not.toEqual([]);

          // At rest, drawn at the device's pixel ratio (the viewer caps the phone's 3 at 2).
          const canvas = await page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('canvas')!.width);
          expect(canvas).toBe(320 * (device === 'phone' ? 2 : 1));

          const px = await shot(page);
          const got = chroma(px.mean),
            want = chroma(c.input!);
          console.log(
            `${c.name} on a ${device}: object ${(100 * px.centre).toFixed(0)} % of the centre, ${(100 * px.whole).toFixed(0)} % of the canvas; mean ${px.mean.map((x) => x.toFixed(0)).join(',')} (input ${c.input!.map((x) => x.toFixed(0)).join(',')}); spread ${px.spread.toFixed(1)}; texture uploads ${JSON.stringify(uploads.filter((u) => u.width > 16))}`,
          );
          // The object fills a good share of the centre (the table's top and legs leave gaps), not the whole canvas.
          expect(px.centre).toBeGreaterThan(0.25);
          expect(px.whole).toBeLessThan(0.9);
          // Shaded and textured, not one flat colour.
          expect(px.spread).toBeGreaterThan(15);
          // The photos' hue: red over blue as in the input views (the dino's warm plaster, the table's wood); a white
          // material (the texture lost) would be neutral.
          expect(px.mean[0] - px.mean[2]).toBeGreaterThan(0.5 * (c.input![0] - c.input![2]));
          for (let k = 0; k < 3; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(0.04);
          // As bright as photographed: the colours carry the photos' lighting and are shown unlit (lit again by the
          // studio light they came out 1.3–1.5× too bright).
          const sum = (x: Rgb) => x[0] + x[1] + x[2];
          expect(sum(px.mean) / sum(c.input!)).toBeGreaterThan(0.85);
          expect(sum(px.mean) / sum(c.input!)).toBeLessThan(1.25);
          expect(logs).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  }

  it.skipIf(!cases.some((c) => c.present))(
    `no page asked for anything off 127.0.0.1 ${cases.some((c) => c.present) ? '' : cases.map((c) => c.reason).join('; ')}`,
    () => {
      expect(browser.foreign).toEqual([]);
    },
  );
});
