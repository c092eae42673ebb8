/**
 * Gallery photos: each photo turned upright (EXIF orientation), fitted within `maxSize`, metadata
 * stripped (camera serials and GPS positions are not published) and re-encoded in its own format under
 * its own name, so a story that shows `photos/tra.jpg` still finds it; TIFFs become JPEGs. A small WebP
 * thumbnail per photo for the gallery grid.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { XoayError } from '../core/errors.js';

export interface PhotosOptions {
  /** Longest side of a published photo, pixels. */
  maxSize: number;
  /** Width of a gallery thumbnail, pixels. */
  thumbWidth: number;
  /** Refuse photos with more pixels than this (decompression-bomb guard). */
  limitInputPixels: number;
}

export const PHOTOS_DEFAULTS: PhotosOptions = { maxSize: 1600, thumbWidth: 480, limitInputPixels: 100_000_000 };

export interface PublishedPhoto {
  /** Address relative to the output folder (photos/<name>, URL-encoded). */
  src: string;
  thumb: string;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
}

/** Writes `photos/…` and `photos/thumbs/…` into `out`; returns what was written, in input order. */
export async function publishPhotos(files: string[], out: string, options: PhotosOptions = PHOTOS_DEFAULTS): Promise<PublishedPhoto[]> {
  await mkdir(path.join(out, 'photos', 'thumbs'), { recursive: true });
  const result: PublishedPhoto[] = [];
  const written = new Map<string, string>();
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    const base = path.basename(file, path.extname(file));
    const name = /^\.tiff?$/.test(ext) ? `${base}.jpg` : path.basename(file);
    // tra.tif would become tra.jpg: refused when tra.jpg is also there, rather than one overwriting the other.
    const clash = written.get(name.toLowerCase());
    if (clash) throw new XoayError('photos', 'BAD_PRODUCT', `would be published as photos/${name}, like ${clash}: rename one of them`, file);
    written.set(name.toLowerCase(), path.basename(file));
    try {
      const img = sharp(file, { limitInputPixels: options.limitInputPixels })
        .rotate()
        .resize(options.maxSize, options.maxSize, { fit: 'inside', withoutEnlargement: true });
      const encoded =
        ext === '.png'
          ? img.png({ compressionLevel: 9, palette: false })
          : ext === '.webp'
            ? img.webp({ quality: 80 })
            : ext === '.avif'
              ? img.avif({ quality: 50 })
              : img.jpeg({ quality: 82, mozjpeg: true });
      const info = await encoded.toFile(path.join(out, 'photos', name));
      const thumbName = `thumbs/${name}.webp`; // after the full name: tra.jpg and tra.png get a thumbnail each
      const t = await sharp(path.join(out, 'photos', name))
        .resize(options.thumbWidth, undefined, { withoutEnlargement: true })
        .webp({ quality: 75 })
        .toFile(path.join(out, 'photos', thumbName));
      // Addresses for the page: each name URL-encoded (a # or ? in a file name must not end the path).
      result.push({
        src: `photos/${encodeURIComponent(name)}`,
        thumb: `photos/thumbs/${encodeURIComponent(`${name}.webp`)}`,
        width: info.width,
        height: info.height,
        thumbWidth: t.width,
        thumbHeight: t.height,
      });
    } catch (e) {
      const msg = (e as Error).message;
      throw new XoayError('photos', /pixel limit/i.test(msg) ? 'PIXEL_LIMIT' : 'UNREADABLE_IMAGE', `cannot use this photo (${msg})`, file, { cause: e });
    }
  }
  return result;
}
