/**
 * Encode: a width ladder (never upscaled past the processed frame) in AVIF, WebP and JPEG (mozjpeg,
 * progressive), sRGB with metadata stripped; plus a preview sprite per row, a poster and a placeholder.
 * The encoder settings were chosen by measurement (bench/encoder-settings.ts, BENCHMARKS.md).
 */
import { rgbaToThumbHash } from 'thumbhash';
import { XoayError } from '../core/errors.js';
import { sharp } from '../core/image.js';
import { assertInteger, invalid } from '../core/options.js';
import { SPIN_FORMATS, type SpinFormat } from './choices.js';

const STAGE = 'encode';

export { SPIN_FORMATS, type SpinFormat } from './choices.js';
export const EXTENSION: Record<SpinFormat, string> = { avif: 'avif', webp: 'webp', jpeg: 'jpg' };

export interface EncodeOptions {
  /** Width ladder in pixels; widths above the processed frame are dropped (its own width is used instead). */
  widths: number[];
  /** Output formats. */
  formats: SpinFormat[];
  /** Width of one frame in the preview sprite. */
  spriteWidth: number;
  /** Encoder settings per format (sharp options). */
  avif: { quality: number; effort: number; chromaSubsampling: string };
  webp: { quality: number; effort: number; smartSubsample: boolean };
  jpeg: { quality: number; mozjpeg: boolean; progressive: boolean };
}

export const ENCODE_DEFAULTS: EncodeOptions = {
  widths: [512, 1024, 2048],
  formats: ['avif', 'webp', 'jpeg'],
  spriteWidth: 160,
  // Chosen by measurement (bench/encoder-settings.ts, bench/results/encoder-settings.md, and the
  // effort check in BENCHMARKS.md): every setting here keeps frame SSIM ≥ 0.99 on white and grey
  // product frames. AVIF effort 1 is 2.2× faster than effort 2 for 3 % more bytes (effort 4: 6× slower
  // again for 15 % fewer). AVIF keeps full-resolution chroma (4:4:4): 4:2:0 saves a few % of bytes but
  // its chroma bleeds into the pure white backdrop next to saturated edges (purity 99.45 % against
  // 99.91 % on the sample shoot). WebP's smart subsampling costs 2–2.5× the time for no SSIM gain.
  avif: { quality: 45, effort: 1, chromaSubsampling: '4:4:4' },
  webp: { quality: 75, effort: 4, smartSubsample: false },
  jpeg: { quality: 80, mozjpeg: true, progressive: true },
};

export function validateEncodeOptions(o: EncodeOptions): void {
  if (!Array.isArray(o.widths) || o.widths.length === 0) throw invalid(STAGE, 'widths', 'a non-empty list of widths', o.widths);
  for (const w of o.widths) assertInteger(STAGE, 'widths', w, 16, 16384);
  if (!Array.isArray(o.formats) || o.formats.length === 0 || o.formats.some((f) => !SPIN_FORMATS.includes(f))) {
    throw invalid(STAGE, 'formats', `a non-empty list of ${SPIN_FORMATS.join(', ')}`, o.formats);
  }
  assertInteger(STAGE, 'spriteWidth', o.spriteWidth, 16, 1024);
}

/** The widths actually produced for a processed frame `width` pixels wide: never upscaled. */
export function ladder(widths: readonly number[], width: number): number[] {
  const sorted = [...new Set(widths)].sort((a, b) => a - b);
  const below = sorted.filter((w) => w < width);
  const top = Math.min(sorted[sorted.length - 1]!, width);
  return [...new Set([...below, top])].sort((a, b) => a - b);
}

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

function fromRaw(img: RawImage) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

/** Encode one processed frame at one width in one format. JPEG has no alpha: it is flattened onto white. */
export async function encodeImage(img: RawImage, width: number, format: SpinFormat, o: EncodeOptions): Promise<Buffer> {
  let p = fromRaw(img);
  if (width !== img.width) p = p.resize({ width, kernel: 'lanczos3' });
  switch (format) {
    case 'avif':
      return p.avif(o.avif).toBuffer();
    case 'webp':
      return p.webp({ ...o.webp, alphaQuality: 90 }).toBuffer();
    case 'jpeg':
      return (img.channels === 4 ? p.flatten({ background: '#ffffff' }) : p).jpeg(o.jpeg).toBuffer();
  }
}

