/** The viewer's pure logic: frame maths, load order, rendition choice, inertia, memory window, fit and zoom, manifest checks. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { angleOf, framesForDrag, ringDistance, spreadOrder, windowAround, wrap } from '../../../viewer/core/frames.js';
import { memoryBudget, windowRadius } from '../../../viewer/core/frame-store.js';
import { createInertia } from '../../../viewer/core/inertia.js';
import { checkManifest, resolvePath } from '../../../viewer/core/manifest.js';
import { clampView, fitRect } from '../../../viewer/core/renderer.js';
import { pickFormat, pickWidth } from '../../../viewer/core/sources.js';
import { ROOT } from '../../helpers/data.js';

describe('frame maths', () => {
  it('wraps indices, gives angles, and the shorter way round', () => {
    expect([wrap(-1, 36), wrap(36, 36), wrap(37.4, 36), wrap(-37, 36)]).toEqual([35, 0, 1, 35]);
    expect([angleOf(0, 36), angleOf(9, 36), angleOf(35, 36)]).toEqual([0, 90, 350]);
    expect([ringDistance(35, 1, 36), ringDistance(1, 35, 36), ringDistance(0, 18, 36)]).toEqual([2, -2, 18]);
  });

  it('a drag across the whole width turns once', () => {
    expect(framesForDrag(640, 640, 36)).toBe(36);
    expect(framesForDrag(-160, 640, 36)).toBe(-9);
    expect(framesForDrag(10, 0, 36)).toBe(0);
  });

  it('loads in spread-out order: the start, then 180°, 90° and 270°, then the 45°s …, each frame once', () => {
    const order = spreadOrder(36, 0);
    expect(order.slice(0, 4)).toEqual([0, 18, 9, 27]);
    expect(order.slice(4, 8).sort((a, b) => a - b)).toEqual([5, 14, 23, 32]);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 36 }, (_, i) => i));
    const from10 = spreadOrder(24, 10);
    expect(from10.slice(0, 4)).toEqual([10, 22, 16, 4]);
    expect(new Set(from10).size).toBe(24);
    for (const n of [1, 2, 3, 7, 8, 72]) expect(new Set(spreadOrder(n, n - 1)).size).toBe(n);
  });

  it('the decoded window is the nearest frames, both ways round the ring', () => {
    expect(windowAround(0, 2, 36)).toEqual([0, 1, 35, 2, 34]);
    expect(windowAround(5, 10, 8).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('rendition choice', () => {
  it('the smallest width that covers the element × devicePixelRatio, else the largest', () => {
    const widths = [512, 1024, 2048];
    expect(pickWidth(widths, 390, 1)).toBe(512);
    expect(pickWidth(widths, 390, 3)).toBe(2048);
    expect(pickWidth(widths, 640, 1.5)).toBe(1024);
    expect(pickWidth(widths, 1600, 2)).toBe(2048);
    expect(pickWidth(widths, 300, 8)).toBe(1024); // DPR capped at 3
  });

  it('AVIF, then WebP, then JPEG, by what the browser decodes', () => {
    const all = { avif: 'a', webp: 'w', jpeg: 'j' };
    expect(pickFormat(all, new Set(['avif', 'webp', 'jpeg']))).toBe('avif');
    expect(pickFormat(all, new Set(['webp', 'jpeg']))).toBe('webp');
    expect(pickFormat(all, new Set(['jpeg']))).toBe('jpeg');
    expect(pickFormat({ avif: 'a' }, new Set(['jpeg']))).toBeNull();
  });
});

describe('inertia', () => {
  it('a flick keeps moving the same way, slows down and stops; a slow release does not coast', () => {
    const i = createInertia();
    for (let t = 0; t <= 100; t += 20) i.sample(t * 2, t); // 2 px per ms = 2000 px/s
    expect(i.release(100)).toBeCloseTo(2000, 5);
    let travelled = 0,
      steps = 0,
      last = Infinity;
    for (let d = i.step(16); d !== null; d = i.step(16)) {
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(last);
      last = d;
      travelled += d;
      steps++;
    }
    expect(travelled).toBeGreaterThan(100);
    expect(steps).toBeLessThan(200);
    const slow = createInertia();
    slow.sample(0, 0);
    slow.sample(0.1, 100);
    expect(slow.release(100)).toBe(0);
    expect(slow.step(16)).toBeNull();
    // Samples older than the window do not count: a pause before letting go stops the spin.
    const paused = createInertia();
    paused.sample(0, 0);
    paused.sample(200, 50);
    expect(paused.release(400)).toBe(0);
  });
});

describe('memory', () => {
  it('budget from deviceMemory, window radius from the frame size', () => {
    expect(memoryBudget(undefined)).toBe(48 * 1024 * 1024);
    expect(memoryBudget(1)).toBe(24 * 1024 * 1024);
    expect(memoryBudget(8)).toBe(96 * 1024 * 1024);
    expect(memoryBudget(64)).toBe(192 * 1024 * 1024);
    // 1024×768 RGBA = 3 MiB a frame: 48 MiB holds 16 → radius 7.
    expect(windowRadius(48 * 1024 * 1024, 1024, 768, 36)).toBe(7);
    expect(windowRadius(1024, 2048, 2048, 36)).toBe(2); // never below 2
    expect(windowRadius(1e12, 512, 512, 36)).toBe(18); // never more than the ring
  });
});

describe('fit and zoom', () => {
  it('contains the image, centred; zoom keeps the centre inside the image', () => {
    expect(fitRect(400, 400, 4 / 3, { zoom: 1, cx: 0.5, cy: 0.5 })).toEqual({ x: 0, y: 50, w: 400, h: 300 });
    const z = fitRect(400, 300, 4 / 3, { zoom: 2, cx: 0.25, cy: 0.25 });
    expect(z).toEqual({ x: 0, y: 0, w: 800, h: 600 });
    const far = fitRect(400, 300, 4 / 3, { zoom: 2, cx: 0.99, cy: 0.5 });
    expect(far.x).toBe(-400); // clamped: the right edge of the image stays at the right edge
    expect(clampView({ zoom: 9, cx: 0, cy: 1 })).toEqual({ zoom: 4, cx: 0.125, cy: 0.875 });
    expect(clampView({ zoom: 0.5, cx: 0.9, cy: 0.1 })).toEqual({ zoom: 1, cx: 0.5, cy: 0.5 });
    // A square image letterboxed in an 800×600 element, zoomed 2.5×: 1500 px drawn, so the centre may go from
    // 800/3000 to 1 − 800/3000 across and 600/3000 to 1 − 600/3000 down, and no further (no hidden pan offset).
    const v = clampView({ zoom: 2.5, cx: 0, cy: 1 }, 800, 600, 1);
    expect(v.cx).toBeCloseTo(800 / 3000, 9);
    expect(v.cy).toBeCloseTo(1 - 600 / 3000, 9);
    const r = fitRect(800, 600, 1, v);
    expect(r.x).toBeCloseTo(0, 6); // the image's left edge at the element's left edge: exactly the limit
    // An axis the zoomed image does not fill stays centred.
    expect(clampView({ zoom: 1.2, cx: 0.1, cy: 0.3 }, 800, 600, 1).cx).toBe(0.5);
  });
});

describe('manifest checks', () => {
  const base = 'https://cdn.example.org/products/che/spin/spin.json';
  it('resolves paths against the manifest and refuses every scheme but http(s)', () => {
    expect(resolvePath('row-1/512/001.avif', base, 'x')).toBe('https://cdn.example.org/products/che/spin/row-1/512/001.avif');
    expect(() => resolvePath('javascript:alert(1)', base, 'poster')).toThrow(/poster uses the javascript: scheme/);
    expect(() => resolvePath('data:text/html,<b>', base, 'sprite')).toThrow(/data: scheme/);
    expect(() => resolvePath('', base, 'poster')).toThrow(/poster is not a path/);
    expect(() => resolvePath(42, base, 'poster')).toThrow(/not a path/);
  });

  it('accepts what `xoay spin` writes (the committed sample) and says what is wrong otherwise', async () => {
    const json = JSON.parse(await readFile(path.join(ROOT, 'test/viewer/core/fixtures/spin.json'), 'utf8'));
    const spin = checkManifest(json, base);
    expect(spin.rows[0]!.frames.length).toBe(36);
    expect(spin.rows[0]!.frames[0]![512]!.avif).toMatch(/^https:\/\/cdn\.example\.org\/.*\.avif$/);
    expect(spin.widths).toEqual([...json.widths].sort((a: number, b: number) => a - b));
    expect(() => checkManifest([], base)).toThrow(/not a spin manifest/);
    expect(() => checkManifest({ ...json, version: 2 }, base)).toThrow(/unsupported manifest version 2/);
    expect(() => checkManifest({ ...json, rows: [] }, base)).toThrow(/rows must be a non-empty list/);
    expect(() => checkManifest({ ...json, widths: [512, -1] }, base)).toThrow(/widths must be a list of positive integers/);
    // pickWidth relies on this: it is never given an empty list.
    expect(() => checkManifest({ ...json, widths: [] }, base)).toThrow(/widths must be a list of positive integers/);
    const bad = structuredClone(json);
    bad.rows[0].frames[3].src['512'].webp = 'javascript:void(0)';
    expect(() => checkManifest(bad, base)).toThrow(/rows\[0\]\.frames\[3\]\.src\.512\.webp uses the javascript: scheme/);
    const noSprite = structuredClone(json);
    delete noSprite.rows[0].sprite;
    expect(() => checkManifest(noSprite, base)).toThrow(/rows\[0\]\.sprite is missing/);
    const html = structuredClone(json);
    html.rows[0].name = '<script>x</script>';
    expect(checkManifest(html, base).rows[0]!.name).toBe('<script>x</script>'); // kept as text; shown only as text
  });
});
