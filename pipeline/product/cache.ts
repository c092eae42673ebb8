/**
 * The build cache: every stage's output is stored under a key that is a content hash of its inputs
 * (file bytes, not dates) and its options, so a rebuild re-runs a stage only when something it reads
 * has changed. Entries are folders written atomically (a temporary folder renamed into place), so a
 * build killed halfway leaves only complete entries and the next build resumes from them. Entries live in a
 * `Storage` (a folder, or one shared by the workers of a queue build): each is made in a local scratch folder and
 * put into the storage at once, its marker last.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import type { Storage } from '../core/storage.js';

/** sha-256 of a file's bytes (streamed). */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Every file under a folder, as sorted paths relative to it (dot-files skipped). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const kind = await kindOf(e, path.join(dir, r));
      if (kind === 'dir') await walk(r);
      else if (kind === 'file') out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** A symbolic link counts as what it points to (a sample catalogue links its shoot from elsewhere). */
async function kindOf(e: Dirent, full: string): Promise<'dir' | 'file' | 'other'> {
  if (e.isDirectory()) return 'dir';
  if (e.isFile()) return 'file';
  if (!e.isSymbolicLink()) return 'other';
  try {
    const s = await stat(full);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

/** A key from parts: strings, numbers, objects (as JSON) and file hashes. */
export function key(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p)).update('\0');
  return h.digest('hex').slice(0, 32);
}

/** A hash of a set of files: their relative names and bytes. */
export async function hashTree(dir: string, files: string[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) parts.push(`${f}:${await hashFile(path.join(dir, f))}`);
  return key(...parts);
}

/** A finished cache entry: its files (relative names) in the cache's storage. */
export interface CacheEntry {
  /** The entry's prefix in the storage (`<stage>/<key>`). */
  readonly name: string;
  readonly files: string[];
  read(file: string): Promise<Buffer>;
  /** Copies one of its files to a local path. */
  copyOut(file: string, to: string): Promise<void>;
}

/** The marker written last into every entry: the entry is complete when it is there. It lists the entry's files. */
export const ENTRY_MARKER = '.xoay-entry.json';

export interface StageCache {
  readonly storage: Storage;
  /** A finished entry, or undefined. */
  get(stage: string, k: string): Promise<CacheEntry | undefined>;
  /**
   * Runs `fill` to make the local folder `tmp` (it does not exist yet) and puts it into the storage as the entry;
   * returns the entry. A failed `fill` leaves no entry. Concurrent calls for the same entry share one `fill`.
   */
  put(stage: string, k: string, fill: (tmp: string) => Promise<void>): Promise<CacheEntry>;
}

/**
 * The stage cache in `storage` (a folder, or a store shared by the workers of a queue build); `scratch` is a local
 * folder where entries are made before they are put into the storage.
 */
export function openCache(storage: Storage, scratch: string): StageCache {
  const prefix = (stage: string, k: string) => `${stage}/${k}`;
  const handle = (name: string, files: string[]): CacheEntry => ({
    name,
    files,
    read: (f) => storage.read(`${name}/${f}`),
    copyOut: (f, to) => storage.copyOut(`${name}/${f}`, to),
  });
  const get = async (stage: string, k: string): Promise<CacheEntry | undefined> => {
    const name = prefix(stage, k);
    let marker: Buffer;
    try {
      marker = await storage.read(`${name}/${ENTRY_MARKER}`);
    } catch {
      return undefined;
    }
    try {
      return handle(name, (JSON.parse(marker.toString('utf8')) as { files: string[] }).files);
    } catch {
      return undefined;
    }
  };
  // Products building at the same time may need the same entry (two products sharing a shoot): one makes it, the
  // others wait for it.
  const inFlight = new Map<string, Promise<CacheEntry>>();
  const make = async (stage: string, k: string, fill: (tmp: string) => Promise<void>): Promise<CacheEntry> => {
    await mkdir(scratch, { recursive: true });
    const tmp = path.join(scratch, `${stage}-${k}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    try {
      await fill(tmp);
      const files = await listFiles(tmp);
      await writeFile(path.join(tmp, ENTRY_MARKER), JSON.stringify({ files }) + '\n');
      // Another machine may put the same entry at the same time: the same key means the same bytes.
      await storage.putFolder(prefix(stage, k), tmp, { move: true, last: [ENTRY_MARKER], replace: false });
      return handle(prefix(stage, k), files);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
  return {
    storage,
    get,
    put(stage, k, fill) {
      const id = prefix(stage, k);
      let p = inFlight.get(id);
      if (!p) {
        p = make(stage, k, fill).finally(() => inFlight.delete(id));
        inFlight.set(id, p);
      }
      return p;
    },
  };
}
