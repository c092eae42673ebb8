/**
 * The Khronos 3D Commerce certification's image metrics (../shared/data/cert/evaluation.py): scikit-image's
 * `structural_similarity` with its defaults (a 7 × 7 uniform window, sample covariance, K1 0.01, K2 0.03, data range
 * 255, the mean over each channel with the 3-pixel border cropped, then over channels) and `peak_signal_noise_ratio` on
 * 8-bit RGB. Pass: SSIM > 0.7 and PSNR > 20 (thresholds.csv).
 */
import sharp from 'sharp';
import { ssimRgb } from '../../pipeline/core/ssim.js';

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

/** scikit-image structural_similarity(a, b, channel_axis=-1) for 8-bit RGB: pipeline/core/ssim.ts's uniform 7 × 7. */
export function ssim7(a: Rgb, b: Rgb): number {
  return ssimRgb({ ...a, channels: 3 }, { ...b, channels: 3 }, { window: 'uniform7' });
}

/** scikit-image peak_signal_noise_ratio for 8-bit images (dB; Infinity when identical). */
export { psnr } from '../../pipeline/core/ssim.js';
