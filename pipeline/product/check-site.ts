/**
 * `xoay check-site <site>`: what a static host would get wrong with a built site, found before it is published.
 *
 * - **Missing files**: every `src`, `href`, `srcset`, `poster`, `model` and `data-xoay-spin` of every page (relative,
 *   root-relative, or absolute under `--base-url`) must name a file of the site (a folder: its `index.html`), and
 *   every path a `spin.json` lists (frames, sprites, poster) must be there.
 * - **Modes**: a web server runs as another user (`www-data`, `nginx`, `nobody`): every file must be readable by
 *   all (o+r) and every folder readable and enterable by all (o+rx), or it answers 403/404.
 * - **Dot-files**: nginx's usual `location ~ /\.` denies them, other hosts publish them; either way a site should
 *   hold none (build state, editor files, `.DS_Store`).
 * - **Content types**: a file whose extension a server does not map (it sends `application/octet-stream`, and a
 *   browser refuses a module script or a wasm stream so typed), whose extension is not lower case (servers and
 *   object stores match case-sensitively), or whose bytes are not what the extension says (a PNG named `.jpg`).
 * - **Symbolic links**: object-storage uploads and servers with `disable_symlinks` do not follow them.
 *
 * Read-only: the site is never modified.
 */
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { XoayError } from '../core/errors.js';
import { MIME_TYPES } from '../core/static-server.js';

const STAGE = 'check-site';

export interface CheckSiteOptions {
  /**
   * The public address the site is published at (as given to `xoay build --base-url`, ending in '/'): absolute
   * references under it (the embed snippets' URLs) are checked as site files too. Empty: only relative and
   * root-relative references are checked.
   */
  baseUrl: string;
}

export const CHECK_SITE_DEFAULTS: CheckSiteOptions = { baseUrl: '' };

export type SiteProblemKind = 'missing' | 'mode' | 'dot-file' | 'content-type' | 'symlink' | 'outside';

export interface SiteProblem {
  /** The file or folder concerned, relative to the site ('/'-separated; '.' for the site folder itself). */
  file: string;
  kind: SiteProblemKind;
  /** One line: what is wrong and what a host does with it. */
  message: string;
}

export interface SiteCheck {
  /** The site folder, absolute. */
  site: string;
  /** Regular files seen. */
  files: number;
  /** HTML pages whose references were checked. */
  pages: number;
  /** spin.json manifests whose paths were checked. */
  manifests: number;
  /** References checked (pages and manifests). */
  references: number;
  /** Sorted by file, then kind. */
  problems: SiteProblem[];
}

/** Extensions the site's files may have: the project's MIME table (the one the nginx example in the README maps). */
const KNOWN = new Set(Object.keys(MIME_TYPES));

/** Leading bytes by extension, for the files whose type a browser relies on. */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  '.jpg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  '.jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  '.png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  '.gif': (b) => b.subarray(0, 4).toString('latin1') === 'GIF8',
  '.webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  '.avif': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^(avif|avis|mif1)$/.test(b.subarray(8, 12).toString('latin1')),
  '.glb': (b) => b.subarray(0, 4).toString('latin1') === 'glTF',
  '.ktx2': (b) => b.subarray(0, 12).equals(Buffer.from([0xab, 0x4b, 0x54, 0x58, 0x20, 0x32, 0x30, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a])),
  '.wasm': (b) => b.subarray(0, 4).equals(Buffer.from([0x00, 0x61, 0x73, 0x6d])),
};

