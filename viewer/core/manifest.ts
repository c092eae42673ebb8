/**
 * Loading `spin.json`: read it from the page (inline) or fetch it, check its shape (the contract in schema/spin.ts, checked by hand so the spin bundle
 * stays small), and resolve every path against the manifest's URL. Only http(s) URLs are ever produced: a manifest
 * with `javascript:`, `data:` or any other scheme is refused with a clear error. Text fields are only ever shown as
 * text (never parsed as HTML).
 */
import type { SpinManifest } from '../../schema/spin.js';
import type { FormatPaths, ImageFormat } from './sources.js';

export type { SpinManifest };

export class ViewerError extends Error {
  override name = 'XoayViewerError';
}

/** A checked manifest with every path resolved to an absolute http(s) URL. */
export interface Spin {
  url: string;
  width: number;
  height: number;
  widths: number[];
  background: SpinManifest['background'];
  direction: SpinManifest['direction'];
  poster: FormatPaths;
  placeholder: string;
  rows: {
    name: string;
    /** frames[i][width] = URLs by format */
    frames: Record<number, FormatPaths>[];
    sprite: { sources: FormatPaths; columns: number; rows: number; frameWidth: number; frameHeight: number };
  }[];
}

const fail = (url: string, what: string): never => {
  throw new ViewerError(`xoay-viewer: ${url}: ${what}`);
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Resolves a manifest path to an absolute URL, refusing every scheme but http(s). */
export function resolvePath(path: unknown, base: string, where: string): string {
  if (typeof path !== 'string' || !path) return fail(base, `${where} is not a path`);
  let u: URL;
  try {
    u = new URL(path, base);
  } catch {
    return fail(base, `${where} is not a valid URL: ${JSON.stringify(path.slice(0, 80))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail(base, `${where} uses the ${u.protocol} scheme; only http(s) is allowed`);
  return u.href;
}

function formats(v: unknown, base: string, where: string, allowed: readonly ImageFormat[]): FormatPaths {
  if (!isObj(v)) return fail(base, `${where} is not an object`);
  const out: FormatPaths = {};
  for (const [k, p] of Object.entries(v)) {
    if (!allowed.includes(k as ImageFormat)) return fail(base, `${where} has an unknown format "${k.slice(0, 20)}"`);
    out[k as ImageFormat] = resolvePath(p, base, `${where}.${k}`);
  }
  if (!Object.keys(out).length) fail(base, `${where} lists no file`);
  return out;
}

/** Checks a parsed spin.json and resolves its paths against `url` (the manifest's absolute URL). */
export function checkManifest(json: unknown, url: string): Spin {
  if (!isObj(json)) return fail(url, 'not a spin manifest (expected a JSON object)');
  if (json.version !== 1) return fail(url, `unsupported manifest version ${JSON.stringify(json.version)} (expected 1)`);
  const { width, height, widths, rows } = json;
  if (!posInt(width) || !posInt(height)) return fail(url, 'width and height must be positive integers');
  if (!Array.isArray(widths) || !widths.length || !widths.every(posInt)) return fail(url, 'widths must be a list of positive integers');
  const sortedWidths = [...(widths as number[])].sort((a, b) => a - b);
  if (!Array.isArray(rows) || !rows.length) return fail(url, 'rows must be a non-empty list');
  const all = ['avif', 'webp', 'jpeg'] as const;
  const spin: Spin = {
    url,
    width,
    height,
    widths: sortedWidths,
    background: json.background === 'transparent' || json.background === 'keep' ? json.background : 'white',
    direction: json.direction === 'cw' ? 'cw' : 'ccw',
    poster:
      isObj(json.posterSources) && Object.keys(json.posterSources).length
        ? formats(json.posterSources, url, 'posterSources', ['webp', 'jpeg'])
        : { jpeg: resolvePath(json.poster, url, 'poster') },
    placeholder: typeof json.placeholder === 'string' && /^[A-Za-z0-9+/=]{0,200}$/.test(json.placeholder) ? json.placeholder : '',
    rows: [],
  };
  rows.forEach((row: unknown, r) => {
    const where = `rows[${r}]`;
    if (!isObj(row)) return fail(url, `${where} is not an object`);
    if (!Array.isArray(row.frames) || row.frames.length < 1) return fail(url, `${where}.frames must be a non-empty list`);
    const frames = row.frames.map((f: unknown, i) => {
      if (!isObj(f) || !isObj(f.src)) return fail(url, `${where}.frames[${i}].src is missing`);
      const byWidth: Record<number, FormatPaths> = {};
      for (const [w, paths] of Object.entries(f.src)) {
        if (!/^[0-9]+$/.test(w)) return fail(url, `${where}.frames[${i}].src has a width key that is not a number`);
        byWidth[Number(w)] = formats(paths, url, `${where}.frames[${i}].src.${w}`, all);
      }
      return byWidth;
    });
    const s = row.sprite;
    if (!isObj(s)) return fail(url, `${where}.sprite is missing`);
    if (![s.columns, s.rows, s.frameWidth, s.frameHeight].every(posInt))
      return fail(url, `${where}.sprite needs positive integer columns, rows, frameWidth and frameHeight`);
    const sources =
      isObj(s.sources) && Object.keys(s.sources).length
        ? formats(s.sources, url, `${where}.sprite.sources`, all)
        : { jpeg: resolvePath(s.src, url, `${where}.sprite.src`) };
    spin.rows.push({
      name: typeof row.name === 'string' ? row.name.slice(0, 200) : `row ${r + 1}`,
      frames,
      sprite: { sources, columns: s.columns as number, rows: s.rows as number, frameWidth: s.frameWidth as number, frameHeight: s.frameHeight as number },
    });
  });
  return spin;
}

/**
 * The manifest a page carries inline for `src`, parsed: `<script type="application/json" data-xoay-spin="SRC">…</script>`
 * anywhere in the document, its attribute the element's `src` exactly (product pages and embeds put it before the
 * element, so it is parsed before the element starts). Saves the round trip to spin.json; its paths still resolve
 * against the URL of `src`. Anything unusable (none, not JSON) → undefined, and the manifest is fetched as before.
 */
export function inlineManifest(src: string): unknown {
  try {
    // A `src` with a quote or a backslash makes the selector invalid: it throws, and the manifest is fetched.
    return JSON.parse(document.querySelector<HTMLScriptElement>(`script[data-xoay-spin="${src}"]`)!.text);
  } catch {}
}

/** Checks the page's inline manifest for `src` (see inlineManifest), else fetches and checks the spin.json; errors name the URL and what is wrong. */
export async function loadManifest(src: string, base: string, signal?: AbortSignal): Promise<Spin> {
  let url = resolvePath(src, base, 'src');
  let json = inlineManifest(src);
  if (!json) {
    let res: Response;
    try {
      res = await fetch(url, { signal }); // credentials: same-origin, fetch's default
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      return fail(url, `could not be fetched (${(e as Error).message})`);
    }
    if (!res.ok) return fail(url, `could not be loaded (HTTP ${res.status})`);
    try {
      json = await res.json();
    } catch {
      return fail(url, 'is not valid JSON');
    }
    url = res.url || url;
  }
  return checkManifest(json, url);
}
