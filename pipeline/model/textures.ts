/**
 * Textures: resize to a maximum size and re-encode: KTX2 (Basis Universal, ETC1S or UASTC per slot:
 * see ktx2.ts), or WebP, AVIF or JPEG with sharp (libvips), or keep them as they are.
 */
import type { Transform } from '@gltf-transform/core';
import { TextureResizeFilter, textureCompress } from '@gltf-transform/functions';
import { sharp } from '../core/image.js';
import { ktx2Textures } from './ktx2.js';

export type TextureMode = 'ktx2' | 'webp' | 'avif' | 'jpeg' | 'keep';
export const TEXTURE_MODES: readonly TextureMode[] = ['ktx2', 'webp', 'avif', 'jpeg', 'keep'];

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
  if (o.mode === 'ktx2') return [ktx2Textures({ maxSize: o.maxSize })];
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
