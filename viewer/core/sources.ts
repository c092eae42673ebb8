/** Which rendition to load: the width that fits the element × devicePixelRatio, in the best format the browser decodes. Pure, plus detection. */

export type ImageFormat = 'avif' | 'webp' | 'jpeg';
export type FormatPaths = Partial<Record<ImageFormat, string>>;

/** The smallest width ≥ `cssWidth × dpr` (capped at `maxDpr`), else the largest. `widths` ascending and not empty (checkManifest sees to it). */
export function pickWidth(widths: readonly number[], cssWidth: number, dpr: number, maxDpr = 3): number {
  const need = Math.ceil(cssWidth * Math.min(Math.max(dpr, 1), maxDpr));
  return widths.find((w) => w >= need) ?? widths[widths.length - 1]!;
}

/** The first of AVIF, WebP, JPEG that both the files and the browser have (`supported`: from supportedFormats, JPEG always in it). */
export function pickFormat(available: FormatPaths, supported: ReadonlySet<ImageFormat>): ImageFormat | null {
  for (const f of ['avif', 'webp', 'jpeg'] as const) if (available[f] && supported.has(f)) return f;
  return null;
}

/**
 * The image formats this browser decodes, as far as the page knows: every one at first (WebP decodes in every browser
 * the viewer's ES2022 build runs in; AVIF in all but Safari before 16.4). There is no up-front probe (an image decode
 * before the first request, and its bytes on the spin path): the frame store tries AVIF, and when the sprite does not
 * decode as AVIF it takes AVIF out of this set (for every viewer on the page) and loads the next format.
 */
const SUPPORTED = new Set<ImageFormat>(['avif', 'webp', 'jpeg']);

export async function supportedFormats(): Promise<Set<ImageFormat>> {
  return SUPPORTED;
}
