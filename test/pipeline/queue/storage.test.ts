/** The storage interface of distributed builds, for a shared folder. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStorage } from '../../../pipeline/queue/storage.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-storage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FolderStorage', () => {
  it('writes atomically (no temporary left), reads, lists sorted without dot-files, tells what exists', async () => {
    const s = new FolderStorage(dir);
    expect(s.root).toBe(`file://${dir}`);
    await s.writeAtomic('site/a/index.html', '<p>một</p>');
    await s.writeAtomic('site/b/x.bin', Buffer.from([1, 2, 3]));
    await s.writeAtomic('site/a/index.html', '<p>hai</p>');
    await writeFile(path.join(dir, 'site', 'a', '.hidden'), 'x');
    expect((await s.read('site/a/index.html')).toString()).toBe('<p>hai</p>');
    expect([...(await s.read('site/b/x.bin'))]).toEqual([1, 2, 3]);
    expect(await s.list('site')).toEqual(['site/a/index.html', 'site/b/x.bin']);
    expect(await s.list('site/')).toEqual(['site/a/index.html', 'site/b/x.bin']);
    expect(await s.list('nothing-here')).toEqual([]);
    expect(await s.exists('site/a/index.html')).toBe(true);
    expect(await s.exists('site/a/none.html')).toBe(false);
    expect((await readdir(path.join(dir, 'site', 'a'))).filter((f) => f.includes('xoay-tmp'))).toEqual([]);
  });

  it('refuses names outside its root', async () => {
    const s = new FolderStorage(dir);
    await expect(s.read('../etc/passwd')).rejects.toThrow(/outside the storage root/);
    await expect(s.writeAtomic('a/../../x', 'x')).rejects.toThrow(/outside the storage root/);
    expect(() => s.path('/etc/passwd')).toThrow(/outside the storage root/);
  });
});
