/**
 * The product renderer (pipeline/render/render.ts) in Debian's headless Chromium: the committed sample model,
 * compressed by `model()` (meshopt + KTX2, as `xoay model` writes it), rendered as a small turntable with the
 * viewer's 3D studio → numbered PNGs of the right size, the object on plain white, fitted to ~80 % and fully inside
 * every frame, the frames turning, a poster among them, and `spin()` accepting the folder. One renderer renders model
 * after model (a Draco box, a broken GLB) with the same bytes each time. A broken GLB fails with a "render:" message
 * and leaves no browser, profile or temporary folder behind; a Chromium without WebGL and a missing Chromium say so.
 *
 * The render page is built into this test's own folder (`vite build --mode render`), so the test neither depends on
 * nor races with dist/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../../pipeline/model/model.js';
import { openTurntableRenderer, RENDER_DEFAULTS, renderTurntable } from '../../../pipeline/render/render.js';
import { spin } from '../../../pipeline/spin/spin.js';
import { CHROMIUM, chromiumReason, hasChromium } from '../../helpers/browser.js';
import { ROOT } from '../../helpers/data.js';
import { boxGlb } from '../../helpers/models.js';

const STOOL = path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb');
const FRAMES = 12;
const SIZE = 256;

let tmp = '';
let pageDir = '';
let glb: Uint8Array;
/** A Draco-compressed box: a second model with the other geometry decoder. */
let box: Uint8Array;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-render-test-'));
  if (!hasChromium) return;
  pageDir = path.join(tmp, 'page');
  const build = promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--mode', 'render', '--outDir', pageDir, '--emptyOutDir', '--logLevel', 'error'],
    { cwd: ROOT },
  );
  const compress = model(STOOL, path.join(tmp, 'model'), { geometry: 'meshopt', textures: 'ktx2', maxTextureSize: 512 });
  const draco = async () => model(await boxGlb(path.join(tmp, 'box.glb')), path.join(tmp, 'box'), { geometry: 'draco', budget: 'none' });
  await Promise.all([build, compress, draco()]);
  glb = new Uint8Array(await readFile(path.join(tmp, 'model', 'model.glb')));
  box = new Uint8Array(await readFile(path.join(tmp, 'box', 'model.glb')));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

