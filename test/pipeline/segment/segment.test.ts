/**
 * The segmentation stage: a clean plate from the turn, object / shadow classes, on a synthetic row
 * with known truth (always) and on the shared rendered shoots with ground-truth masks (when present).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../pipeline/core/random.js';
import { estimatePlate } from '../../../pipeline/segment/plate.js';
import { segmentRow } from '../../../pipeline/segment/segment.js';
import { analyseFrame } from '../../../pipeline/spin/analyse.js';
import { boundaryF, iou } from '../../../bench/segment-metrics.js';
import { seededGains, syntheticFrameSvg } from '../../../samples/synthetic-shoot.js';
import type { RgbImage } from '../../../pipeline/core/frames.js';
import { pathToFileURL } from 'node:url';
import { ROOT, dataSet } from '../../helpers/data.js';

/** The share of the shadow's pixels, over all frames, that the masks class as backdrop. */
function shadowCut(masks: readonly Uint8Array[], shadow: readonly Uint8Array[]): number {
  let shadowPx = 0,
    shadowBackdrop = 0;
  masks.forEach((m, i) => {
    for (let k = 0; k < m.length; k++) {
      if (!shadow[i]![k]) continue;
      shadowPx++;
      if (!m[k]) shadowBackdrop++;
    }
  });
  return shadowBackdrop / shadowPx;
}

/**
 * A turntable row on dark folded cloth with vignetting: a pale object (a box whose width follows its
 * turn, with stripes that move) standing on the floor, its cast shadow (a neutral darkening) swinging
 * beside it, and per-frame exposure drift of ±3 %.
 */
function syntheticRow(n = 24, w = 240, h = 180): { frames: RgbImage[]; truth: Uint8Array[]; shadow: Uint8Array[] } {
  const rnd = mulberry32(7);
  const frames: RgbImage[] = [],
    truth: Uint8Array[] = [],
    shadow: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const gain = 1 + 0.06 * (rnd() - 0.5);
    const half = 22 + 14 * Math.abs(Math.cos(a)),
      top = 50,
      bottom = 140,
      cx = 120 + 6 * Math.sin(a);
    const data = new Uint8Array(w * h * 3),
      m = new Uint8Array(w * h),
      s = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = y * w + x;
        const u = x / w - 0.5,
          v = y / h - 0.5;
        const vignette = 1 - 0.8 * (u * u + v * v);
        let c = (34 + 12 * Math.sin(x / 6 + 2 * Math.sin(y / 23)) + 3 * ((x * 7 + y * 13) % 5)) * vignette;
        let rgb = [c, c * 0.97, c * 0.95];
        const inObj = Math.abs(x - cx) <= half && y >= top && y <= bottom;
        const sx = cx + half + 4 + (bottom - y) * 0,
          sw = 40 + 25 * Math.sin(a);
        const inShadow = !inObj && y > bottom - 14 && y <= bottom + 8 && x > cx && x < sx + sw;
        if (inObj) {
          const stripe = Math.sin((x - cx) / 5 + a * 4) > 0.6 ? 0.8 : 1;
          rgb = [205 * stripe, 196 * stripe, 180 * stripe];
          m[k] = 1;
        } else if (inShadow) {
          rgb = rgb.map((q) => q * 0.45);
          s[k] = 1;
        }
        for (let ch = 0; ch < 3; ch++) data[k * 3 + ch] = Math.max(0, Math.min(255, Math.round(rgb[ch]! * gain + (rnd() - 0.5) * 3)));
      }
    }
    frames.push({ data, width: w, height: h, channels: 3 });
    truth.push(m);
    shadow.push(s);
  }
  return { frames, truth, shadow };
}

