/**
 * Reading untrusted folders safely: every path is resolved with `realpath` (symbolic links followed) and must stay
 * inside the folder it belongs to (a model's folder, a product folder), or inside a folder the caller trusts
 * explicitly; only regular files are read (never a FIFO, a device, a socket or a folder), opened without blocking,
 * and only up to a size limit checked before reading.
 */
import { constants } from 'node:fs';
import { type Stats } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { echo, XoayError, type XoayErrorCode } from './errors.js';

export interface InsideOptions {
  /** The stage name for error messages. */
  stage: string;
  /** The folders the file may be in (their real paths are taken); the first is the one named in messages. */
  roots: string[];
  /** Largest file read, in bytes. */
  maxBytes: number;
  /** What the file is, for messages ("texture", "story"). */
  what: string;
  /** The file named in messages (default: the file itself). */
  reportAs?: string;
  /** The error code for a missing file. */
  missing?: XoayErrorCode;
}

/**
 * Whether `child` is `parent` or inside it (both absolute; compared after normalising). The one containment check
 * of the project: a sibling whose name starts like `parent`'s (`site-old` next to `site`) is outside, a name that
 * starts with two dots (`..cache`) inside.
 */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

const realRoots = new Map<string, Promise<string>>();
/** The real path of a root folder (cached: roots do not move during a run). */
function realRoot(root: string): Promise<string> {
  let p = realRoots.get(root);
  if (!p) {
    p = realpath(root).catch(() => path.resolve(root));
    realRoots.set(root, p);
    if (realRoots.size > 1000) realRoots.delete(realRoots.keys().next().value!);
  }
  return p;
}

/** The real path of `file`, refused unless it is inside one of `roots` (after following every symbolic link). */
export async function realInside(file: string, o: Pick<InsideOptions, 'stage' | 'roots' | 'what' | 'reportAs' | 'missing'>): Promise<string> {
  const shown = o.reportAs ?? file;
  let real: string;
  try {
    real = await realpath(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new XoayError(
        o.stage,
        o.missing ?? 'MISSING_RESOURCE',
        `the ${o.what} ${echo(path.basename(file))} is missing (or a symbolic link to nothing)`,
        shown,
      );
    if (code === 'ELOOP') throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} is a loop of symbolic links`, shown);
    throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} cannot be read (${code ?? String(e)})`, shown);
  }
  for (const root of o.roots) if (isInside(real, await realRoot(root))) return real;
  throw new XoayError(
    o.stage,
    'OUTSIDE_FOLDER',
    `the ${o.what} ${echo(path.basename(file))} is a symbolic link to ${o.what === 'folder' ? 'a folder' : 'a file'} outside its folder (${echo(real)}): only files inside ${echo(o.roots[0] ?? '')} are read`,
    shown,
  );
}

/** Reads a regular file inside `roots`, at most `maxBytes` (checked before reading). */
export async function readInside(file: string, o: InsideOptions): Promise<Buffer> {
  const shown = o.reportAs ?? file;
  const real = await realInside(file, o);
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} cannot be opened (${code ?? String(e)})`, shown);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} is ${describeKind(st)}, not a regular file`, shown);
    if (st.size > o.maxBytes)
      throw new XoayError(o.stage, 'LIMIT', `the ${o.what} ${echo(path.basename(file))} is ${st.size} bytes, over the limit of ${o.maxBytes}`, shown);
    const bytes = await handle.readFile();
    if (bytes.length > o.maxBytes)
      throw new XoayError(o.stage, 'LIMIT', `the ${o.what} ${echo(path.basename(file))} grew over the limit of ${o.maxBytes} bytes while being read`, shown);
    return bytes;
  } finally {
    await handle.close();
  }
}

/** `realInside`, and the file must be a regular file (not a folder, FIFO, device or socket). Returns the real path. */
export async function regularInside(file: string, o: Pick<InsideOptions, 'stage' | 'roots' | 'what' | 'reportAs' | 'missing'>): Promise<string> {
  const real = await realInside(file, o);
  const st = await stat(real);
  if (!st.isFile())
    throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} is ${describeKind(st)}, not a regular file`, o.reportAs ?? file);
  return real;
}

function describeKind(st: Stats): string {
  return st.isDirectory()
    ? 'a folder'
    : st.isFIFO()
      ? 'a named pipe (FIFO)'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file';
}

/** A file name as bytes, refused unless it is UTF-8 (otherwise it is later reported as missing, or shown garbled). */
export function utf8Name(name: Buffer, dir: string, stage: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(name);
  } catch {
    throw new XoayError(stage, 'NOT_A_FILE', `the file name ${echo(name.toString('latin1'))} is not valid UTF-8: rename it`, dir);
  }
}

/**
 * Every file under `dir` whose name matches `pattern` (names starting with a dot skipped), checked: a UTF-8 name, a
 * regular file, inside `roots` after following symbolic links. Folders are followed (each real folder once) to `maxDepth`.
 * Returns the paths (under `dir`, sorted).
 */
export async function checkFolderFiles(
  dir: string,
  pattern: RegExp,
  o: Pick<InsideOptions, 'stage' | 'roots' | 'what'> & { maxDepth?: number },
): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string, depth: number): Promise<void> => {
    const real = await realInside(d, { ...o, what: 'folder' });
    if (seen.has(real)) return;
    seen.add(real);
    if (depth > (o.maxDepth ?? 8)) throw new XoayError(o.stage, 'LIMIT', `folders nested more than ${o.maxDepth ?? 8} deep`, d);
    for (const e of await readdir(d, { withFileTypes: true, encoding: 'buffer' })) {
      const name = utf8Name(e.name, d, o.stage);
      if (name.startsWith('.')) continue;
      const full = path.join(d, name);
      const isDir =
        e.isDirectory() ||
        (e.isSymbolicLink() &&
          (await stat(full).then(
            (s) => s.isDirectory(),
            () => false,
          )));
      if (isDir) await walk(full, depth + 1);
      else if (pattern.test(name)) {
        await regularInside(full, o);
        out.push(full);
      }
    }
  };
  await walk(dir, 0);
  return out.sort();
}
