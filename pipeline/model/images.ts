/**
 * Images: every texture of a read model is checked before any stage uses it: its bytes are one of the formats a
 * product model may carry (PNG, JPEG, WebP, AVIF, KTX2; told by their first bytes, not by the name or the mime type:
 * an SVG saved as .png is refused here rather than measured as 976170871 × 2004299383), not empty, within the pixel
 * limits, and decodable to the end, strictly (libvips' warnings are errors, as in the textures stage: a truncated or
 * corrupt JPEG is named here, not in the middle of the textures stage). A KTX2 texture is parsed (ktx2Problem). A
 * texture whose declared mime type is not what its bytes are takes the mime type of its bytes (glTF Transform sizes an
 * image by its mime type: a PNG declared as JPEG threw "Invalid JPG, marker table corrupted").
 */
import { type Document, ImageUtils, type Texture } from '@gltf-transform/core';
import { read as readKtx2 } from 'ktx-parse';
import sharp from 'sharp';
import { echo, XoayError } from '../core/errors.js';

const STAGE = 'read';

export interface ImagesOptions {
  /** Largest texture accepted, in pixels (a decompression-bomb guard). */
  limitInputPixels: number;
  /** Largest texture side accepted, in pixels. */
  maxSide: number;
}

export const IMAGES_DEFAULTS: ImagesOptions = { limitInputPixels: 100_000_000, maxSide: 16384 };

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'avif' | 'ktx2';

const MIME: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', avif: 'image/avif', ktx2: 'image/ktx2' };

/** KTX2 supercompression schemes: none, BasisLZ (ETC1S), Zstandard, zlib. */
const KTX2_SCHEMES = ['none', 'BasisLZ', 'Zstandard', 'zlib'];

/**
 * What is wrong with a KTX2 file, or undefined: it must parse (ktx-parse), be one 2D image (no depth, layers or cube
 * faces), have its mip levels inside the file and no more than its size allows, a known supercompression scheme (BasisLZ
 * with its global data), and a size within `limits`.
 */
export function ktx2Problem(bytes: Uint8Array, limits: ImagesOptions = IMAGES_DEFAULTS): string | undefined {
  let k: ReturnType<typeof readKtx2>;
  try {
    k = readKtx2(bytes);
  } catch (e) {
    return `does not parse (${firstLine(e)})`;
  }
  const { pixelWidth: w, pixelHeight: h } = k;
  if (w < 1 || h < 1) return `is ${w}×${h} pixels: a texture needs both sides`;
  if (k.pixelDepth > 1 || k.layerCount > 1 || k.faceCount !== 1)
    return `is not one 2D image (depth ${k.pixelDepth}, ${k.layerCount} layers, ${k.faceCount} faces)`;
  if (Math.max(w, h) > limits.maxSide || w * h > limits.limitInputPixels)
    return `is ${w}×${h}, over the limit of ${limits.maxSide} px a side and ${limits.limitInputPixels} pixels (a possible decompression bomb)`;
  const maxLevels = Math.floor(Math.log2(Math.max(w, h))) + 1;
  if (k.levelCount > maxLevels) return `declares ${k.levelCount} mip levels, more than a ${w}×${h} image has (${maxLevels})`;
  if (k.supercompressionScheme >= KTX2_SCHEMES.length) return `uses an unknown supercompression scheme (${k.supercompressionScheme})`;
  for (const [i, level] of k.levels.entries()) if (level.levelData.byteLength === 0) return `has no data for mip level ${i}`;
  if (k.supercompressionScheme === 1 && !k.globalData) return 'is BasisLZ-compressed but has no global data (codebooks)';
  const dfd = k.dataFormatDescriptor[0];
  if (!dfd || dfd.descriptorType !== 0) return 'has no basic data format descriptor';
  return undefined;
}

/** The format told by the first bytes, or undefined. */
export function sniffImage(b: Uint8Array): ImageFormat | undefined {
  const at = (i: number, s: string) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (b.length >= 12 && at(4, 'ftyp') && (at(8, 'avif') || at(8, 'avis') || at(8, 'mif1'))) return 'avif';
  if (b.length >= 12 && b[0] === 0xab && at(1, 'KTX 20') && b[7] === 0xbb) return 'ktx2';
  return undefined;
}

/** How a texture is named in messages: its index, name and image file. */
export function textureLabel(doc: Document, t: Texture): string {
  const i = doc.getRoot().listTextures().indexOf(t);
  const parts = [t.getName() ? `"${t.getName()}"` : '', t.getURI() ? `image ${echo(t.getURI(), 80)}` : ''].filter(Boolean);
  return `texture ${i}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Checks every texture's bytes; throws a one-line XoayError naming the model file and the texture. */
export async function checkImages(doc: Document, file: string, opts?: Partial<ImagesOptions>): Promise<void> {
  const o = { ...IMAGES_DEFAULTS, ...opts };
  for (const t of doc.getRoot().listTextures()) {
    const label = textureLabel(doc, t);
    const bytes = t.getImage();
    if (!bytes || bytes.length === 0) throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `${label} is empty (0 bytes)`, file);
    const format = sniffImage(bytes);
    if (!format) {
      const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
      throw new XoayError(
        STAGE,
        'UNREADABLE_IMAGE',
        `${label} is not a PNG, JPEG, WebP, AVIF or KTX2 image (its first bytes: ${echo(head)}${t.getMimeType() ? `; declared ${echo(t.getMimeType(), 40)}` : ''})`,
        file,
      );
    }
    if (MIME[format] !== t.getMimeType()) t.setMimeType(MIME[format]);
    if (format === 'ktx2') {
      // Transcoded by the viewer; glTF Transform reads its size from the header.
      const problem = ktx2Problem(bytes, o);
      if (problem) throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `${label} is a KTX2 image that ${problem}`, file);
      continue;
    }
    let width = 0,
      height = 0;
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      width = meta.width ?? 0;
      height = meta.height ?? 0;
    } catch (e) {
      throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `${label} is not a readable ${format.toUpperCase()} (${firstLine(e)})`, file);
    }
    if (Math.max(width, height) > o.maxSide || width * height > o.limitInputPixels) {
      throw new XoayError(
        STAGE,
        'PIXEL_LIMIT',
        `${label} is ${width}×${height}, over the limit of ${o.maxSide} px a side and ${o.limitInputPixels} pixels (a possible decompression bomb)`,
        file,
      );
    }
    try {
      // Decoded to the end (JPEG shrink-on-load keeps this cheap), as strictly as sharp decodes by default in the
      // textures stage: a truncated or corrupt file fails here.
      await sharp(bytes, { limitInputPixels: o.limitInputPixels, failOn: 'warning' }).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
    } catch (e) {
      throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `${label} cannot be decoded: ${firstLine(e)}`, file);
    }
    try {
      if (!ImageUtils.getSize(bytes, MIME[format])) throw new Error('no size in its header');
    } catch (e) {
      throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `${label}: the size in its ${format.toUpperCase()} header cannot be read (${firstLine(e)})`, file);
    }
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e)
    .split('\n')[0]!
    .slice(0, 200);
}
