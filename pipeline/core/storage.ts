/**
 * Where a build writes its outputs (the site, the stage cache): one small interface, so that a catalogue built by
 * many machines (`xoay worker`) needs nothing but a storage every machine sees, and so that an S3-compatible
 * object store can be added beside the shared folder (docs/architecture.md, "Storage").
 *
 * Names are '/'-separated and relative to the storage's root; a name ending in '/' is a prefix ("folder").
 * Operations, and what an object store maps them to:
 *   read(name)                  the whole object                         GetObject
 *   writeAtomic(name, data)     readers see the old bytes or the new     PutObject (visible when complete)
 *   list(prefix)                one level: objects, and sub-prefixes     ListObjectsV2 with Delimiter '/'
 *   exists(name)                                                         HeadObject
 *   remove(name or prefix/)     an object, or everything under a prefix  DeleteObject(s)
 *   putFolder(prefix, dir)      a finished local folder in place of what is under `prefix`
 *
 * `putFolder` is the one composite: a product or a cache entry is a set of files that must appear together. A
 * shared folder renames the finished folder into place (readers see the old set or the new, never a mix); a store
 * without an atomic folder rename uses `putFolderByObjects` (every file, then the `last` files, which are the
 * commit point: a product's page and stamp, a cache entry's marker; then stale objects removed).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isUnfinished, OLD_MARK, settleModes, tmpName } from './fsout.js';
import { isInside } from './inside.js';

export interface PutFolderOptions {
  /** Files (relative to the folder) written after every other one, in this order: the commit point. */
  last: string[];
  /** The folder may be moved instead of copied (it is not used afterwards). */
  move: boolean;
  /**
   * Replace what is under `prefix`. Off (content-addressed entries: the same name means the same bytes): when the
   * prefix's first `last` file is already there, nothing is written and what is there is kept.
   */
  replace: boolean;
}

export interface Storage {
  /** Where this storage lives, for messages (file:///…, s3://bucket/prefix). */
  readonly root: string;
  read(name: string): Promise<Buffer>;
  /** Writes the whole object at once: a reader never sees a partial write. */
  writeAtomic(name: string, data: Buffer | string): Promise<void>;
  /** The names directly under `prefix`, sorted: objects as names, sub-prefixes ending in '/'. Names with a part starting with '.' are not listed. */
  list(prefix?: string): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** Removes an object, or (a name ending in '/') everything under a prefix. Removing what is not there is not an error. */
  remove(name: string): Promise<void>;
  /** Puts the files of a finished local folder under `prefix`, replacing what was there (see the module comment). */
  putFolder(prefix: string, dir: string, options?: Partial<PutFolderOptions>): Promise<void>;
  /** Copies an object to a local file (a shared folder copies the file; others read and write). */
  copyOut(name: string, file: string): Promise<void>;
}

/** Every object name under a prefix (recursive, sorted). */
export async function listAll(storage: Storage, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    for (const name of await storage.list(p)) {
      if (name.endsWith('/')) await walk(name);
      else out.push(name);
    }
  };
  await walk(prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);
  return out.sort();
}

/** Every file under a local folder, relative and '/'-separated, dot-files included (they are commit markers). */
async function localFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * `putFolder` for stores without an atomic folder rename: every file of the folder except `last`, then the `last`
 * files in order, then the objects under `prefix` that the new set does not have are removed. A reader that starts
 * from a `last` file (a page, a stamp, a marker) finds everything it refers to; an interrupted put leaves the old
 * commit files in place (or none, for a new folder), so it is redone by the next build.
 */
export async function putFolderByObjects(storage: Storage, prefix: string, dir: string, options: Partial<PutFolderOptions> = {}): Promise<void> {
  const base = prefix.replace(/\/+$/, '');
  const last = options.last ?? [];
  if (options.replace === false && last[0] && (await storage.exists(`${base}/${last[0]}`))) return;
  const files = await localFiles(dir);
  const before = await listAll(storage, `${base}/`);
  const ordered = [...files.filter((f) => !last.includes(f)), ...last.filter((f) => files.includes(f))];
  for (const f of ordered) await storage.writeAtomic(`${base}/${f}`, await readFile(path.join(dir, f)));
  const now = new Set(ordered.map((f) => `${base}/${f}`));
  for (const name of before) if (!now.has(name)) await storage.remove(name);
}

export interface FolderStorageOptions {
  /**
   * Put folders in place by renaming them (atomic on a local or network file system). Off: file by file, as an
   * object store does (for mounts whose folder rename is not atomic, e.g. s3fs, and to test that protocol).
   */
  folderRename: boolean;
}