/** A resized RGB(A) copy of a processed frame (a rung of the ladder, or a sprite thumbnail). */
export async function resizeRaw(img: RawImage, width: number): Promise<RawImage> {
  if (width === img.width) return img;
  const { data, info } = await fromRaw(img).resize({ width, kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: img.channels };
}

/** One frame's renditions (encodeLadder). */
export interface FrameRenditions {
  /** Each rendition's file, relative to the output folder, by width and format. */
  src: Record<string, Partial<Record<SpinFormat, string>>>;
  /** Each rendition's size in bytes, by width and format. */
  bytes: Record<string, Record<string, number>>;
  /** The smallest rung, raw (the sprite's thumbnail is made from it). */
  smallest: RawImage;
  /** The renditions `qaWidth` wide, decoded back to pixels, by format: what QA measures. */
  decoded: Map<SpinFormat, RawImage>;
}

/**
 * Encode one processed frame at every width of `o.widths` in every format of `o.formats`, largest width
 * first: resized once per rung, then every format encoded from it. `name(width, format)` gives each file's
 * path, `write` stores it; `file` names the frame in errors.
 */
export async function encodeLadder(
  img: RawImage,
  o: EncodeOptions,
  qaWidth: number,
  file: string,
  name: (width: number, format: SpinFormat) => string,
  write: (rel: string, data: Uint8Array) => Promise<void>,
): Promise<FrameRenditions> {
  const src: FrameRenditions['src'] = {};
  const bytes: FrameRenditions['bytes'] = {};
  const decoded = new Map<SpinFormat, RawImage>();
  let smallest = img;
  for (const w of [...o.widths].reverse()) {
    src[String(w)] = {};
    bytes[String(w)] = {};
    // Resize once per rung, then encode every format from it.
    const rung = await resizeRaw(img, w);
    smallest = rung;
    for (const fmt of o.formats) {
      const data = await encodeImage(rung, w, fmt, o).catch((e: unknown) => {
        throw new XoayError('encode', 'BAD_OPTION', `cannot encode ${fmt} at ${rung.width}×${rung.height} (${(e as Error).message})`, file, { cause: e });
      });
      const rel = name(w, fmt);
      await write(rel, data);
      src[String(w)]![fmt] = rel;
      bytes[String(w)]![fmt] = data.length;
      if (w === qaWidth) decoded.set(fmt, await decodeRendition(data));
    }
  }
  return { src, bytes, smallest, decoded };
}

/** Decode an encoded rendition back to raw pixels (RGB, or RGBA when it has alpha). */
export async function decodeRendition(data: Buffer): Promise<RawImage> {
  const { data: px, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(px.buffer, px.byteOffset, px.length), width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}

export interface SpriteLayout {
  columns: number;
  rows: number;
  frameWidth: number;
  frameHeight: number;
}

export function spriteLayout(count: number, frameWidth: number, frameHeight: number): SpriteLayout {
  const columns = Math.ceil(Math.sqrt(count));
  return { columns, rows: Math.ceil(count / columns), frameWidth, frameHeight };
}

/**
 * All of a row's thumbnails in one image, row-major, composited once and encoded as AVIF, WebP and JPEG. The sprite is
 * what makes a spin draggable, so its bytes are the time to first drag: AVIF is about a third of the WebP.
 */
export async function encodeSprite(thumbs: RawImage[]): Promise<{ avif: Buffer; jpeg: Buffer; webp: Buffer; layout: SpriteLayout }> {
  const first = thumbs[0]!;
  const layout = spriteLayout(thumbs.length, first.width, first.height);
  const channels = first.channels;
  const canvas = sharp({
    create: {
      width: layout.columns * layout.frameWidth,
      height: layout.rows * layout.frameHeight,
      channels,
      background: channels === 4 ? { r: 255, g: 255, b: 255, alpha: 0 } : { r: 255, g: 255, b: 255 },
    },
  }).composite(
    thumbs.map((t, i) => ({
      input: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length),
      raw: { width: t.width, height: t.height, channels: t.channels },
      left: (i % layout.columns) * layout.frameWidth,
      top: Math.floor(i / layout.columns) * layout.frameHeight,
    })),
  );
  // Composite once into raw pixels, then encode each format from them.
  const { data, info } = await canvas.raw().toBuffer({ resolveWithObject: true });
  const flat = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 | 4 } });
  const [avif, webp, jpeg] = await Promise.all([
    // A preview shown scaled up for a moment: q40 (about half the WebP's bytes) is enough.
    flat().avif({ quality: 40, effort: 2, chromaSubsampling: '4:2:0' }).toBuffer(),
    flat().webp({ quality: 75, effort: 4, alphaQuality: 80 }).toBuffer(),
    (channels === 4 ? flat().flatten({ background: '#ffffff' }) : flat()).jpeg({ quality: 75, mozjpeg: true, progressive: true }).toBuffer(),
  ]);
  return { avif, jpeg, webp, layout };
}

/** A ThumbHash placeholder (base64) of a small RGB(A) image (≤ 100 px per side). */
export async function placeholder(img: RawImage): Promise<string> {
  const { data, info } = await fromRaw(img).resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const hash = rgbaToThumbHash(info.width, info.height, data);
  return Buffer.from(hash).toString('base64');
}
