/** The storage interface of builds (the site, the stage cache), for a folder: by folder rename, and object by object. */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStorage, listAll, type PutFolderOptions, type Storage } from '../../../pipeline/core/storage.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-storage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A local folder with these files. */
async function folder(name: string, files: Record<string, string>): Promise<string> {
  const d = path.join(dir, 'local', `${name}-${Math.random().toString(36).slice(2)}`);
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(d, f)), { recursive: true });
    await writeFile(path.join(d, f), text);
  }
  return d;
}

/** Every file under a folder with its text (dot-files included). */
async function tree(d: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(d, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out[r] = await readFile(path.join(d, r), 'utf8');
    }
  };
  await walk('');
  return out;
}

/** Records the order of the writes and removals another storage is asked for (and does them). */
class Recording implements Storage {
  readonly calls: string[] = [];
  constructor(readonly inner: FolderStorage) {}
  get root() {
    return this.inner.root;
  }
  read(name: string) {
    return this.inner.read(name);
  }
  async writeAtomic(name: string, data: Buffer | string) {
    this.calls.push(`write ${name}`);
    return this.inner.writeAtomic(name, data);
  }
  list(prefix?: string) {
    return this.inner.list(prefix);
  }
  exists(name: string) {
    return this.inner.exists(name);
  }
  async remove(name: string) {
    this.calls.push(`remove ${name}`);
    return this.inner.remove(name);
  }
  copyOut(name: string, file: string) {
    return this.inner.copyOut(name, file);
  }
  async putFolder(prefix: string, d: string, options?: Partial<PutFolderOptions>) {
    const { putFolderByObjects } = await import('../../../pipeline/core/storage.js');
    return putFolderByObjects(this, prefix, d, options);
  }
}

