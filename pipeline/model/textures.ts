/**
 * Textures: resize to a maximum size and re-encode: KTX2 (Basis Universal, ETC1S or UASTC per slot:
 * see ktx2.ts), or WebP, AVIF or JPEG with sharp (libvips), or keep them as they are, or `auto` (the default):
 * per texture, KTX2 only where the GPU memory budget needs it, WebP elsewhere, and never a bigger file than the
 * texture given.
 *
 * Why `auto`: KTX2 stays compressed on the GPU (≈ 1/5 of RGBA8), which is what keeps a phone with many large textures
 * from running out of memory, but its files are 3–6× larger than WebP's for the same 1k textures (sofa: 1.7 MB against
 * 281 KB) and take seconds to encode. A product with a few 1k textures decodes to 20–30 MiB: well within a phone's
 * budget, so the smaller download wins. Only when the decoded textures exceed the budget do the largest go KTX2, one
 * by one, until the rest fits.
 */
import type { Document, Texture, Transform } from '@gltf-transform/core';
import { ImageUtils } from '@gltf-transform/core';
import { EXTTextureWebP } from '@gltf-transform/extensions';
import { compressTexture, createTransform, fitWithin, listTextureSlots, TextureResizeFilter, textureCompress } from '@gltf-transform/functions';
import { sharp } from '../core/image.js';
import { chooseKtx2Encoder, type Ktx2EncoderChoice } from './basisu.js';
import { ktx2GpuBytes, ktx2Settings, ktx2Textures, labelOf, rgba8GpuBytes } from './ktx2.js';
import { DEFAULT_TEXTURE_QUALITY, type TextureMode } from './choices.js';

export { TEXTURE_MODES, type TextureMode } from './choices.js';

export interface TextureOptions {
  mode: TextureMode;
  /** Largest texture side, in pixels. */
  maxSize: number;
  /**
   * Encoder quality (1–100): WebP, AVIF and JPEG take it as it is; KTX2 maps it onto ETC1S quality (80 → basisu's
   * `-q 128`, 100 → 255: {@link etc1sQualityFor}) and, above 80, turns UASTC rate-distortion optimisation off.
   */
  quality: number;
  /** Encoder effort (0–100, glTF Transform's scale: WebP 0–6, AVIF 0–9); more is smaller and slower. */
  effort: number;
  /** KTX2 encoder: native basisu when installed (auto), or the in-process WASM. */
  ktx2Encoder: Ktx2EncoderChoice;
  /** GPU memory the decoded textures may take, in bytes (`auto`: above it the largest textures go KTX2). */
  gpuBudget: number;
  /** Called once per texture (`auto`) with the format chosen and why. */
  onChoice: ((choice: TextureChoice) => void) | undefined;
}

/** What `auto` did with one texture, for the report. */
export interface TextureChoice {
  texture: string;
  /** Material slots that use it. */
  slots: string[];
  /** What was written: 'ktx2-etc1s', 'ktx2-uastc', 'webp', or the source's format when it was kept. */
  format: string;
  reason: string;
  before: { mimeType: string; width: number; height: number; bytes: number; gpuBytes: number };
  after: { mimeType: string; width: number; height: number; bytes: number; gpuBytes: number };
}

// Quality 80 (sharp's default, as gltf-transform optimize); effort 100 = WebP method 6: 3–6 % smaller
// than the default effort for ~0.1 s per model (bench/results/model.md).
export const TEXTURE_DEFAULTS: TextureOptions = {
  mode: 'webp',
  maxSize: 2048,
  quality: DEFAULT_TEXTURE_QUALITY,
  effort: 100,
  ktx2Encoder: 'auto',
  gpuBudget: Number.POSITIVE_INFINITY,
  onChoice: undefined,
};

export function textures(opts?: Partial<TextureOptions>): Transform[] {
  const o = { ...TEXTURE_DEFAULTS, ...opts };
  if (o.mode === 'keep') return [];
  if (o.mode === 'auto') return [autoTextures(o)];
  if (o.mode === 'ktx2') return [ktx2Transform(o, undefined)];
  return [
    textureCompress({
      encoder: sharp,
      targetFormat: o.mode,
      resize: [o.maxSize, o.maxSize],
      resizeFilter: TextureResizeFilter.LANCZOS3,
      quality: o.quality,
      effort: o.effort,
    }),
  ];
}

/**
 * ETC1S quality (basisu `-q`, 1–255) for a texture quality of 1–100: the default 80 gives basisu's 128, 100 its best
 * (255), linear in between and below.
 */
export function etc1sQualityFor(quality: number): number {
  const q = Math.min(100, Math.max(1, quality));
  return Math.max(1, Math.min(255, Math.round(q <= 80 ? (q * 128) / 80 : 128 + ((q - 80) * 127) / 20)));
}

function ktx2Transform(o: TextureOptions, filter: ((t: Texture) => boolean) | undefined): Transform {
  // Rate-distortion optimisation (≈30 % smaller UASTC) when the native encoder makes it affordable, unless a quality
  // above the default asks for the best.
  const encoder = chooseKtx2Encoder(o.ktx2Encoder);
  const rdo = encoder.name === 'basisu-native' && o.quality <= TEXTURE_DEFAULTS.quality ? 1 : 0;
  return ktx2Textures({ maxSize: o.maxSize, encoder, uastcRdo: rdo, etc1sQuality: etc1sQualityFor(o.quality), filter });
}

