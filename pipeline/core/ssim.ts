/**
 * Structural similarity (SSIM) of two 8-bit sRGB images, as defined by Wang, Bovik, Sheikh and
 * Simoncelli, "Image quality assessment: from error visibility to structural similarity" (IEEE TIP,
 * 2004): an 11×11 circular-symmetric Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255,
 * computed on luma and averaged over every window position that lies wholly inside the image
 * (the reference `ssim_index.m`'s `filter2(..., 'valid')`; no padding, no automatic downsampling).
 *
 * The Gaussian window is separable, so local means, variances and covariance are computed with a
 * horizontal 11-tap pass per input row followed by a vertical 11-tap pass over a ring of the last 11
 * filtered rows, fused with the per-pixel SSIM formula. Memory beyond the two luma planes is
 * O(11 × width); a 2048×2048 comparison takes about 0.4 s on one core. Results agree with a direct
 * 2-D implementation (see the tests) and with a SciPy port of `ssim_index.m` to ~1e-13.
 *
 * {@link ssimChannels} / {@link ssimRgb} score colour images the way scikit-image's `structural_similarity(a, b,
 * channel_axis=-1, data_range=255)` does by default: each of R, G and B on its own with a 7×7 uniform window and the
 * sample covariance (N / (N − 1)), averaged over the window positions wholly inside the image (its 3-pixel crop),
 * then the mean of the three channels. Luma SSIM is blind to hue shifts; this is not (the model fidelity check,
 * pipeline/render/fidelity.ts, uses it). The Gaussian 11×11 window is available per channel too.
 */
import { XoayError } from './errors.js';

/** A raw, interleaved, 8-bit sRGB image as sharp's `.raw()` output gives it. */
export interface RawImage {
  data: Uint8Array | Buffer;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA; alpha is ignored). */
  channels: number;
}

/** Which Y′ weights turn R′G′B′ into luma. */
export type LumaMatrix = 'bt601' | 'bt709';

export interface SsimOptions {
  /** Luma weights; 'bt601' (the default) is what most SSIM references use (MATLAB `rgb2gray`). */
  lumaMatrix?: LumaMatrix;
}

/** Side of the Gaussian window. */
export const SSIM_WINDOW = 11;
/** Standard deviation of the Gaussian window, in pixels. */
export const SSIM_SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;
const L = 255;
const C1 = (K1 * L) ** 2;
const C2 = (K2 * L) ** 2;

const LUMA_WEIGHTS: Record<LumaMatrix, readonly [number, number, number]> = {
  bt601: [0.299, 0.587, 0.114],
  bt709: [0.2126, 0.7152, 0.0722],
};

/**
 * The normalised 1-D Gaussian kernel. Its outer product with itself is exactly the normalised 2-D
 * window (MATLAB's `fspecial('gaussian', 11, 1.5)`).
 */
export function gaussianKernel(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < size; i++) k[i]! /= sum;
  return k;
}

function validate(img: RawImage, which: string): void {
  if (img === null || typeof img !== 'object' || !(img.data instanceof Uint8Array)) {
    throw new XoayError('ssim', 'BAD_OPTION', `${which} must be { data: Uint8Array | Buffer, width, height, channels }`);
  }
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new XoayError('ssim', 'BAD_OPTION', `${which} has an invalid size ${String(width)}×${String(height)}`);
  }
  if (channels !== 3 && channels !== 4) {
    throw new XoayError('ssim', 'BAD_OPTION', `${which} must have 3 (RGB) or 4 (RGBA) channels but has ${String(channels)}`);
  }
  if (data.length !== width * height * channels) {
    throw new XoayError(
      'ssim',
      'BAD_OPTION',
      `${which} has ${data.length} bytes of data but ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
}

/**
 * Luma plane (Y′, 0–255, not rounded) of an 8-bit RGB or RGBA image; alpha is ignored, so flatten
 * transparent images onto their background first.
 */
export function luma(img: RawImage, matrix: LumaMatrix = 'bt601'): Float32Array {
  validate(img, 'image');
  assertMatrix(matrix);
  const [wr, wg, wb] = LUMA_WEIGHTS[matrix];
  const { data, channels } = img;
  const n = img.width * img.height;
  const y = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    y[i] = wr * data[j]! + wg * data[j + 1]! + wb * data[j + 2]!;
  }
  return y;
}

/**
 * Mean SSIM of two equally sized images (1 for identical images, lower for more distortion; can be
 * slightly negative for anti-correlated structure). Symmetric in `a` and `b`.
 */
export function ssim(a: RawImage, b: RawImage, options: SsimOptions = {}): number {
  validatePair(a, b, options);
  const matrix = options.lumaMatrix ?? 'bt601';
  return ssimLuma(luma(a, matrix), luma(b, matrix), a.width, a.height);
}

function validatePair(a: RawImage, b: RawImage, options: SsimOptions): void {
  validate(a, 'first image');
  validate(b, 'second image');
  if (a.width !== b.width || a.height !== b.height) {
    throw new XoayError('ssim', 'UNEQUAL_SIZES', `images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) {
    throw new XoayError('ssim', 'BAD_OPTION', `images must be at least ${SSIM_WINDOW}×${SSIM_WINDOW} pixels but are ${a.width}×${a.height}`);
  }
  assertMatrix(options.lumaMatrix ?? 'bt601');
}

