/** Unit tests of the pure spin stages on data built in memory. */
import { describe, expect, it } from 'vitest';
import { thumbHashToRGBA } from 'thumbhash';
import { backdropAt, backdropDistance, fitBackdrop } from '../../../pipeline/spin/backdrop.js';
import { cropRows, parseAspect } from '../../../pipeline/spin/crop.js';
import { ladder, placeholder, spriteLayout } from '../../../pipeline/spin/encode.js';
import { fitHarmonic, measureOrbit, recentre } from '../../../pipeline/spin/recentre.js';
import { applyBackground } from '../../../pipeline/spin/background.js';
import { withDefaults } from '../../../pipeline/core/options.js';
import { analyseFrame } from '../../../pipeline/spin/analyse.js';
import { FAINT_TROUBLE, borderInTrouble } from '../../../pipeline/spin/masks.js';
import type { RgbImage } from '../../../pipeline/core/frames.js';

function gradientImage(w: number, h: number, f: (u: number, v: number) => [number, number, number]) {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x / w - 0.5, y / h - 0.5).map(Math.round), (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3 };
}

describe('recentre', () => {
  it('recovers a first harmonic exactly and removes it, keeping the residual', () => {
    const n = 36;
    const residual = Array.from({ length: n }, (_, i) => 3 * Math.sin((4 * Math.PI * i) / n)); // second harmonic: shape, kept
    const centres = Array.from({ length: n }, (_, i) => {
      const t = (2 * Math.PI * i) / n;
      return { x: 100 + 12 * Math.sin(t) + 5 * Math.cos(t) + residual[i]!, y: 50 + 2 * Math.cos(t) };
    });
    const h = fitHarmonic(centres.map((c) => c.x));
    expect(h.a).toBeCloseTo(100, 9);
    expect(h.b).toBeCloseTo(12, 9);
    expect(h.c).toBeCloseTo(5, 9);
    expect(measureOrbit(centres).orbit).toBeCloseTo(13, 9);
    const shifts = recentre(centres);
    const moved = centres.map((c, i) => ({ x: c.x + shifts[i]!.dx, y: c.y + shifts[i]!.dy }));
    expect(measureOrbit(moved).orbit).toBeLessThan(1e-9);
    moved.forEach((c, i) => expect(c.x - 100).toBeCloseTo(residual[i]!, 9));
    expect(recentre(centres, { enabled: false }).every((s) => s.dx === 0 && s.dy === 0)).toBe(true);
  });
});

describe('backdrop', () => {
  it('fits a smooth gradient from the border band, even where an object touches the border', () => {
    const truth = (u: number, v: number): [number, number, number] => [200 - 60 * v + 10 * u, 190 - 60 * v, 185 - 55 * v + 20 * u * u];
    const img = gradientImage(300, 200, truth);
    // an object that touches the bottom border
    for (let y = 60; y < 200; y++) for (let x = 120; x < 180; x++) img.data.set([30, 60, 160], (y * 300 + x) * 3);
    const m = fitBackdrop(img);
    const c = new Float64Array(3);
    for (const [u, v] of [
      [0, 0],
      [-0.4, 0.3],
      [0.45, -0.45],
    ] as const) {
      backdropAt(m, u, v, c);
      const t = truth(u, v);
      for (let k = 0; k < 3; k++) expect(Math.abs(c[k]! - t[k]!)).toBeLessThan(3);
    }
    expect(m.kind).toBe('gradient');
  });
  it('names plain backdrops', () => {
    expect(fitBackdrop(gradientImage(100, 80, () => [255, 255, 255])).kind).toBe('white');
    expect(fitBackdrop(gradientImage(100, 80, () => [8, 8, 8])).kind).toBe('black');
    expect(fitBackdrop(gradientImage(100, 80, () => [150, 150, 150])).kind).toBe('grey');
  });
  it('counts a neutral darkening as shadow only when asked', () => {
    expect(backdropDistance(150, 150, 150, 200, 200, 200, false)).toBeCloseTo(Math.sqrt(3) * 50);
    expect(backdropDistance(150, 150, 150, 200, 200, 200, true)).toBeLessThan(1);
    expect(backdropDistance(150, 60, 60, 200, 200, 200, true)).toBeGreaterThan(100);
  });
});

