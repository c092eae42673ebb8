/**
 * The build cache: every stage's output is stored under a key that is a content hash of its inputs
 * (file bytes, not dates) and its options, so a rebuild re-runs a stage only when something it reads
 * has changed. Entries are folders written atomically (a temporary folder renamed into place), so a
 * build killed halfway leaves only complete entries and the next build resumes from them.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';

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

export interface StageCache {
  readonly dir: string;
  /** The folder of a finished entry, or undefined. */
  get(stage: string, k: string): Promise<string | undefined>;
  /**
   * Runs `fill` to make the folder `tmp` (it does not exist yet) and moves it into place as the entry; returns the
   * entry. A failed `fill` leaves no entry. Concurrent calls for the same entry share one `fill`.
   */
  put(stage: string, k: string, fill: (tmp: string) => Promise<void>): Promise<string>;
}

export function openCache(dir: string): StageCache {
  const root = path.resolve(dir);
  const entry = (stage: string, k: string) => path.join(root, stage, k);
  // Products building at the same time may need the same entry (two products sharing a shoot): one makes it, the
  // others wait for it.
  const inFlight = new Map<string, Promise<string>>();
  const make = async (stage: string, k: string, fill: (tmp: string) => Promise<void>): Promise<string> => {
    const target = entry(stage, k);
    const tmp = path.join(root, '.tmp', `${stage}-${k}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    await mkdir(path.dirname(tmp), { recursive: true });
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await fill(tmp);
      try {
        await rename(tmp, target);
      } catch (e) {
        // Another build (another process sharing the cache) made the same entry first: the same key means the same
        // content, so theirs is kept and ours dropped.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return target;
  };
  return {
    dir: root,
    async get(stage, k) {
      try {
        return (await stat(entry(stage, k))).isDirectory() ? entry(stage, k) : undefined;
      } catch {
        return undefined;
      }
    },
    put(stage, k, fill) {
      const id = `${stage}/${k}`;
      let p = inFlight.get(id);
      if (!p) {
        p = make(stage, k, fill).finally(() => inFlight.delete(id));
        inFlight.set(id, p);
      }
      return p;
    },
  };
}

/** Removes what killed builds left in the cache's temporary area (entries of builds still running are kept). */
export async function clearCacheTemp(dir: string): Promise<void> {
  const tmp = path.join(path.resolve(dir), '.tmp');
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/-(\d+)-[a-z0-9]+$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && isAlive(pid)) continue;
    await rm(path.join(tmp, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