function assertMatrix(matrix: unknown): asserts matrix is LumaMatrix {
  if (matrix !== 'bt601' && matrix !== 'bt709') {
    throw new XoayError('ssim', 'BAD_OPTION', `lumaMatrix must be 'bt601' or 'bt709' but is ${String(matrix)}`);
  }
}

/** A per-window SSIM map: one value per 'valid' window position, row-major. */
export interface SsimMap {
  map: Float32Array;
  /** `image width − 10`: window positions per row. */
  width: number;
  /** `image height − 10`. */
  height: number;
}

/**
 * The SSIM map of two images (same checks as {@link ssim}): value (i, j) is the SSIM of the 11×11
 * window whose top-left pixel is (i, j). Its mean is {@link ssim}. Useful to find where the
 * differences are, or to score only part of a frame.
 */
export function ssimMap(a: RawImage, b: RawImage, options: SsimOptions = {}): SsimMap {
  validatePair(a, b, options);
  const width = a.width - SSIM_WINDOW + 1;
  const height = a.height - SSIM_WINDOW + 1;
  const map = new Float32Array(width * height);
  const matrix = options.lumaMatrix ?? 'bt601';
  ssimLuma(luma(a, matrix), luma(b, matrix), a.width, a.height, map);
  return { map, width, height };
}

/**
 * Mean SSIM of two luma planes (row-major, `width × height`, values on a 0–255 scale). Exposed for
 * callers that already hold luma, e.g. to compare one reference against many candidates, or to
 * score single colour channels. When `map` is given (length `(width − 10) × (height − 10)`), the
 * per-window values are written into it as well.
 */