describe('segment: synthetic turntable row on folded cloth', () => {
  const row = syntheticRow();
  it('finds the object on folded cloth under exposure drift and classes the cast shadow as backdrop', async () => {
    const seg = (await segmentRow(row.frames))!;
    expect(seg).not.toBeNull();
    const ious = seg.masks.map((m, i) => iou(m, row.truth[i]!));
    const mean = ious.reduce((x, y) => x + y, 0) / ious.length;
    // Measured 0.888 (the border model finds this easier backdrop exactly, and `spin --segment auto` keeps it here).
    expect(mean).toBeGreaterThanOrEqual(0.85);
    expect(shadowCut(seg.masks, row.shadow)).toBeGreaterThanOrEqual(0.95);
  });

  it('gives the same masks, alphas and classes on two threads (the compiled helper worker) as on one', async () => {
    // The helper runs the compiled worker (dist/, built by `npm test` before the tests), so this compares the built module.
    const built = (await import(
      pathToFileURL(path.join(ROOT, 'dist/pipeline/segment/segment.js')).href
    )) as typeof import('../../../pipeline/segment/segment.js');
    const helper = (await import(
      pathToFileURL(path.join(ROOT, 'dist/pipeline/segment/helper.js')).href
    )) as typeof import('../../../pipeline/segment/helper.js');
    // 400 × 330: three slices of the plate's first step, so the helper makes one of them.
    const big = syntheticRow(12, 400, 330);
    const probe = helper.openHelper(big.frames, { classify: {}, matte: {}, sealRadius: 3, reflection: null });
    expect(probe).not.toBeNull();
    await probe!.close();
    const one = (await built.segmentRow(big.frames, { threads: 1 }))!;
    const two = (await built.segmentRow(big.frames, { threads: 2 }))!;
    expect(Buffer.from(two.plate.rgb.buffer).equals(Buffer.from(one.plate.rgb.buffer))).toBe(true);
    for (let i = 0; i < big.frames.length; i++) {
      expect(Buffer.from(two.masks[i]!).equals(Buffer.from(one.masks[i]!))).toBe(true);
      expect(Buffer.from(two.alphas[i]!).equals(Buffer.from(one.alphas[i]!))).toBe(true);
      expect(Buffer.from(two.classes[i]!).equals(Buffer.from(one.classes[i]!))).toBe(true);
    }
  });

  it('measures the exposure drift of every frame', async () => {
    const plate = await estimatePlate(row.frames);
    expect(plate.gains).toHaveLength(24);
    const spread = Math.max(...plate.gains.map((g) => g[0])) - Math.min(...plate.gains.map((g) => g[0]));
    expect(spread).toBeGreaterThan(0.02);
    expect(spread).toBeLessThan(0.08);
  });

  it('declines a row too short for a plate from the turn: the caller falls back to the border model', async () => {
    expect(await segmentRow(row.frames.slice(0, 5))).toBeNull();
  });
});

/**
 * A dark, neutral product (black and grey, no hue) on a white sweep, with its soft cast shadow: a
 * neutral darkening too, but a shallow one that fades at its edge.
 */
function darkObjectRow(n = 24, w = 240, h = 180): { frames: RgbImage[]; truth: Uint8Array[]; shadow: Uint8Array[] } {
  const rnd = mulberry32(5);
  const frames: RgbImage[] = [],
    truth: Uint8Array[] = [],
    shadow: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const half = 18 + 10 * Math.abs(Math.cos(a)),
      top = 40,
      bottom = 140,
      cx = 120 + 5 * Math.sin(a);
    const data = new Uint8Array(w * h * 3),
      m = new Uint8Array(w * h),
      s = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = y * w + x;
        let c = 238 - 20 * (y / h); // the sweep darkens towards the floor
        // a thin spindle (a handle, a spoke) above the body, one or two pixels wide
        const spindle = Math.abs(x - cx) <= 1 && y >= 20 && y < top;
        const inObj = (Math.abs(x - cx) <= half && y >= top && y <= bottom) || spindle;
        const dx = x - (cx + 30 * Math.cos(a)),
          dy = (y - bottom - 4) * 3;
        const r = Math.hypot(dx, dy);
        if (inObj) {
          c = spindle ? 60 : Math.sin((x - cx) / 4 + a * 3) > 0.5 ? 95 : 28; // grey stripes on black
          m[k] = 1;
        } else if (r < 60 && y > bottom - 10) {
          c *= 1 - 0.35 * Math.min(1, (60 - r) / 25); // a soft-edged shadow, at most 35 % deep
          if (r < 55) s[k] = 1;
        }
        for (let ch = 0; ch < 3; ch++) data[k * 3 + ch] = Math.max(0, Math.min(255, Math.round(c + (rnd() - 0.5) * 3)));
      }
    }
    frames.push({ data, width: w, height: h, channels: 3 });
    truth.push(m);
    shadow.push(s);
  }
  return { frames, truth, shadow };
}