describe('FolderStorage', () => {
  it('writes atomically (no temporary left), reads, lists one level sorted without dot-files, tells what exists, removes', async () => {
    const s = new FolderStorage(path.join(dir, 'one'));
    expect(s.root).toBe(`file://${path.join(dir, 'one')}`);
    await s.writeAtomic('site/a/index.html', '<p>một</p>');
    await s.writeAtomic('site/b/x.bin', Buffer.from([1, 2, 3]));
    await s.writeAtomic('site/a/index.html', '<p>hai</p>');
    await s.writeAtomic('site/top.txt', 'top');
    await writeFile(path.join(dir, 'one', 'site', 'a', '.hidden'), 'x');
    expect((await s.read('site/a/index.html')).toString()).toBe('<p>hai</p>');
    expect([...(await s.read('site/b/x.bin'))]).toEqual([1, 2, 3]);
    expect(await s.list('site')).toEqual(['site/a/', 'site/b/', 'site/top.txt']);
    expect(await s.list('site/')).toEqual(['site/a/', 'site/b/', 'site/top.txt']);
    expect(await s.list('')).toEqual(['site/']);
    expect(await listAll(s, 'site')).toEqual(['site/a/index.html', 'site/b/x.bin', 'site/top.txt']);
    expect(await s.list('nothing-here')).toEqual([]);
    expect(await s.exists('site/a/index.html')).toBe(true);
    expect(await s.exists('site/a/none.html')).toBe(false);
    expect((await readdir(path.join(dir, 'one', 'site', 'a'))).filter((f) => f.includes('xoay-tmp'))).toEqual([]);
    await s.remove('site/b/');
    await s.remove('site/top.txt');
    await s.remove('site/never-there');
    expect(await listAll(s, 'site')).toEqual(['site/a/index.html']);
  });

  it('lists a symbolic link as what it points to', async () => {
    const s = new FolderStorage(path.join(dir, 'links'));
    await s.writeAtomic('real/f.txt', 'x');
    await symlink(path.join(dir, 'links', 'real'), path.join(dir, 'links', 'linked'));
    expect(await s.list('')).toEqual(['linked/', 'real/']);
    expect(await listAll(s, 'linked')).toEqual(['linked/f.txt']);
  });

  it('refuses names outside its root, and removing the root', async () => {
    const s = new FolderStorage(path.join(dir, 'one'));
    await expect(s.read('../etc/passwd')).rejects.toThrow(/outside the storage root/);
    await expect(s.writeAtomic('a/../../x', 'x')).rejects.toThrow(/outside the storage root/);
    expect(() => s.path('/etc/passwd')).toThrow(/outside the storage root/);
    await expect(s.remove('')).rejects.toThrow(/storage root/);
  });

  it('putFolder renames a finished folder into place: the old set or the new, never a mix; the folder given is left alone unless moved', async () => {
    const s = new FolderStorage(path.join(dir, 'put'));
    await s.putFolder('p', await folder('v1', { 'index.html': 'v1', 'spin/a.jpg': 'a1', 'old.txt': 'gone' }), { move: true });
    const v2 = await folder('v2', { 'index.html': 'v2', 'spin/a.jpg': 'a2', '.stamp': 's2' });
    await s.putFolder('p', v2);
    expect(await tree(path.join(dir, 'put', 'p'))).toEqual({ 'index.html': 'v2', 'spin/a.jpg': 'a2', '.stamp': 's2' });
    expect(await tree(v2)).toEqual({ 'index.html': 'v2', 'spin/a.jpg': 'a2', '.stamp': 's2' });
    expect((await readdir(path.join(dir, 'put'))).sort()).toEqual(['p']);
  });

  it('putFolder without replace keeps what is there (content-addressed entries made twice)', async () => {
    for (const folderRename of [true, false]) {
      const s = new FolderStorage(path.join(dir, `keep-${folderRename}`), { folderRename });
      await s.putFolder('e/k', await folder('first', { 'f.txt': 'first', '.done': '1' }), { last: ['.done'], replace: false });
      await s.putFolder('e/k', await folder('second', { 'f.txt': 'second', '.done': '2' }), { last: ['.done'], replace: false });
      expect(await tree(path.join(dir, `keep-${folderRename}`, 'e', 'k')), String(folderRename)).toEqual({ 'f.txt': 'first', '.done': '1' });
    }
  });

  it('putFolder object by object (stores without a folder rename): every file first, the commit files last in order, stale objects removed after', async () => {
    const inner = new FolderStorage(path.join(dir, 'objects'), { folderRename: false });
    const s = new Recording(inner);
    await s.putFolder('p', await folder('o1', { 'index.html': 'v1', 'spin/a.jpg': 'a1', 'spin/b.jpg': 'b1', '.stamp': 's1' }), {
      last: ['index.html', '.stamp'],
    });
    s.calls.length = 0;
    await s.putFolder('p', await folder('o2', { 'index.html': 'v2', 'spin/a.jpg': 'a2', 'spin/c.jpg': 'c2', '.stamp': 's2' }), {
      last: ['index.html', '.stamp'],
    });
    expect(s.calls).toEqual(['write p/spin/a.jpg', 'write p/spin/c.jpg', 'write p/index.html', 'write p/.stamp', 'remove p/spin/b.jpg']);
    expect(await tree(path.join(dir, 'objects', 'p'))).toEqual({ 'index.html': 'v2', 'spin/a.jpg': 'a2', 'spin/c.jpg': 'c2', '.stamp': 's2' });
    // The FolderStorage in this mode does the same.
    await inner.putFolder('q', await folder('o3', { 'index.html': 'q', 'x/y.txt': 'y' }), { last: ['index.html'] });
    expect(await tree(path.join(dir, 'objects', 'q'))).toEqual({ 'index.html': 'q', 'x/y.txt': 'y' });
  });

  it('tidy puts back a folder left aside by an interrupted swap and removes temporaries (only old ones when asked)', async () => {
    const root = path.join(dir, 'tidy');
    const s = new FolderStorage(root);
    await s.writeAtomic('.prod.xoay-old-123-abcd/index.html', 'old page');
    await s.writeAtomic('.other.xoay-tmp-123-abcd/index.html', 'half');
    await s.writeAtomic('.fresh.xoay-tmp-456-abcd/index.html', 'in progress');
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(root, '.prod.xoay-old-123-abcd'), past, past);
    await utimes(path.join(root, '.other.xoay-tmp-123-abcd'), past, past);
    await s.tidy('', 600_000);
    expect((await readdir(root)).sort()).toEqual(['.fresh.xoay-tmp-456-abcd', 'prod']);
    expect((await s.read('prod/index.html')).toString()).toBe('old page');
    await s.tidy();
    expect(await readdir(root)).toEqual(['prod']);
    expect((await stat(path.join(root, 'prod'))).isDirectory()).toBe(true);
  });
});
