/**
 * Textures: resize to a maximum size and re-encode: KTX2 (Basis Universal, ETC1S or UASTC per slot:
 * see ktx2.ts), or WebP, AVIF or JPEG with sharp (libvips), or keep them as they are.
 */
import type { Transform } from '@gltf-transform/core';
import { TextureResizeFilter, textureCompress } from '@gltf-transform/functions';
import { sharp } from '../core/image.js';
import { chooseKtx2Encoder, type Ktx2EncoderChoice } from './basisu.js';
import { ktx2Textures } from './ktx2.js';

export type TextureMode = 'ktx2' | 'webp' | 'avif' | 'jpeg' | 'keep';
export const TEXTURE_MODES: readonly TextureMode[] = ['ktx2', 'webp', 'avif', 'jpeg', 'keep'];

export interface TextureOptions {
  mode: TextureMode;
  /** Largest texture side, in pixels. */
  maxSize: number;
  /** Encoder quality (1–100). */
  quality: number;
  /** Encoder effort (0–100, glTF Transform's scale: WebP 0–6, AVIF 0–9); more is smaller and slower. */
  effort: number;
  /** KTX2 encoder: native basisu when installed (auto), or the in-process WASM. */
  ktx2Encoder: Ktx2EncoderChoice;
}

// Quality 80 (sharp's default, as gltf-transform optimize); effort 100 = WebP method 6: 3–6 % smaller
// than the default effort for ~0.1 s per model (bench/results/model.md).
export const TEXTURE_DEFAULTS: TextureOptions = { mode: 'webp', maxSize: 2048, quality: 80, effort: 100, ktx2Encoder: 'auto' };

export function textures(opts?: Partial<TextureOptions>): Transform[] {
  const o = { ...TEXTURE_DEFAULTS, ...opts };
  if (o.mode === 'keep') return [];
  if (o.mode === 'ktx2') {
    // Rate-distortion optimisation (≈30 % smaller UASTC) when the native encoder makes it affordable.
    const encoder = chooseKtx2Encoder(o.ktx2Encoder);
    return [ktx2Textures({ maxSize: o.maxSize, encoder, uastcRdo: encoder.name === 'basisu-native' ? 1 : 0 })];
  }
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