describe('segment: a black and grey product on a white sweep', () => {
  it('keeps the product (a neutral darkening far deeper than a shadow, with sharp edges) and still cuts its soft shadow', async () => {
    const row = darkObjectRow();
    // The dark-product mode is opt-in (classify.ts maxShadow): deep contact shadows on a light sweep look the same.
    const seg = (await segmentRow(row.frames, { classify: { maxShadow: 100 } }))!;
    expect(seg).not.toBeNull();
    const ious = seg.masks.map((m, i) => iou(m, row.truth[i]!));
    // Measured 0.95 worst (every dark pixel used to be called shadow: no object at all).
    expect(Math.min(...ious)).toBeGreaterThanOrEqual(0.9);
    expect(shadowCut(seg.masks, row.shadow)).toBeGreaterThanOrEqual(0.95);
  });
});

/** Render the synthetic shoot's frame i (samples/synthetic-shoot.ts) at w × h on one backdrop. */
async function syntheticFrame(i: number, backdrop: 'white' | 'black', gain: number, w = 320, h = 240): Promise<RgbImage> {
  const svg = syntheticFrameSvg(i, { frames: 24, width: w, height: h, orbit: 15, backdrop });
  const { data, info } = await sharp(Buffer.from(svg)).linear(gain, 0).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

describe('segment: a white sweep lit to clipping, with exposure drift', () => {
  it("keeps the object's cream band: the clipped white stays white at every exposure, so the band does not pass for backdrop", async () => {
    const gain = seededGains(11, 0.08);
    const frames: RgbImage[] = [],
      truth: Uint8Array[] = [];
    for (let i = 0; i < 24; i++) {
      const white = await syntheticFrame(i, 'white', gain(i)),
        black = await syntheticFrame(i, 'black', 1);
      frames.push(white);
      // The object is what the two backdrops do not change (its shadow is drawn on white only).
      const bw = await syntheticFrame(i, 'white', 1);
      const t = new Uint8Array(white.width * white.height);
      for (let k = 0; k < t.length; k++)
        t[k] = Math.abs(bw.data[k * 3]! - black.data[k * 3]!) < 8 && Math.abs(bw.data[k * 3 + 2]! - black.data[k * 3 + 2]!) < 8 ? 1 : 0;
      truth.push(t);
    }
    // The box's lid is a neutral dark grey on white: the dark-product mode keeps it (classify.ts maxShadow).
    const seg = (await segmentRow(frames, { classify: { maxShadow: 100 } }))!;
    expect(seg).not.toBeNull();
    const ious = seg.masks.map((m, i) => iou(m, truth[i]!));
    // Measured 0.93 mean (0.87 when a clipped level was scaled by the exposure like any other: the band
    // then agreed with the white across the turn and was cut out).
    expect(ious.reduce((x, y) => x + y, 0) / ious.length).toBeGreaterThanOrEqual(0.91);
  });
});

const SETS = ['stool-cloth', 'table-white', 'sofa-gloss'] as const;
// Measured at 600 × 450: 0.949, 0.980, 0.979 (IoU mean; 0.912, 0.972, 0.971 before the relit plate and the recurring
// backdrop); regression floors a little below. The issue's targets are asserted at 1200 px below.
const FLOOR: Record<(typeof SETS)[number], number> = { 'stool-cloth': 0.93, 'table-white': 0.96, 'sofa-gloss': 0.96 };
// At the sets' own 1200 × 900, BF with 2 px tolerance: issue 13's targets (IoU ≥ 0.97 mean, ≥ 0.95 every frame, BF ≥ 0.90)
// on every set. Measured: cloth 0.974 / 0.969 / 0.926, white 0.984 / 0.976 / 0.988, gloss 0.989 / 0.960 / 0.901 (gloss's
// BF is the closest to its target: the sofa's dark side against the black floor).
const AT_1200: Record<(typeof SETS)[number], { mean: number; worst: number; bf: number }> = {
  'stool-cloth': { mean: 0.97, worst: 0.95, bf: 0.9 },
  'table-white': { mean: 0.97, worst: 0.95, bf: 0.9 },
  'sofa-gloss': { mean: 0.97, worst: 0.95, bf: 0.9 },
};

for (const name of SETS) {
  const set = dataSet(`seg/${name}`);
  describe.skipIf(!set.present)(`segment: rendered shoot ${name} against its ground truth${set.present ? '' : ` (skipped: ${set.reason})`}`, () => {
    it('masks from the turn beat the border model in every frame', async () => {
      const files = readdirSync(set.dir)
        .filter((f) => f.endsWith('.jpg'))
        .sort();
      const frames: RgbImage[] = [],
        truth: Uint8Array[] = [];
      for (const f of files) {
        const { data, info } = await sharp(path.join(set.dir, f)).resize(600, 450).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        frames.push({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
        const n = /_(\d+)\.jpg$/.exec(f)![1]!;
        const g = await sharp(path.join(set.dir, 'gt', `${name}_${n}.png`))
          .resize(600, 450)
          .toColourspace('b-w')
          .extractChannel(0)
          .raw()
          .toBuffer();
        truth.push(Uint8Array.from(g, (v) => (v > 127 ? 1 : 0)));
      }
      const seg = (await segmentRow(frames))!;
      expect(seg).not.toBeNull();
      const ious = seg.masks.map((m, i) => iou(m, truth[i]!));
      const mean = ious.reduce((a, b) => a + b, 0) / ious.length;
      const border = frames.map((f, i) => {
        try {
          return iou(analyseFrame(f, 1, files[i]!).mask, truth[i]!);
        } catch {
          return 0; // the border model finds no object at all (white on white)
        }
      });
      console.log(
        `${name}: plate IoU mean ${mean.toFixed(3)} min ${Math.min(...ious).toFixed(3)}; border model mean ${(border.reduce((a, b) => a + b, 0) / border.length).toFixed(3)}`,
      );
      expect(mean).toBeGreaterThanOrEqual(FLOOR[name]);
      ious.forEach((v, i) => expect(v, files[i]).toBeGreaterThan(border[i]!));
    }, 120_000);

    it(`at 1200 px: IoU ≥ ${AT_1200[name].mean} mean and ≥ ${AT_1200[name].worst} in every frame, boundary F (2 px) ≥ ${AT_1200[name].bf}`, async () => {
      const files = readdirSync(set.dir)
        .filter((f) => f.endsWith('.jpg'))
        .sort();
      const frames: RgbImage[] = [],
        truth: Uint8Array[] = [];
      for (const f of files) {
        const { data, info } = await sharp(path.join(set.dir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        frames.push({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
        const n = /_(\d+)\.jpg$/.exec(f)![1]!;
        const g = await sharp(path.join(set.dir, 'gt', `${name}_${n}.png`))
          .toColourspace('b-w')
          .extractChannel(0)
          .raw()
          .toBuffer();
        truth.push(Uint8Array.from(g, (v) => (v > 127 ? 1 : 0)));
      }
      expect(frames[0]!.width).toBe(1200);
      const seg = (await segmentRow(frames))!;
      const { width: w, height: h } = frames[0]!;
      const ious = seg.masks.map((m, i) => iou(m, truth[i]!));
      const bf = seg.masks.map((m, i) => boundaryF(m, truth[i]!, w, h, 2).f);
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      console.log(`${name} at 1200 px: IoU mean ${mean(ious).toFixed(3)} worst ${Math.min(...ious).toFixed(3)}, BF ${mean(bf).toFixed(3)}`);
      expect(mean(ious)).toBeGreaterThanOrEqual(AT_1200[name].mean);
      ious.forEach((v, i) => expect(v, files[i]).toBeGreaterThanOrEqual(AT_1200[name].worst));
      expect(mean(bf)).toBeGreaterThanOrEqual(AT_1200[name].bf);
    }, 180_000);
  });
}

const gloss = dataSet('seg/sofa-gloss');
describe.skipIf(!gloss.present)(`segment: a glossy floor on two threads${gloss.present ? '' : ` (skipped: ${gloss.reason})`}`, () => {
  it('finds the same mirror lines and masks when the threads share the frames as in one thread', async () => {
    const built = (await import(
      pathToFileURL(path.join(ROOT, 'dist/pipeline/segment/segment.js')).href
    )) as typeof import('../../../pipeline/segment/segment.js');
    const files = readdirSync(gloss.dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    const frames: RgbImage[] = [];
    for (const f of files) {
      const { data, info } = await sharp(path.join(gloss.dir, f)).resize(600, 450).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      frames.push({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
    }
    const one = (await built.segmentRow(frames, { threads: 1 }))!;
    const two = (await built.segmentRow(frames, { threads: 2 }))!;
    expect(one.reflections).toBeGreaterThanOrEqual(0.8 * frames.length);
    expect(two.reflections).toBe(one.reflections);
    for (let i = 0; i < frames.length; i++) {
      expect(Buffer.from(two.masks[i]!).equals(Buffer.from(one.masks[i]!)), files[i]).toBe(true);
      expect(Buffer.from(two.classes[i]!).equals(Buffer.from(one.classes[i]!)), files[i]).toBe(true);
    }
  }, 120_000);
});