export function ssimLuma(x: Float32Array, y: Float32Array, width: number, height: number, map?: Float32Array): number {
  const W = SSIM_WINDOW;
  if (x.length !== width * height || y.length !== width * height) {
    throw new XoayError('ssim', 'BAD_OPTION', `luma planes must have ${width}×${height} values`);
  }
  if (width < W || height < W) {
    throw new XoayError('ssim', 'BAD_OPTION', `images must be at least ${W}×${W} pixels but are ${width}×${height}`);
  }
  const ow = width - W + 1; // output ('valid') width
  const oh = height - W + 1;
  if (map && map.length !== ow * oh) {
    throw new XoayError('ssim', 'BAD_OPTION', `the SSIM map must have ${ow}×${oh} values but has ${map.length}`);
  }

  // Per-row sources: x and y, and their products. Products of two float32 values are exact in
  // float64, so x·y == y·x bit for bit and the result is exactly symmetric in the two images.
  const px = new Float64Array(width);
  const py = new Float64Array(width);
  const pxx = new Float64Array(width);
  const pyy = new Float64Array(width);
  const pxy = new Float64Array(width);

  // Ring of the last W horizontally filtered rows of x, y, x², y², xy. Float64 keeps the
  // E[x²] − μ² cancellation harmless; the ring is small, so this costs little memory.
  const ring = (): Float64Array[] => Array.from({ length: W }, () => new Float64Array(ow));
  const hx = ring();
  const hy = ring();
  const hxx = ring();
  const hyy = ring();
  const hxy = ring();

  // Horizontal pass of input row `r` into ring slot `r % W`.
  const filterRow = (r: number): void => {
    const base = r * width;
    for (let i = 0; i < width; i++) {
      const vx = x[base + i]!;
      const vy = y[base + i]!;
      px[i] = vx;
      py[i] = vy;
      pxx[i] = vx * vx;
      pyy[i] = vy * vy;
      pxy[i] = vx * vy;
    }
    const s = r % W;
    filter11(px, hx[s]!, ow);
    filter11(py, hy[s]!, ow);
    filter11(pxx, hxx[s]!, ow);
    filter11(pyy, hyy[s]!, ow);
    filter11(pxy, hxy[s]!, ow);
  };

  // Vertical accumulators for one output row.
  const mx = new Float64Array(ow);
  const my = new Float64Array(ow);
  const mxx = new Float64Array(ow);
  const myy = new Float64Array(ow);
  const mxy = new Float64Array(ow);
  const rows: Float64Array[] = new Array<Float64Array>(W);

  for (let r = 0; r < W - 1; r++) filterRow(r);
  let total = 0;
  for (let oy = 0; oy < oh; oy++) {
    filterRow(oy + W - 1);
    // Vertical pass: tap k uses input row oy + k, which sits in ring slot (oy + k) % W.
    const vertical = (ringRows: Float64Array[], out: Float64Array): void => {
      for (let k = 0; k < W; k++) rows[k] = ringRows[(oy + k) % W]!;
      filter11Vertical(rows, out, ow);
    };
    vertical(hx, mx);
    vertical(hy, my);
    vertical(hxx, mxx);
    vertical(hyy, myy);
    vertical(hxy, mxy);

    let rowSum = 0;
    const mapRow = oy * ow;
    for (let i = 0; i < ow; i++) {
      const m1 = mx[i]!;
      const m2 = my[i]!;
      const m11 = m1 * m1;
      const m22 = m2 * m2;
      const m12 = m1 * m2;
      const s11 = mxx[i]! - m11;
      const s22 = myy[i]! - m22;
      const s12 = mxy[i]! - m12;
      const v = ((2 * m12 + C1) * (2 * s12 + C2)) / ((m11 + m22 + C1) * (s11 + s22 + C2));
      rowSum += v;
      if (map) map[mapRow + i] = v;
    }
    total += rowSum;
  }
  return total / (ow * oh);
}

// The kernel is symmetric (g[k] == g[10 − k]), so each 11-tap filter adds mirrored pairs first and
// needs six multiplies instead of eleven.
const G = gaussianKernel();
const G0 = G[0]!;
const G1 = G[1]!;
const G2 = G[2]!;
const G3 = G[3]!;
const G4 = G[4]!;
const G5 = G[5]!;

/** out[i] = Σₖ g[k]·src[i + k] for i < n ('valid' 1-D correlation). */
function filter11(src: Float64Array, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    out[i] =
      G0 * (src[i]! + src[i + 10]!) +
      G1 * (src[i + 1]! + src[i + 9]!) +
      G2 * (src[i + 2]! + src[i + 8]!) +
      G3 * (src[i + 3]! + src[i + 7]!) +
      G4 * (src[i + 4]! + src[i + 6]!) +
      G5 * src[i + 5]!;
  }
}

/** out[i] = Σₖ g[k]·rows[k][i] for i < n. */
function filter11Vertical(rows: Float64Array[], out: Float64Array, n: number): void {
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10] = rows as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  for (let i = 0; i < n; i++) {
    out[i] = G0 * (r0[i]! + r10[i]!) + G1 * (r1[i]! + r9[i]!) + G2 * (r2[i]! + r8[i]!) + G3 * (r3[i]! + r7[i]!) + G4 * (r4[i]! + r6[i]!) + G5 * r5[i]!;
  }
}

// ---------------------------------------------------------------------------------------------------
// Per-channel SSIM (scikit-image's defaults)

/** The window of a per-channel SSIM: 7×7 uniform with sample covariance (scikit-image's default), or Wang's 11×11 Gaussian. */
export type SsimWindow = 'uniform7' | 'gaussian11';
export const SSIM_WINDOWS: readonly SsimWindow[] = ['uniform7', 'gaussian11'];

/** Side of scikit-image's default uniform window. */
export const UNIFORM_WINDOW = 7;

/** One colour channel (0 = R, 1 = G, 2 = B) of an 8-bit image as a float plane (0–255). */
export function channelPlane(img: RawImage, channel: 0 | 1 | 2): Float32Array {
  validate(img, 'image');
  const { data, channels } = img;
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0, j = channel; i < n; i++, j += channels) out[i] = data[j]!;
  return out;
}

