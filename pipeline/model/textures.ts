/**
 * Textures: resize to a maximum size and re-encode with sharp (libvips): WebP, AVIF or JPEG, or keep
 * them as they are. (KTX2 with ktx2-encoder is the next step of the model issue.)
 */
import type { Transform } from '@gltf-transform/core';
import { TextureResizeFilter, textureCompress } from '@gltf-transform/functions';
import { sharp } from '../core/image.js';

export type TextureMode = 'webp' | 'avif' | 'jpeg' | 'keep';
export const TEXTURE_MODES: readonly TextureMode[] = ['webp', 'avif', 'jpeg', 'keep'];

export interface TextureOptions {
  mode: TextureMode;
  /** Largest texture side, in pixels. */
  maxSize: number;
  /** Encoder quality (1–100). */
  quality: number;
}

export const TEXTURE_DEFAULTS: TextureOptions = { mode: 'webp', maxSize: 2048, quality: 85 };

export function textures(opts?: Partial<TextureOptions>): Transform[] {
  const o = { ...TEXTURE_DEFAULTS, ...opts };
  if (o.mode === 'keep') return [];
  return [
    textureCompress({
      encoder: sharp,
      targetFormat: o.mode,
      resize: [o.maxSize, o.maxSize],
      resizeFilter: TextureResizeFilter.LANCZOS3,
      quality: o.quality,
    }),
  ];
}
