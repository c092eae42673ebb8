/**
 * Per-channel SSIM (pipeline/core/ssim.ts) against scikit-image's `structural_similarity(a, b, channel_axis=-1,
 * data_range=255)`: the expected values below come from a NumPy/SciPy transcription of scikit-image's code
 * (scipy.ndimage.uniform_filter, mode 'reflect', 7×7, sample covariance, 3-pixel crop; scikit-image itself is not
 * installed here) run on the same two images.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../pipeline/core/random.js';
import { ssimChannels, ssimRgb, ssimUniform, type RawImage } from '../../../pipeline/core/ssim.js';

/** A 40×30 test card (a ramp, noise, a sine) and a copy with noise and a blue shift, deterministic. */
function pair(): [RawImage, RawImage] {
  const w = 40;
  const h = 30;
  const rand = mulberry32(7);
  const a = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      a[i] = (x * 6 + y * 2) % 256;
      a[i + 1] = Math.floor(rand() * 256);
      a[i + 2] = 128 + Math.round(100 * Math.sin(x * 0.3 + y * 0.2));
    }
  const b = Uint8Array.from(a, (v, i) => Math.max(0, Math.min(255, v + Math.round((rand() - 0.5) * 60) + (i % 3 === 2 ? 20 : 0))));
  return [
    { data: a, width: w, height: h, channels: 3 },
    { data: b, width: w, height: h, channels: 3 },
  ];
}

describe('per-channel SSIM (scikit-image defaults)', () => {
  it('matches scikit-image on a test card, channel by channel and in the mean', () => {
    const [a, b] = pair();
    const c = ssimChannels(a, b);
    const expected = [0.598926925667252, 0.974083236661201, 0.9037918909079533];
    for (let k = 0; k < 3; k++) expect(c[k]).toBeCloseTo(expected[k]!, 12);
    expect(ssimRgb(a, b)).toBeCloseTo(0.8256006844121354, 12);
  });

  it('is 1 for identical images, symmetric, ignores alpha, and sees a hue shift that luma hides', () => {
    const [a, b] = pair();
    expect(ssimRgb(a, a)).toBe(1);
    expect(ssimRgb(a, b)).toBeCloseTo(ssimRgb(b, a), 12);
    const rgba = (img: RawImage): RawImage => {
      const data = new Uint8Array(img.width * img.height * 4);
      for (let i = 0, j = 0; i < img.width * img.height; i++, j += 3) data.set([img.data[j]!, img.data[j + 1]!, img.data[j + 2]!, i % 256], i * 4);
      return { ...img, data, channels: 4 };
    };
    expect(ssimRgb(rgba(a), rgba(b))).toBeCloseTo(ssimRgb(a, b), 12);
    // Red and green swapped on a grey-balanced card: luma barely moves, the channels do.
    const swapped = Uint8Array.from(a.data, (_, i) => a.data[i % 3 === 0 ? i + 1 : i % 3 === 1 ? i - 1 : i]!);
    expect(ssimRgb(a, { ...a, data: swapped })).toBeLessThan(0.5);
  });

  it('scores a plane with the Gaussian window on request, and refuses unequal sizes and tiny planes', () => {
    const [a, b] = pair();
    const g = ssimChannels(a, b, { window: 'gaussian11' });
    expect(g[1]).toBeGreaterThan(0.9);
    expect(g[0]).not.toBeCloseTo(ssimChannels(a, b)[0], 3);
    expect(() => ssimRgb(a, { ...b, width: 30, height: 40 })).toThrow(/differ in size/);
    expect(() => ssimUniform(new Float32Array(36), new Float32Array(36), 6, 6)).toThrow(/at least 7×7/);
  });
});
