/**
 * QR codes of a product's public URL, ready to print on a tag: `qr.svg` (scales to any size) and
 * `qr.png` (1024 px, for tools that want a bitmap). Error correction level M (15 %) survives the
 * scuffs a product tag gets, and the 4-module quiet zone the standard asks for is kept.
 */
import QRCode from 'qrcode';

export const QR_OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 4 };

export async function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { ...QR_OPTIONS, type: 'svg' });
}

export async function qrPng(url: string, width = 1024): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', width });
}