const tag = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** A folder (local, or shared by every machine: NFS, SMB, a mounted volume at the same absolute path on each). */
export class FolderStorage implements Storage {
  readonly root: string;
  readonly dir: string;
  private readonly folderRename: boolean;

  constructor(dir: string, options: Partial<FolderStorageOptions> = {}) {
    this.dir = path.resolve(dir);
    this.root = `file://${this.dir}`;
    this.folderRename = options.folderRename ?? true;
  }

  /** The absolute path of a name; refuses names that leave the root. */
  path(name: string): string {
    const full = path.resolve(this.dir, name);
    if (!isInside(full, this.dir)) throw new Error(`storage: name outside the storage root: ${name}`);
    return full;
  }

  async read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  async writeAtomic(name: string, data: Buffer | string): Promise<void> {
    const full = this.path(name);
    await mkdir(path.dirname(full), { recursive: true });
    // A temporary file in the same folder (same file system), renamed over the target: rename is atomic.
    const tmp = path.join(path.dirname(full), tmpName(full, tag()));
    try {
      await writeFile(tmp, data);
      await rename(tmp, full);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const p = prefix.replace(/\/+$/, '');
    let entries;
    try {
      entries = await readdir(this.path(p), { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw e;
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const name = p ? `${p}/${e.name}` : e.name;
      // A symbolic link counts as what it points to.
      const kind = e.isSymbolicLink()
        ? await stat(this.path(name)).then(
            (s) => (s.isDirectory() ? 'dir' : s.isFile() ? 'file' : ''),
            () => '',
          )
        : e.isDirectory()
          ? 'dir'
          : e.isFile()
            ? 'file'
            : '';
      if (kind === 'dir') out.push(`${name}/`);
      else if (kind === 'file') out.push(name);
    }
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

  async remove(name: string): Promise<void> {
    const full = this.path(name);
    if (full === this.dir) throw new Error('storage: refusing to remove the storage root');
    await rm(full, { recursive: true, force: true });
  }

  async copyOut(name: string, file: string): Promise<void> {
    await copyFile(this.path(name), file);
  }

  async putFolder(prefix: string, dir: string, options: Partial<PutFolderOptions> = {}): Promise<void> {
    if (!this.folderRename) return putFolderByObjects(this, prefix, dir, options);
    const target = this.path(prefix.replace(/\/+$/, ''));
    const parent = path.dirname(target);
    await mkdir(parent, { recursive: true });
    // The finished folder next to its target (same file system), then swapped in.
    const staging = path.join(parent, tmpName(target, tag()));
    try {
      let moved = false;
      if (options.move) {
        try {
          await rename(dir, staging);
          moved = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        }
      }
      if (!moved) await cp(dir, staging, { recursive: true });
      // Readable by a web server running as another user, however the folder was made (mkdtemp makes 0700).
      await settleModes(staging);
      if (options.replace === false) {
        try {
          await rename(staging, target);
        } catch (e) {
          // Already there (another writer was first): theirs is kept.
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
          await rm(staging, { recursive: true, force: true });
        }
      } else await swapInto(staging, target);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Clears what killed writers left directly under `prefix`: temporary folders and files (never visible: their names
   * start with a dot), and a swap interrupted between its two renames (the old folder is put back).
   * `olderThanMs`: only leftovers at least this old (other machines may be writing now).
   */
  async tidy(prefix = '', olderThanMs = 0): Promise<void> {
    const dir = this.path(prefix);
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e);
      if (!isUnfinished(e)) continue;
      if (olderThanMs > 0) {
        const age = await stat(full).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age < olderThanMs) continue;
      }
      const aside = new RegExp(`^\\.(.+)${OLD_MARK.replace(/\./g, '\\.')}`).exec(e);
      if (aside && !entries.includes(aside[1]!)) {
        await rename(full, path.join(dir, aside[1]!));
        entries.push(aside[1]!);
      } else await rm(full, { recursive: true, force: true });
    }
  }
}

/** Puts a finished folder in place of `target` (the old one is moved aside first, then removed). */
async function swapInto(tmp: string, target: string): Promise<void> {
  const aside = path.join(path.dirname(target), `.${path.basename(target)}${OLD_MARK}${tag()}`);
  let moved = false;
  try {
    await rename(target, aside);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(tmp, target);
  } catch (e) {
    if (moved) await rename(aside, target);
    throw e;
  }
  if (moved) await rm(aside, { recursive: true, force: true });
}
