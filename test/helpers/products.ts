/**
 * Product folders for tests, made from the committed CC0 samples: a few frames of samples/stool-turntable
 * as the shoot (optionally flipped so each product differs), facts that pass the schema, overridable.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ROOT } from './data.js';

export const STOOL_FRAMES = path.join(ROOT, 'samples/stool-turntable');

/** Facts that pass the schema; `overrides` are merged one level deep. */
export function facts(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id,
    name: { vi: `Sản phẩm thử ${id}` },
    ocop: { stars: 4, year: 2024 },
    category: 'Thủ công mỹ nghệ',
    producer: { name: 'Hợp tác xã Thử nghiệm', kind: 'co-operative', province: 'Bắc Ninh' },
  };
  return { ...base, ...overrides };
}

/** Every `step`-th frame of the sample shoot (12 of 36 by default). */
export async function sampleFrames(step = 3): Promise<string[]> {
  return (await readdir(STOOL_FRAMES))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .filter((_, i) => i % step === 0);
}

export interface MakeProduct {
  /** product.json content (or raw text when a string). */
  product?: Record<string, unknown> | string;
  /** Write product.yaml instead of product.json (raw text). */
  yaml?: string;
  /** Frames in spin/: copied from the sample (default 12), or none. */
  frames?: number | false;
  /** Mirror the frames so the shoot's bytes differ from another product's. */
  mirror?: boolean;
  story?: string;
  /** A model file to copy in as model.glb. */
  model?: string;
}

export async function makeProduct(dir: string, id: string, o: MakeProduct = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (o.yaml !== undefined) await writeFile(path.join(dir, 'product.yaml'), o.yaml);
  else await writeFile(path.join(dir, 'product.json'), typeof o.product === 'string' ? o.product : JSON.stringify(o.product ?? facts(id), null, 2));
  if (o.frames !== false) {
    const frames = (await sampleFrames()).slice(0, o.frames ?? 12);
    await mkdir(path.join(dir, 'spin'));
    for (const f of frames) {
      if (o.mirror)
        await sharp(path.join(STOOL_FRAMES, f))
          .flop()
          .jpeg({ quality: 90 })
          .toFile(path.join(dir, 'spin', f));
      else await copyFile(path.join(STOOL_FRAMES, f), path.join(dir, 'spin', f));
    }
  }
  if (o.story !== undefined) await writeFile(path.join(dir, 'story.md'), o.story);
  if (o.model) await copyFile(o.model, path.join(dir, 'model.glb'));
  return dir;
}

/** Small, quick spin settings for tests. */
export const SMALL_SPIN = { widths: [256], formats: ['jpeg' as const] };
