/**
 * Reading untrusted folders safely: every path is resolved with `realpath` (symbolic links followed) and must stay
 * inside the folder it belongs to (a model's folder, a product folder), or inside a folder the caller trusts
 * explicitly; only regular files are read (never a FIFO, a device, a socket or a folder), opened without blocking,
 * and only up to a size limit checked before reading.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
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

/** Whether `child` is `parent` or inside it (both absolute, normalised). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
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
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new XoayError(o.stage, o.missing ?? 'MISSING_RESOURCE', `the ${o.what} ${echo(path.basename(file))} is missing (or a symbolic link to nothing)`, shown);
    if (code === 'ELOOP') throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} is a loop of symbolic links`, shown);
    throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} cannot be read (${code ?? String(e)})`, shown);
  }
  for (const root of o.roots) if (isInside(real, await realRoot(root))) return real;
  throw new XoayError(o.stage, 'OUTSIDE_FOLDER', `the ${o.what} ${echo(path.basename(file))} is a symbolic link to a file outside its folder (${echo(real)}): only files inside ${echo(o.roots[0] ?? '')} are read`, shown);
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
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new XoayError(o.stage, 'NOT_A_FILE', `the ${o.what} ${echo(path.basename(file))} is ${kind}, not a regular file`, shown);
    }
    if (st.size > o.maxBytes) throw new XoayError(o.stage, 'LIMIT', `the ${o.what} ${echo(path.basename(file))} is ${st.size} bytes, over the limit of ${o.maxBytes}`, shown);
    const bytes = await handle.readFile();
    if (bytes.length > o.maxBytes) throw new XoayError(o.stage, 'LIMIT', `the ${o.what} ${echo(path.basename(file))} grew over the limit of ${o.maxBytes} bytes while being read`, shown);
    return bytes;
  } finally {
    await handle.close();
  }
}
