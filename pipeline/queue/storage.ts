/**
 * Where a distributed build reads its inputs and writes its outputs. Queue jobs carry only names in this storage
 * (paths, options), never image data, so any machine that sees the same storage can take any job.
 *
 * Four operations, chosen so that an S3-compatible object store can implement them without a file system
 * (see docs/architecture.md): read a whole object, write one atomically (readers see the old bytes or the new,
 * never a part), list the names under a prefix, ask whether a name exists. Names are '/'-separated and relative
 * to the storage's root.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Storage {
  /** A URL-ish description of where this storage lives (file:///…, s3://bucket/prefix). */
  readonly root: string;
  read(name: string): Promise<Buffer>;
  /** Writes the whole object at once: a reader never sees a partial write. */
  writeAtomic(name: string, data: Buffer | string): Promise<void>;
  /** Every object name under `prefix` (recursive, sorted; names starting with '.' in any part are skipped). */
  list(prefix?: string): Promise<string[]>;
  exists(name: string): Promise<boolean>;
}

/** A folder shared by every machine (NFS, SMB, a mounted volume): the same absolute path on each. */
export class FolderStorage implements Storage {
  readonly root: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.root = `file://${this.dir}`;
  }

  /** The absolute path of a name; refuses names that leave the root. */
  path(name: string): string {
    const full = path.resolve(this.dir, name);
    const rel = path.relative(this.dir, full);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`storage: name outside the storage root: ${name}`);
    return full;
  }

  async read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  async writeAtomic(name: string, data: Buffer | string): Promise<void> {
    const full = this.path(name);
    await mkdir(path.dirname(full), { recursive: true });
    // A temporary file in the same folder (same file system), renamed over the target: rename is atomic.
    const tmp = path.join(path.dirname(full), `.${path.basename(full)}.xoay-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, full);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(this.path(rel), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(r);
        else if (e.isFile()) out.push(r);
      }
    };
    await walk(prefix.replace(/\/+$/, ''));
    return out.sort();
  }

  async exists(name: string): Promise<boolean> {
    try {
      await stat(this.path(name));
      return true;
    } catch {
      return false;
    }
  }
}
