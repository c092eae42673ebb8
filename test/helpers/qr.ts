/** QR codes read back as a phone would: jsqr over the decoded pixels. */
import jsQRModule from 'jsqr';
import sharp from 'sharp';

// jsqr is CommonJS with its function on `default`; Node's ESM interop hands over module.exports.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as (
  data: Uint8ClampedArray,
  w: number,
  h: number,
) => { data: string } | null;

/**
 * The text of the QR code in an image (PNG, SVG, a screenshot), or undefined. `onWhite` first flattens it onto white
 * and adds a 16 px white margin (a screenshot of a code drawn on a page has no quiet zone of its own).
 */
export async function decodeQr(image: Buffer, opts: { onWhite?: boolean } = {}): Promise<string | undefined> {
  let img = sharp(image);
  if (opts.onWhite) img = img.flatten({ background: '#ffffff' }).extend({ top: 16, bottom: 16, left: 16, right: 16, background: '#ffffff' });
  const { data, info } = await img.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data;
}
