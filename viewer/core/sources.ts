/** Which rendition to load: the width that fits the element × devicePixelRatio, in the best format the browser decodes. Pure, plus detection. */

export type ImageFormat = 'avif' | 'webp' | 'jpeg';
export type FormatPaths = Partial<Record<ImageFormat, string>>;

/** The smallest width ≥ `cssWidth × dpr` (capped at `maxDpr`), else the largest. `widths` ascending. */
export function pickWidth(widths: readonly number[], cssWidth: number, dpr: number, maxDpr = 3): number {
  if (!widths.length) throw new Error('xoay-viewer: the manifest lists no widths');
  const need = Math.ceil(cssWidth * Math.min(Math.max(dpr, 1), maxDpr));
  return widths.find((w) => w >= need) ?? widths[widths.length - 1]!;
}

/** The first of AVIF, WebP, JPEG that both the files and the browser have. */
export function pickFormat(available: FormatPaths, supported: ReadonlySet<ImageFormat>): ImageFormat | null {
  for (const f of ['avif', 'webp', 'jpeg'] as const) if (available[f] && (f === 'jpeg' || supported.has(f))) return f;
  return null;
}

// A 1×1 white AVIF written by sharp (effort 0): whether the browser decodes them says whether it supports the format.
const PROBES: Record<'avif', string> = {
  avif: 'data:image/avif;base64,AAAAHGZ0eXBhdmlmAAAAAG1pZjFhdmlmbWlhZgAAANZtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAACJpbG9jAAAAAERAAAEAAQAAAAAA+gABAAAAAAAAACAAAAAjaWluZgAAAAAAAQAAABVpbmZlAgAAAAABAABhdjAxAAAAAA5waXRtAAAAAAABAAAAVmlwcnAAAAA4aXBjbwAAAAxhdjFDgSACAAAAABRpc3BlAAAAAAAAAAEAAAABAAAAEHBpeGkAAAAAAwgICAAAABZpcG1hAAAAAAAAAAEAAQOBAgMAAAAobWRhdBIACgc4AAaQENBpMhMZQmMEw88880EgAJBBGex24O9g',
};

let detected: Promise<Set<ImageFormat>> | undefined;

/** The image formats this browser decodes (probed once per page). */
export function supportedFormats(): Promise<Set<ImageFormat>> {
  detected ??= (async () => {
    // WebP decodes in every browser the viewer's ES2022 build runs in (Safari 15.4+); AVIF only since Safari 16.4.
    const out = new Set<ImageFormat>(['jpeg', 'webp']);
    await Promise.all(
      (Object.keys(PROBES) as 'avif'[]).map(
        (f) =>
          new Promise<void>((resolve) => {
            const img = new Image();
            img.onload = () => {
              if (img.naturalWidth > 0) out.add(f);
              resolve();
            };
            img.onerror = () => resolve();
            img.src = PROBES[f];
          }),
      ),
    );
    return out;
  })();
  return detected;
}