async function pixels(file: string): Promise<Pixels> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Non-white pixels: their count and bounding box. */
function objectBox(p: Pixels): { count: number; x0: number; y0: number; x1: number; y1: number } {
  let count = 0;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      const o = (y * p.width + x) * 3;
      if (p.data[o]! < 250 || p.data[o + 1]! < 250 || p.data[o + 2]! < 250) {
        count++;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return { count, x0, y0, x1, y1 };
}

/** Mean absolute difference per channel value, 0–255. */
function difference(a: Pixels, b: Pixels): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/** PIDs of processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/** A valid GLB header, then garbage: it reaches the page and fails in GLTFLoader. */
function garbageGlb(): Uint8Array {
  const garbage = randomBytes(4096);
  garbage.write('glTF', 0, 'latin1');
  garbage.writeUInt32LE(2, 4);
  garbage.writeUInt32LE(garbage.length, 8);
  return new Uint8Array(garbage);
}

describe('renderTurntable', () => {
  it('has the documented defaults', () => {
    expect(RENDER_DEFAULTS).toMatchObject({ frames: 36, width: 1024, height: 1024, elevationDeg: 15, background: '#ffffff' });
  });

  it.skipIf(!hasChromium)(`renders a compressed model as a turning, white-backed turntable that spin() accepts ${chromiumReason}`, async () => {
    const out = path.join(tmp, 'frames');
    const r = await renderTurntable(glb, out, { frames: FRAMES, width: SIZE, height: SIZE, pageDir });

    const names = Array.from({ length: FRAMES }, (_, i) => `frame-${String(i).padStart(3, '0')}.png`);
    expect((await readdir(out)).sort()).toEqual(names);
    expect(r.frames).toEqual(names.map((n) => path.join(out, n)));
    expect(r.poster).toBe(r.frames[1]); // nearest 30° of turn with 30° steps
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.info.triangles).toBeGreaterThan(100);
    expect(r.info.glRenderer).toMatch(/SwiftShader/i);

    const frames = await Promise.all(r.frames.map(pixels));
    const union = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    for (const [i, p] of frames.entries()) {
      expect([p.width, p.height], `frame ${i} size`).toEqual([SIZE, SIZE]);
      // Plain white at the corners: the backdrop is the clear colour, outside tone mapping.
      for (const o of [0, (SIZE - 1) * 3, SIZE * (SIZE - 1) * 3, (SIZE * SIZE - 1) * 3])
        expect([...p.data.subarray(o, o + 3)], `frame ${i} corner`).toEqual([255, 255, 255]);
      const box = objectBox(p);
      // The object is there (a sizeable share of the frame) and fully inside it, off every edge.
      expect(box.count / (SIZE * SIZE), `frame ${i} object share`).toBeGreaterThan(0.05);
      expect(Math.min(box.x0, box.y0, SIZE - box.x1, SIZE - box.y1), `frame ${i} margin`).toBeGreaterThan(SIZE * 0.03);
      union.x0 = Math.min(union.x0, box.x0);
      union.y0 = Math.min(union.y0, box.y0);
      union.x1 = Math.max(union.x1, box.x1);
      union.y1 = Math.max(union.y1, box.y1);
    }
    // Fitted to ~80 % over the whole turn (the binding dimension) and centred.
    const fill = Math.max(union.x1 - union.x0, union.y1 - union.y0) / SIZE;
    expect(fill).toBeGreaterThan(0.7);
    expect(fill).toBeLessThan(0.86);
    expect(Math.abs((union.x0 + union.x1) / 2 - SIZE / 2)).toBeLessThan(SIZE * 0.04);
    expect(Math.abs((union.y0 + union.y1) / 2 - SIZE / 2)).toBeLessThan(SIZE * 0.04);

    // It turns: every frame differs from the next, and the half turn differs from the start (the stool is nearly
    // four-fold symmetric, so by less than neighbouring frames do).
    for (let i = 0; i < FRAMES; i++) expect(difference(frames[i]!, frames[(i + 1) % FRAMES]!), `frames ${i} and ${(i + 1) % FRAMES}`).toBeGreaterThan(3);
    expect(difference(frames[0]!, frames[FRAMES / 2]!)).toBeGreaterThan(1);

    // The spin pipeline takes the folder as a shoot: white backdrop found, nothing touching the edge.
    const warnings: string[] = [];
    const { qa, manifest } = await spin(
      out,
      path.join(tmp, 'spin'),
      { formats: ['jpeg'], widths: [128] },
      { onEvent: (e) => e.type === 'warning' && warnings.push(e.message) },
    );
    expect(warnings).toEqual([]);
    expect(qa.rows[0]!.backdrop).toBe('white');
    expect(manifest.rows[0]!.frames).toHaveLength(FRAMES);
  });

  it.skipIf(!hasChromium)(`renders model after model in one browser, deterministically, and survives a broken one ${chromiumReason}`, async () => {
    const renderer = await openTurntableRenderer({ pageDir });
    try {
      const options = { frames: 8, width: 96, height: 96 };
      const first = await renderer.render(glb, path.join(tmp, 'again-1'), options);
      const [boxed, broken] = await Promise.allSettled([
        renderer.render(box, path.join(tmp, 'box-frames'), options),
        renderer.render(garbageGlb(), path.join(tmp, 'never-broken'), options),
      ]);
      expect(boxed.status).toBe('fulfilled');
      expect(broken.status === 'rejected' && (broken.reason as Error).message).toMatch(/^render: the model could not be loaded: /);
      const second = await renderer.render(glb, path.join(tmp, 'again-2'), options);
      // The same bytes: nothing of the box or the broken model is left in the page, and nothing varies between runs.
      for (let i = 0; i < 8; i++) expect((await readFile(second.frames[i]!)).equals(await readFile(first.frames[i]!)), `frame ${i}`).toBe(true);
      // The box (Draco) is drawn too: red on white.
      const { data } = await sharp(path.join(tmp, 'box-frames', 'frame-000.png'))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      let red = 0;
      for (let i = 0; i < data.length; i += 3) if (data[i]! > data[i + 1]! + 60 && data[i]! > data[i + 2]! + 60) red++;
      expect(red).toBeGreaterThan(96 * 96 * 0.1);
    } finally {
      await renderer.close();
    }
  });

  it.skipIf(!hasChromium)(`fails on a broken GLB with the loader's message and leaves nothing behind ${chromiumReason}`, async () => {
    const garbage = garbageGlb();
    const scratch = path.join(tmp, 'scratch-tmp');
    await mkdir(scratch);
    const out = path.join(tmp, 'broken', 'frames');
    const before = process.env.TMPDIR;
    process.env.TMPDIR = scratch; // the browser profile goes here
    let error: Error | undefined;
    try {
      await renderTurntable(garbage, out, { frames: 8, width: 64, height: 64, pageDir });
    } catch (e) {
      error = e as Error;
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(error?.message).toMatch(/^render: the model could not be loaded: the model could not be decoded \(.+\)/);
    expect(await readdir(scratch)).toEqual([]); // the profile is gone
    expect(await processesMentioning(scratch)).toEqual([]); // and so is the browser
    await expect(readdir(path.join(tmp, 'broken'))).rejects.toThrow(/ENOENT/); // no output, no temporary sibling
  });

  it.skipIf(!hasChromium)(`says when Chromium has no WebGL ${chromiumReason}`, async () => {
    // XOAY_CHROMIUM may name any executable: here a wrapper that switches WebGL off.
    const noGl = path.join(tmp, 'chromium-without-webgl');
    await writeFile(noGl, `#!/bin/sh\nexec ${CHROMIUM} --disable-webgl --disable-3d-apis "$@"\n`);
    await chmod(noGl, 0o755);
    const before = process.env.XOAY_CHROMIUM;
    process.env.XOAY_CHROMIUM = noGl;
    try {
      await expect(renderTurntable(glb, path.join(tmp, 'no-gl'), { frames: 8, width: 64, height: 64, pageDir })).rejects.toThrow(
        /^render: WebGL 2 is not available in Chromium \(.*chromium-without-webgl\): /,
      );
    } finally {
      if (before === undefined) delete process.env.XOAY_CHROMIUM;
      else process.env.XOAY_CHROMIUM = before;
    }
    await expect(readdir(path.join(tmp, 'no-gl'))).rejects.toThrow(/ENOENT/);
  });

  it('says how to get Chromium when there is none, before anything else', async () => {
    await expect(renderTurntable(new Uint8Array(64).fill(1), path.join(tmp, 'never'), { chromium: path.join(tmp, 'no-chromium') })).rejects.toThrow(
      /^render: the model is not a binary glTF/,
    );
    const header = Buffer.alloc(64);
    header.write('glTF', 0, 'latin1');
    await expect(renderTurntable(new Uint8Array(header), path.join(tmp, 'never'), { chromium: path.join(tmp, 'no-chromium') })).rejects.toThrow(
      /^render: Chromium is needed to render the model but was not found at .*no-chromium \(the chromium option\): install it \(Debian\/Ubuntu: apt-get install chromium\) or set XOAY_CHROMIUM/,
    );
    await expect(renderTurntable(new Uint8Array(header), path.join(tmp, 'never'), { frames: 0 })).rejects.toThrow(
      /^render: expected an integer between 1 and 720 for option frames but received 0/,
    );
    await expect(readdir(path.join(tmp, 'never'))).rejects.toThrow(/ENOENT/);
  });
});
