import sharp from 'sharp';
import { describe, it, expect } from 'vitest';
import { gaussianKernel, luma, ssim, ssimMap, type RawImage } from '../../bench/ssim.js';
import { mulberry32 } from '../../pipeline/core/random.js';
import { dataSet } from '../helpers/data.js';

/** A real photo from the shared test data (found through the one helper). */
const bike = dataSet('spin/bike-34/rad_zoom_001.jpg');
const bikePhoto = bike.dir;
const hasBikePhoto = bike.present;

/** Deterministic pseudo-random bytes, so failures reproduce. */
const rng = mulberry32;

function randomImage(width: number, height: number, channels: 3 | 4, seed: number): RawImage {
  const rand = rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  return { data, width, height, channels };
}

/** A smooth, photo-like test card: gradients, a soft disc and a sharp-edged box, plus mild noise. */
function syntheticImage(width: number, height: number, seed = 1): RawImage {
  const rand = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width * 0.4, y - height * 0.5) / (0.3 * width);
      const disc = d < 1 ? 90 * (1 - d * d) : 0;
      const box = x > width * 0.6 && x < width * 0.85 && y > height * 0.2 && y < height * 0.7 ? 60 : 0;
      const stripes = 25 * Math.sin(x * 0.35) * Math.sin(y * 0.21);
      const noise = (rand() - 0.5) * 12;
      const i = (y * width + x) * 3;
      data[i] = clamp(60 + (150 * x) / width + disc + stripes + noise);
      data[i + 1] = clamp(80 + (120 * y) / height + box + noise);
      data[i + 2] = clamp(200 - (100 * x) / width + disc - box + stripes);
    }
  }
  return { data, width, height, channels: 3 };
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

/** The image with deterministic additive noise of the given amplitude on every channel. */
function withNoise(img: RawImage, amplitude: number, seed: number): RawImage {
  const rand = rng(seed);
  const data = Uint8Array.from(img.data, (v) => clamp(v + (rand() - 0.5) * 2 * amplitude));
  return { ...img, data };
}

/** Textbook SSIM: the full 11×11 window evaluated directly at every 'valid' position, in float64. */
function naiveSsim(a: RawImage, b: RawImage): number {
  const x = luma(a);
  const y = luma(b);
  const g = gaussianKernel();
  const { width, height } = a;
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let sum = 0;
  let count = 0;
  for (let oy = 0; oy + 11 <= height; oy++) {
    for (let ox = 0; ox + 11 <= width; ox++) {
      let mx = 0,
        my = 0,
        mxx = 0,
        myy = 0,
        mxy = 0;
      for (let j = 0; j < 11; j++) {
        for (let i = 0; i < 11; i++) {
          const w = g[j]! * g[i]!;
          const p = (oy + j) * width + ox + i;
          const vx = x[p]!;
          const vy = y[p]!;
          mx += w * vx;
          my += w * vy;
          mxx += w * vx * vx;
          myy += w * vy * vy;
          mxy += w * vx * vy;
        }
      }
      const sx = mxx - mx * mx;
      const sy = myy - my * my;
      const sxy = mxy - mx * my;
      sum += ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sx + sy + C2));
      count++;
    }
  }
  return sum / count;
}

async function jpegRoundTrip(img: RawImage, quality: number): Promise<RawImage> {
  const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 } })
    .jpeg({ quality })
    .toBuffer();
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('luma', () => {
  it('weights R′G′B′ by Rec.601 by default and Rec.709 on request', () => {
    const img: RawImage = { data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), width: 4, height: 1, channels: 3 };
    const y601 = luma(img);
    expect(y601[0]).toBeCloseTo(0.299 * 255, 4);
    expect(y601[1]).toBeCloseTo(0.587 * 255, 4);
    expect(y601[2]).toBeCloseTo(0.114 * 255, 4);
    expect(y601[3]).toBeCloseTo(0.299 * 10 + 0.587 * 20 + 0.114 * 30, 4);
    const y709 = luma(img, 'bt709');
    expect(y709[0]).toBeCloseTo(0.2126 * 255, 4);
    expect(y709[1]).toBeCloseTo(0.7152 * 255, 4);
  });

  it('ignores alpha in RGBA input', () => {
    const rgba: RawImage = { data: Uint8Array.from([100, 150, 200, 0, 100, 150, 200, 255]), width: 2, height: 1, channels: 4 };
    const y = luma(rgba);
    expect(y[0]).toBe(y[1]);
  });
});

