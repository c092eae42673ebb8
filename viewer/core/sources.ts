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

// A 1×1 white AVIF written by sharp (effort 0): whether the browser decodes it says whether it supports AVIF.
const AVIF_PROBE =
  'data:image/avif;base64,AAAAHGZ0eXBhdmlmAAAAAG1pZjFhdmlmbWlhZgAAANZtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAACJpbG9jAAAAAERAAAEAAQAAAAAA+gABAAAAAAAAACAAAAAjaWluZgAAAAAAAQAAABVpbmZlAgAAAAABAABhdjAxAAAAAA5waXRtAAAAAAABAAAAVmlwcnAAAAA4aXBjbwAAAAxhdjFDgSACAAAAABRpc3BlAAAAAAAAAAEAAAABAAAAEHBpeGkAAAAAAwgICAAAABZpcG1hAAAAAAAAAAEAAQOBAgMAAAAobWRhdBIACgc4AAaQENBpMhMZQmMEw88880EgAJBBGex24O9g';

let detected: Promise<Set<ImageFormat>> | undefined;

/** The image formats this browser decodes (probed once per page). */
export function supportedFormats(): Promise<Set<ImageFormat>> {
  // WebP decodes in every browser the viewer's ES2022 build runs in (Safari 15.4+); AVIF only since Safari 16.4.
  detected ??= new Promise((resolve) => {
    const img = new Image();
    img.onload = img.onerror = () => resolve(new Set<ImageFormat>(img.naturalWidth ? ['jpeg', 'webp', 'avif'] : ['jpeg', 'webp']));
    img.src = AVIF_PROBE;
  });
  return detected;
}