describe('background', () => {
  it('makes the backdrop pure white, keeps the object, and blends the edge', () => {
    const w = 40,
      h = 20;
    const img = gradientImage(w, h, () => [180, 180, 180]);
    for (let y = 5; y < 15; y++) for (let x = 10; x < 20; x++) img.data.set([20, 40, 200], (y * w + x) * 3);
    const model = fitBackdrop(img);
    const gate = new Uint8Array(w * h).fill(1);
    const levels = { gain: [1, 1, 1] as [number, number, number], reference: 'none' as const };
    const geometry = { width: w, height: h, step: 1, originX: 0, originY: 0, sourceWidth: w, sourceHeight: h, pad: { left: 0, top: 0, right: 2, bottom: 0 } };
    const matte = { backdrop: model, gate, gateWidth: w, gateHeight: h, gateScale: 1, threshold: 30, levels };
    const white = applyBackground(img.data, geometry, matte, { mode: 'white' });
    expect([...white.data.subarray(0, 3)]).toEqual([255, 255, 255]);
    expect([...white.data.subarray((10 * w + 15) * 3, (10 * w + 15) * 3 + 3)]).toEqual([20, 40, 200]);
    const keep = applyBackground(img.data, geometry, matte, { mode: 'keep' });
    expect(keep.data[0]).toBe(180);
    const transparent = applyBackground(img.data, geometry, matte, { mode: 'transparent' });
    expect(transparent.channels).toBe(4);
    expect(transparent.data[3]).toBe(0);
    expect(transparent.data[(10 * w + 15) * 4 + 3]).toBe(255);
    // padding is backdrop
    expect([...white.data.subarray((10 * w + w - 1) * 3, (10 * w + w) * 3)]).toEqual([255, 255, 255]);
  });
});

describe('crop', () => {
  it('takes the union of the boxes plus a margin, at the aspect, the same size for every row', () => {
    const rects = cropRows(
      [
        [
          { x0: 100, y0: 100, x1: 300, y1: 200 },
          { x0: 120, y0: 90, x1: 310, y1: 210 },
        ],
        [{ x0: 50, y0: 50, x1: 150, y1: 100 }],
      ],
      { margin: 0.05, aspect: 1 },
    );
    expect(rects[0]!.width).toBe(rects[0]!.height);
    expect(rects[0]!.width).toBe(231);
    expect(rects[1]!.width).toBe(rects[0]!.width);
    expect(rects[0]!.x).toBeLessThanOrEqual(100 - 10);
    expect(rects[0]!.x + rects[0]!.width).toBeGreaterThanOrEqual(310 + 10);
    const keep = cropRows([[{ x0: 0, y0: 0, x1: 200, y1: 100 }]], { margin: 0, aspect: null });
    expect([keep[0]!.width, keep[0]!.height]).toEqual([200, 100]);
  });
  it('parses aspects and rejects nonsense with the option named', () => {
    expect(parseAspect('1:1')).toBe(1);
    expect(parseAspect('4:3')).toBeCloseTo(4 / 3);
    expect(parseAspect('keep')).toBeNull();
    expect(() => parseAspect('wide')).toThrow(/--aspect.*"wide"/);
  });
});

describe('encode', () => {
  it('never upscales past the processed width', () => {
    expect(ladder([512, 1024, 2048], 4000)).toEqual([512, 1024, 2048]);
    expect(ladder([512, 1024, 2048], 1500)).toEqual([512, 1024, 1500]);
    expect(ladder([512, 1024, 2048], 480)).toEqual([480]);
    expect(ladder([2048, 512], 512)).toEqual([512]);
  });
  it('lays out a sprite that holds every frame', () => {
    expect(spriteLayout(36, 160, 160)).toMatchObject({ columns: 6, rows: 6 });
    expect(spriteLayout(34, 160, 120)).toMatchObject({ columns: 6, rows: 6 });
    expect(spriteLayout(72, 160, 160).columns * spriteLayout(72, 160, 160).rows).toBeGreaterThanOrEqual(72);
  });
  it('makes a ThumbHash placeholder that decodes to the image colours', async () => {
    const data = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([220, 30, 30], i);
    const hash = await placeholder({ data, width: 64, height: 64, channels: 3 });
    const back = thumbHashToRGBA(Buffer.from(hash, 'base64'));
    expect(back.rgba[0]).toBeGreaterThan(180);
    expect(back.rgba[1]).toBeLessThan(80);
  });
});

describe('options', () => {
  it('never lets undefined wipe a default', () => {
    expect(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 })).toEqual({ a: 1, b: 3 });
  });
});

describe('segment auto: borderInTrouble', () => {
  /** A 200 × 150 white sweep (250) with a table: a top of `top` inside darker edges, on two legs of 170. */
  function table(top: number): RgbImage {
    const w = 200,
      h = 150,
      data = new Uint8Array(w * h * 3).fill(250);
    const put = (x0: number, y0: number, x1: number, y1: number, v: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    };
    put(50, 40, 150, 71, 200); // the top's edges, darker than its face
    put(52, 42, 148, 68, top);
    put(55, 71, 62, 120, 170);
    put(138, 71, 145, 120, 170);
    return { data, width: w, height: h, channels: 3 };
  }
  it('a pale object on a pale sweep is mostly faint evidence: the plate is used; a contrasting one is not', () => {
    const pale = analyseFrame(table(244), 1, 'pale.png');
    const dark = analyseFrame(table(120), 1, 'dark.png');
    expect(pale.faint).toBeGreaterThan(FAINT_TROUBLE);
    expect(dark.faint).toBeLessThan(0.05);
    expect(borderInTrouble(Array(8).fill(pale))).toBe(true);
    expect(borderInTrouble(Array(8).fill(dark))).toBe(false);
  });
});