/**
 * SSIM of two planes (0–255) with a 7×7 uniform window and the sample covariance, averaged over every window wholly
 * inside the image: scikit-image's `structural_similarity(x, y, data_range=255)` (win_size 7, K1 0.01, K2 0.03).
 */
export function ssimUniform(x: Float32Array, y: Float32Array, width: number, height: number): number {
  const W = UNIFORM_WINDOW;
  if (x.length !== width * height || y.length !== width * height) {
    throw new XoayError('ssim', 'BAD_OPTION', `planes must have ${width}×${height} values`);
  }
  if (width < W || height < W) {
    throw new XoayError('ssim', 'BAD_OPTION', `images must be at least ${W}×${W} pixels but are ${width}×${height}`);
  }
  const ow = width - W + 1;
  const oh = height - W + 1;
  const np = W * W;
  const covNorm = np / (np - 1);
  // Horizontal 7-sums of x, y, x², y², xy for every row (float64: sums of squares stay exact enough), then vertical
  // running sums over 7 rows.
  const hx = new Float64Array(ow * height);
  const hy = new Float64Array(ow * height);
  const hxx = new Float64Array(ow * height);
  const hyy = new Float64Array(ow * height);
  const hxy = new Float64Array(ow * height);
  for (let r = 0; r < height; r++) {
    const base = r * width;
    const o = r * ow;
    for (let i = 0; i < ow; i++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let k = 0; k < W; k++) {
        const vx = x[base + i + k]!;
        const vy = y[base + i + k]!;
        sx += vx;
        sy += vy;
        sxx += vx * vx;
        syy += vy * vy;
        sxy += vx * vy;
      }
      hx[o + i] = sx;
      hy[o + i] = sy;
      hxx[o + i] = sxx;
      hyy[o + i] = syy;
      hxy[o + i] = sxy;
    }
  }
  let total = 0;
  for (let oy = 0; oy < oh; oy++) {
    for (let i = 0; i < ow; i++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let k = 0; k < W; k++) {
        const j = (oy + k) * ow + i;
        sx += hx[j]!;
        sy += hy[j]!;
        sxx += hxx[j]!;
        syy += hyy[j]!;
        sxy += hxy[j]!;
      }
      const ux = sx / np;
      const uy = sy / np;
      const vx = covNorm * (sxx / np - ux * ux);
      const vy = covNorm * (syy / np - uy * uy);
      const vxy = covNorm * (sxy / np - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
  }
  return total / (ow * oh);
}

/** SSIM of each of R, G and B (alpha ignored) with the given window (default: scikit-image's 7×7 uniform). */
export function ssimChannels(a: RawImage, b: RawImage, options: { window?: SsimWindow } = {}): [number, number, number] {
  validate(a, 'first image');
  validate(b, 'second image');
  if (a.width !== b.width || a.height !== b.height) {
    throw new XoayError('ssim', 'UNEQUAL_SIZES', `images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  const window = options.window ?? 'uniform7';
  if (!SSIM_WINDOWS.includes(window)) throw new XoayError('ssim', 'BAD_OPTION', `window must be 'uniform7' or 'gaussian11' but is ${String(window)}`);
  const score = (c: 0 | 1 | 2) => {
    const x = channelPlane(a, c);
    const y = channelPlane(b, c);
    return window === 'uniform7' ? ssimUniform(x, y, a.width, a.height) : ssimLuma(x, y, a.width, a.height);
  };
  return [score(0), score(1), score(2)];
}

/** Mean of the per-channel SSIMs ({@link ssimChannels}): scikit-image's `structural_similarity(a, b, channel_axis=-1, data_range=255)`. */
export function ssimRgb(a: RawImage, b: RawImage, options: { window?: SsimWindow } = {}): number {
  const [r, g, bl] = ssimChannels(a, b, options);
  return (r + g + bl) / 3;
}

/**
 * scikit-image's `peak_signal_noise_ratio` for two 8-bit images of the same layout (data range 255), in dB; Infinity
 * when they are identical. The 3D Commerce certification scores renders with it on 8-bit RGB.
 */
export function psnr(a: Pick<RawImage, 'data'>, b: Pick<RawImage, 'data'>): number {
  if (a.data.length !== b.data.length)
    throw new XoayError('ssim', 'BAD_OPTION', `psnr needs images of the same size (${a.data.length} and ${b.data.length} bytes)`);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10(255 ** 2 / (se / a.data.length));
}