/** Attributes that make a browser (or the viewer) fetch or link a URL. */
const URL_ATTRIBUTES = /\s(src|href|srcset|imagesrcset|poster|model|data-xoay-spin)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', '#39': "'" };
const unescapeAttribute = (v: string) => v.replace(/&(amp|quot|apos|lt|gt|#39);/g, (_, e: string) => ENTITIES[e]!);

interface Found {
  files: string[];
  problems: SiteProblem[];
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Walks the site (lstat, never following links): files, and problems of modes, names, links and content types. */
async function walk(site: string): Promise<Found> {
  const found: Found = { files: [], problems: [] };
  const problem = (file: string, kind: SiteProblemKind, message: string) => found.problems.push({ file, kind, message });
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '.' ? site : path.join(site, rel);
    const st = await lstat(abs);
    const name = path.basename(rel);
    if (rel !== '.' && name.startsWith('.')) {
      problem(rel, 'dot-file', `a dot-${st.isDirectory() ? 'folder' : 'file'} in the site: nginx's usual rule denies it, other hosts publish it; remove it`);
      return;
    }
    if (st.isSymbolicLink()) {
      problem(rel, 'symlink', 'a symbolic link: object-storage uploads and servers with disable_symlinks do not follow it; put the file itself here');
      return;
    }
    if (st.isDirectory()) {
      if ((st.mode & 0o005) !== 0o005)
        problem(rel, 'mode', `folder mode ${octal(st.mode)}: a server running as another user cannot list or enter it (needs o+rx, e.g. 0755)`);
      let entries: string[];
      try {
        entries = (await readdir(abs)).sort();
      } catch (e) {
        problem(rel, 'mode', `folder cannot be listed (${(e as NodeJS.ErrnoException).code ?? e}): its files were not checked`);
        return;
      }
      for (const e of entries) await visit(rel === '.' ? e : `${rel}/${e}`);
      return;
    }
    if (!st.isFile()) {
      problem(rel, 'content-type', 'not a regular file (a socket, a device or a pipe): a host cannot serve it');
      return;
    }
    found.files.push(rel);
    if ((st.mode & 0o004) === 0) problem(rel, 'mode', `file mode ${octal(st.mode)}: a server running as another user cannot read it (needs o+r, e.g. 0644)`);
    const ext = path.extname(name);
    if (!ext) problem(rel, 'content-type', 'no extension: a server sends it as application/octet-stream');
    else if (ext !== ext.toLowerCase())
      problem(rel, 'content-type', `extension "${ext}" is not lower case: servers and object stores that match case-sensitively send it with the wrong type`);
    else if (!KNOWN.has(ext))
      problem(rel, 'content-type', `extension "${ext}" has no content type in the site's table: a server sends it as application/octet-stream`);
    else if (SIGNATURES[ext] && st.mode & 0o444) {
      const head = await leadingBytes(abs);
      if (head && !SIGNATURES[ext]!(head))
        problem(rel, 'content-type', `its bytes are not ${ext.slice(1).toUpperCase()}: it would be served as ${MIME_TYPES[ext]}`);
    }
  };
  await visit('.');
  return found;
}

/** The first 16 bytes of a file, or null when it cannot be read (its mode is reported on its own). */
async function leadingBytes(file: string): Promise<Buffer | null> {
  try {
    const fh = await open(file, 'r');
    try {
      const b = Buffer.alloc(16);
      const { bytesRead } = await fh.read(b, 0, 16, 0);
      return b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** The URLs a page references through attributes (comments and script bodies left out), entity-decoded; srcset split. */
export function pageReferences(page: string): { attribute: string; url: string }[] {
  const markup = page.replace(/<!--[\s\S]*?-->/g, '').replace(/(<script\b[^>]*>)[\s\S]*?<\/script\s*>/gi, '$1</script>');
  const out: { attribute: string; url: string }[] = [];
  for (const tag of markup.match(/<[a-z][^>]*>/gi) ?? []) {
    for (const m of tag.matchAll(URL_ATTRIBUTES)) {
      const attribute = m[1]!.toLowerCase();
      const value = unescapeAttribute(m[2] ?? m[3] ?? m[4] ?? '').trim();
      if (!value) continue;
      if (attribute.endsWith('srcset')) for (const candidate of value.split(/,\s+/)) out.push({ attribute, url: candidate.trim().split(/\s+/)[0]! });
      else out.push({ attribute, url: value });
    }
  }
  return out;
}

/**
 * The site file a reference names, '' for one that is not the site's to serve (another host, mailto:, data:, a
 * fragment), or null when it leaves the site. `from` is the referring file, relative to the site.
 */
function target(url: string, from: string, baseUrl: string): string | null | '' {
  const bare = url.replace(/[?#].*$/s, '');
  if (!bare) return '';
  let rel: string;
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(bare)) {
    const abs = bare.startsWith('//') ? `https:${bare}` : bare;
    if (!baseUrl || !abs.startsWith(baseUrl)) return '';
    rel = abs.slice(baseUrl.length);
  } else if (bare.startsWith('/')) {
    // Root-relative: from the site's root, or from the base URL's path when the site is published below it.
    const basePath = baseUrl ? new URL(baseUrl).pathname : '/';
    if (!bare.startsWith(basePath)) return null;
    rel = bare.slice(basePath.length);
  } else rel = path.posix.join(path.posix.dirname(from), bare);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  const norm = path.posix.normalize(decoded || '.');
  if (norm === '..' || norm.startsWith('../') || path.posix.isAbsolute(norm)) return null;
  return norm.endsWith('/') || norm === '.' ? path.posix.join(norm, 'index.html') : norm;
}

/** Every path a spin.json lists (frames, sprites, poster), relative to the manifest's folder. */
export function manifestPaths(json: unknown): string[] {
  const out: string[] = [];
  const collect = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
  };
  const m = json as { rows?: { frames?: { src?: unknown }[]; sprite?: { src?: unknown; sources?: unknown } }[]; poster?: unknown; posterSources?: unknown };
  collect(m.poster);
  collect(m.posterSources);
  for (const row of m.rows ?? []) {
    for (const f of row.frames ?? []) collect(f.src);
    collect(row.sprite?.src);
    collect(row.sprite?.sources);
  }
  return out;
}

/** Checks a built site for what a static host would get wrong (see the file's comment). Never modifies it. */
export async function checkSite(siteDir: string, options: Partial<CheckSiteOptions> = {}): Promise<SiteCheck> {
  const o = { ...CHECK_SITE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as CheckSiteOptions;
  if (o.baseUrl && !/^https?:\/\/[^/]+\/(.*\/)?$/.test(o.baseUrl))
    throw new XoayError(STAGE, 'BAD_OPTION', `--base-url must be an http(s) address ending in '/', got ${JSON.stringify(o.baseUrl)}`);
  const site = path.resolve(siteDir);
  const st = await lstat(site).catch((e: NodeJS.ErrnoException) => {
    throw new XoayError(STAGE, 'INPUT_MISSING', e.code === 'ENOENT' ? 'no such folder' : `cannot be read (${e.code ?? e})`, siteDir);
  });
  if (!st.isDirectory()) throw new XoayError(STAGE, 'INPUT_MISSING', 'is not a folder (give the site folder xoay build wrote)', siteDir);
  let found: Found;
  try {
    found = await walk(site);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new XoayError(STAGE, 'INPUT_MISSING', `cannot be read (${err.code ?? err.message})${err.path ? `: ${err.path}` : ''}`, siteDir, { cause: e });
  }
  const files = new Set(found.files);
  const problems = [...found.problems];
  const reported = new Set<string>();
  let references = 0;
  const check = (url: string, from: string, via: string) => {
    const t = target(url, from, o.baseUrl);
    if (t === '') return;
    references++;
    if (t === null) {
      problems.push({ file: from, kind: 'outside', message: `${via} ${JSON.stringify(url)} points outside the site` });
      return;
    }
    if (files.has(t) || reported.has(`${t}\0${from}`)) return;
    reported.add(`${t}\0${from}`);
    problems.push({ file: t, kind: 'missing', message: `missing: ${from} references it (${via} ${JSON.stringify(url)})` });
  };
  const pages = found.files.filter((f) => f.endsWith('.html'));
  const manifests = found.files.filter((f) => path.posix.basename(f) === 'spin.json');
  for (const p of pages) {
    const text = await readFile(path.join(site, p), 'utf8').catch(() => null);
    if (text === null) continue; // unreadable: its mode is reported
    for (const r of pageReferences(text)) check(r.url, p, r.attribute);
  }
  for (const m of manifests) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path.join(site, m), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) continue; // unreadable: its mode is reported
      problems.push({ file: m, kind: 'content-type', message: 'not valid JSON: the viewer cannot read this spin' });
      continue;
    }
    for (const p of manifestPaths(json)) check(p, m, 'spin.json lists');
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  return { site, files: found.files.length, pages: pages.length, manifests: manifests.length, references, problems };
}

/** One line per problem: `<site>/<file>: <message>`. */
export function problemLines(check: SiteCheck): string[] {
  return check.problems.map((p) => `${p.file === '.' ? check.site : path.join(check.site, p.file)}: ${p.message}`);
}