describe('ssim', () => {
  it('is exactly 1 for identical images (RGB and RGBA)', () => {
    const rgb = randomImage(64, 48, 3, 1);
    expect(ssim(rgb, rgb)).toBe(1);
    expect(ssim(rgb, { ...rgb, data: Buffer.from(rgb.data) })).toBe(1);
    const rgba = randomImage(40, 40, 4, 2);
    expect(ssim(rgba, rgba)).toBe(1);
  });

  it('drops for a known distortion, and more for a stronger one', () => {
    const ref = syntheticImage(96, 80);
    const mild = ssim(ref, withNoise(ref, 8, 3));
    const strong = ssim(ref, withNoise(ref, 40, 3));
    expect(mild).toBeLessThan(1);
    expect(mild).toBeGreaterThan(0.5);
    expect(strong).toBeLessThan(mild);
  });

  it('gives the analytic value for a uniform brightness shift', () => {
    // On flat images σ = 0, so only the luminance term is left: (2μ₁μ₂ + C1) / (μ₁² + μ₂² + C1).
    const flat = (v: number): RawImage => ({ data: new Uint8Array(32 * 24 * 3).fill(v), width: 32, height: 24, channels: 3 });
    const C1 = (0.01 * 255) ** 2;
    const expected = (2 * 100 * 120 + C1) / (100 ** 2 + 120 ** 2 + C1);
    expect(ssim(flat(100), flat(120))).toBeCloseTo(expected, 6);
  });

  it('is symmetric', () => {
    const a = syntheticImage(70, 50, 4);
    const b = withNoise(a, 25, 5);
    expect(ssim(a, b)).toBe(ssim(b, a));
    const c = randomImage(70, 50, 3, 6);
    expect(ssim(a, c)).toBe(ssim(c, a));
  });

  it('matches a naive non-separable implementation to 1e-6', () => {
    const a = randomImage(37, 29, 3, 7);
    const b = withNoise(a, 30, 8);
    expect(Math.abs(ssim(a, b) - naiveSsim(a, b))).toBeLessThan(1e-6);
    const s = syntheticImage(45, 33, 9);
    const t = withNoise(s, 10, 10);
    expect(Math.abs(ssim(s, t) - naiveSsim(s, t))).toBeLessThan(1e-6);
    // Also on unrelated images, where SSIM is near 0 and relative errors would show most.
    const u = randomImage(45, 33, 3, 11);
    expect(Math.abs(ssim(s, u) - naiveSsim(s, u))).toBeLessThan(1e-6);
  });

  it('exposes a per-window map whose mean is the SSIM and which locates the damage', () => {
    const a = syntheticImage(60, 40, 19);
    const data = Uint8Array.from(a.data);
    // Damage only a 10×10 block at (40, 20).
    for (let y = 20; y < 30; y++) for (let x = 40; x < 50; x++) for (let c = 0; c < 3; c++) data[(y * 60 + x) * 3 + c] = 255 - data[(y * 60 + x) * 3 + c]!;
    const b = { ...a, data };
    const { map, width, height } = ssimMap(a, b);
    expect([width, height]).toEqual([50, 30]);
    const mean = map.reduce((s, v) => s + v, 0) / map.length;
    expect(mean).toBeCloseTo(ssim(a, b), 6);
    expect(map[0]).toBe(1); // the top-left window does not touch the block
    expect(map[15 * width + 38]!).toBeLessThan(0.5); // a window over the block
  });

  it('handles 2048×2048 frames (large sums stay exact; speed is measured in bench/, not asserted here)', () => {
    // Built with integer hashing: a per-pixel rng() would take longer than the SSIM itself.
    const n = 2048 * 2048 * 3;
    const da = new Uint8Array(n);
    const db = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
      da[i] = ((i % 6144) >> 5) + ((h >>> 24) & 63); // horizontal ramp (0–191) plus texture
      db[i] = Math.min(255, da[i]! + ((h >>> 8) & 15));
    }
    const a: RawImage = { data: da, width: 2048, height: 2048, channels: 3 };
    const b: RawImage = { data: db, width: 2048, height: 2048, channels: 3 };
    const s = ssim(a, b);
    expect(s).toBeGreaterThan(0.5);
    expect(s).toBeLessThan(1);
    expect(ssim(a, a)).toBe(1);
  });

  it('gives lower SSIM for stronger JPEG compression (synthetic image)', async () => {
    const ref = syntheticImage(256, 192, 14);
    const q90 = ssim(ref, await jpegRoundTrip(ref, 90));
    const q50 = ssim(ref, await jpegRoundTrip(ref, 50));
    const q15 = ssim(ref, await jpegRoundTrip(ref, 15));
    expect(q90).toBeLessThan(1);
    expect(q50).toBeLessThan(q90);
    expect(q15).toBeLessThan(q50);
  });

  it.skipIf(!hasBikePhoto)(`gives lower SSIM for stronger JPEG compression (bike photo) ${bike.reason}`, async () => {
    const { data, info } = await sharp(bikePhoto).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const ref: RawImage = { data, width: info.width, height: info.height, channels: info.channels };
    const q90 = ssim(ref, await jpegRoundTrip(ref, 90));
    const q50 = ssim(ref, await jpegRoundTrip(ref, 50));
    const q15 = ssim(ref, await jpegRoundTrip(ref, 15));
    expect(q90).toBeGreaterThan(0.95);
    expect(q90).toBeLessThan(1);
    expect(q50).toBeLessThan(q90);
    expect(q15).toBeLessThan(q50);
  });

  it('rejects mismatched or malformed inputs with an "ssim: " error', () => {
    const a = randomImage(20, 20, 3, 15);
    expect(() => ssim(a, randomImage(21, 20, 3, 16))).toThrow(/^ssim: images differ in size/);
    expect(() => ssim(a, { ...a, channels: 2, data: new Uint8Array(20 * 20 * 2) })).toThrow(/^ssim: .*3 \(RGB\) or 4 \(RGBA\) channels/);
    expect(() => ssim({ ...a, channels: 1, data: new Uint8Array(400) }, a)).toThrow(/^ssim: /);
    expect(() => ssim(a, { ...a, data: a.data.subarray(1) })).toThrow(/^ssim: .*bytes of data/);
    expect(() => ssim(randomImage(10, 30, 3, 17), randomImage(10, 30, 3, 18))).toThrow(/^ssim: images must be at least 11×11/);
    expect(() => ssim(a, { ...a, width: 0 })).toThrow(/^ssim: /);
    expect(() => ssim(a, null as unknown as RawImage)).toThrow(/^ssim: /);
    expect(() => ssim(a, a, { lumaMatrix: 'bt2020' as 'bt709' })).toThrow(/^ssim: lumaMatrix/);
    expect(() => luma(a, 'rec601' as 'bt601')).toThrow(/^ssim: lumaMatrix/);
  });
});
