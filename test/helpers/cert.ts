/**
 * The Khronos 3D Commerce certification's image metrics (../shared/data/cert/evaluation.py): scikit-image's
 * `structural_similarity` with its defaults (a 7 × 7 uniform window, sample covariance, K1 0.01, K2 0.03, data range
 * 255, the mean over each channel with the 3-pixel border cropped, then over channels) and `peak_signal_noise_ratio` on
 * 8-bit RGB. Pass: SSIM > 0.7 and PSNR > 20 (thresholds.csv). Local sums come from summed-area tables: O(pixels).
 */
import sharp from 'sharp';

export const CERT_PASS = { ssim: 0.7, psnr: 20 };

export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** An image as 8-bit RGB on white (the references' background), resized to `size` × `size` if it is not. */
export async function rgbOnWhite(input: string | Buffer, size: number): Promise<Rgb> {
  const { data, info } = await sharp(input)
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** scikit-image structural_similarity(a, b, channel_axis=-1) for 8-bit RGB (see above). */
export function ssim7(a: Rgb, b: Rgb): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`ssim7: sizes differ (${a.width}×${a.height}, ${b.width}×${b.height})`);
  const { width: w, height: h } = a;
  const W = 7;
  const R = 3;
  const N = W * W;
  const cov = N / (N - 1);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const W1 = w + 1;
  const tables = Array.from({ length: 5 }, () => new Float64Array(W1 * (h + 1)));
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const [sa, sb, saa, sbb, sab] = tables as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    for (let y = 0; y < h; y++) {
      let ra = 0;
      let rb = 0;
      let raa = 0;
      let rbb = 0;
      let rab = 0;
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3 + c;
        const va = a.data[i]!;
        const vb = b.data[i]!;
        ra += va;
        rb += vb;
        raa += va * va;
        rbb += vb * vb;
        rab += va * vb;
        const j = (y + 1) * W1 + x + 1;
        const k = j - W1;
        sa[j] = sa[k]! + ra;
        sb[j] = sb[k]! + rb;
        saa[j] = saa[k]! + raa;
        sbb[j] = sbb[k]! + rbb;
        sab[j] = sab[k]! + rab;
      }
    }
    const box = (t: Float64Array, x: number, y: number) =>
      t[(y + R + 1) * W1 + x + R + 1]! - t[(y - R) * W1 + x + R + 1]! - t[(y + R + 1) * W1 + x - R]! + t[(y - R) * W1 + x - R]!;
    let sum = 0;
    for (let y = R; y < h - R; y++) {
      for (let x = R; x < w - R; x++) {
        const ma = box(sa, x, y) / N;
        const mb = box(sb, x, y) / N;
        const va = cov * (box(saa, x, y) / N - ma * ma);
        const vb = cov * (box(sbb, x, y) / N - mb * mb);
        const vab = cov * (box(sab, x, y) / N - ma * mb);
        sum += ((2 * ma * mb + C1) * (2 * vab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      }
    }
    total += sum / ((w - 2 * R) * (h - 2 * R));
  }
  return total / 3;
}

/** scikit-image peak_signal_noise_ratio for 8-bit images (dB; Infinity when identical). */
export function psnr(a: Rgb, b: Rgb): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10(255 ** 2 / (se / a.data.length));
}