/** One texture as `auto` sees it: its size after resizing and what it would take on the GPU either way. */
interface Planned {
  texture: Texture;
  label: string;
  before: TextureChoice['before'];
  width: number;
  height: number;
  ktx2: boolean;
  reason: string;
}

/**
 * Plans the formats: every texture WebP (RGBA8 on the GPU), then, while the total is over the budget, the largest
 * remaining one KTX2. Already-KTX2 textures stay as they are.
 */
export function planTextures(doc: Document, o: Pick<TextureOptions, 'maxSize' | 'gpuBudget'>): Planned[] {
  const plans = doc
    .getRoot()
    .listTextures()
    .map((texture, i): Planned => {
      const mimeType = texture.getMimeType();
      const image = texture.getImage();
      const size = (image && ImageUtils.getSize(image, mimeType)) || [0, 0];
      const [width, height] = fitWithin(size as [number, number], [o.maxSize, o.maxSize]);
      const ktx2 = mimeType === 'image/ktx2';
      const gpuBytes = ktx2 ? ktx2GpuBytes(size[0], size[1], ktx2Settings(texture).mode) : rgba8GpuBytes(size[0], size[1]);
      const before = { mimeType, width: size[0], height: size[1], bytes: image?.byteLength ?? 0, gpuBytes };
      return { texture, label: labelOf(texture, i), before, width, height, ktx2, reason: ktx2 ? 'given as KTX2' : '' };
    });
  const gpu = (p: Planned) => (p.ktx2 ? ktx2GpuBytes(p.width, p.height, ktx2Settings(p.texture).mode) : rgba8GpuBytes(p.width, p.height));
  let total = plans.reduce((n, p) => n + gpu(p), 0);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const over = total > o.gpuBudget;
  const largestFirst = plans.filter((p) => !p.ktx2).sort((a, b) => gpu(b) - gpu(a));
  for (const p of largestFirst) {
    if (total <= o.gpuBudget) {
      p.reason = over
        ? `WebP: the textures fit the GPU budget (${mib(o.gpuBudget)}) once the larger ones are KTX2`
        : `WebP: all textures decode to ${mib(total)}, within the GPU budget (${mib(o.gpuBudget)}); a smaller download than KTX2`;
      continue;
    }
    const rgba8 = gpu(p);
    p.ktx2 = true;
    total -= rgba8 - gpu(p);
    p.reason = `KTX2: the textures would decode to more than the GPU budget (${mib(o.gpuBudget)}); this one takes ${mib(rgba8)} as RGBA8, ${mib(gpu(p))} as KTX2`;
  }
  return plans;
}

function autoTextures(o: TextureOptions): Transform {
  return createTransform('textures', async (doc: Document) => {
    const plans = planTextures(doc, o);
    const toKtx2 = new Set(plans.filter((p) => p.ktx2 && p.before.mimeType !== 'image/ktx2').map((p) => p.texture));
    if (toKtx2.size) await doc.transform(ktx2Transform(o, (t) => toKtx2.has(t)));
    // All at once: libwebp encodes one image on one thread, so one at a time leaves the other cores idle.
    await Promise.all(plans.filter((p) => !p.ktx2).map((p) => webTexture(p, o)));
    for (const p of plans) {
      const t = p.texture;
      const image = t.getImage()!;
      const mimeType = t.getMimeType();
      const settings = ktx2Settings(t);
      const isKtx2 = mimeType === 'image/ktx2';
      const size = isKtx2 ? { width: p.width, height: p.height } : sizeOf(image, mimeType, p);
      o.onChoice?.({
        texture: p.label,
        slots: listTextureSlots(t),
        format: isKtx2 ? `ktx2-${settings.mode}` : mimeType.replace('image/', ''),
        reason: p.reason,
        before: p.before,
        after: {
          mimeType,
          ...size,
          bytes: image.byteLength,
          gpuBytes: isKtx2 ? ktx2GpuBytes(size.width, size.height, settings.mode) : rgba8GpuBytes(size.width, size.height),
        },
      });
    }
    const webp = doc
      .getRoot()
      .listTextures()
      .some((t) => t.getMimeType() === 'image/webp');
    if (webp) doc.createExtension(EXTTextureWebP).setRequired(true);
  });
}

function sizeOf(image: Uint8Array, mimeType: string, p: Planned): { width: number; height: number } {
  const s = ImageUtils.getSize(image, mimeType);
  return s ? { width: s[0], height: s[1] } : { width: p.width, height: p.height };
}

/**
 * WebP at the stage's quality, unless the texture as given is already smaller at the same size: a well-compressed
 * JPEG is kept (the output is never larger than the input because of a texture).
 */
async function webTexture(p: Planned, o: TextureOptions): Promise<void> {
  const t = p.texture;
  const image = t.getImage();
  if (!image) return;
  const mimeType = t.getMimeType();
  const uri = t.getURI();
  const resize = p.width !== p.before.width || p.height !== p.before.height;
  await compressTexture(t, {
    encoder: sharp,
    targetFormat: 'webp',
    resize: resize ? [o.maxSize, o.maxSize] : undefined,
    resizeFilter: TextureResizeFilter.LANCZOS3,
    quality: o.quality,
    effort: o.effort,
  });
  if (resize) {
    p.reason += '; resized to the budget';
  } else if (t.getImage()!.byteLength >= image.byteLength) {
    t.setImage(image).setMimeType(mimeType).setURI(uri);
    p.reason = `kept as ${mimeType.replace('image/', '').toUpperCase()}: WebP would not be smaller (${p.reason})`;
  }
}
