/**
 * Outputs readable by a web server running as another user (issue 16): an output folder (`xoay spin`, `model`,
 * `render`, `reconstruct`) and a folder put into a storage (a site's product, the viewer, a cache entry) come out with
 * folders 0777 and files 0666 less the umask (0755 / 0644), however their parts were made (mkdtemp's 0700, a copied
 * 0600 file).
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOutput } from '../../../pipeline/core/fsout.js';
import { FolderStorage } from '../../../pipeline/core/storage.js';

let tmp: string;
const mask = Number.parseInt(/^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!, 8);

/** Every path under `dir` (and itself) with its permission bits, octal. */
async function modes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { '.': ((await lstat(dir)).mode & 0o7777).toString(8) };
  for (const p of (await readdir(dir, { recursive: true })).map(String).sort()) out[p] = ((await lstat(path.join(dir, p))).mode & 0o7777).toString(8);
  return out;
}

/** A folder with parts made the way that loses the modes: a mkdtemp folder (0700) and a private file (0600). */
async function privateParts(dir: string): Promise<void> {
  const sub = await mkdtemp(path.join(dir, 'sub-'));
  await writeFile(path.join(sub, 'frame.jpg'), 'x');
  await chmod(path.join(sub, 'frame.jpg'), 0o600);
  await mkdir(path.join(dir, 'row'), { mode: 0o700 });
  await writeFile(path.join(dir, 'row', 'spin.json'), '{}', { mode: 0o600 });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-fsout-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('published modes', () => {
  const dirMode = (0o777 & ~mask).toString(8);
  const fileMode = (0o666 & ~mask).toString(8);
  const expected = (m: Record<string, string>) => Object.fromEntries(Object.keys(m).map((k) => [k, /\.(jpg|json|html)$/.test(k) ? fileMode : dirMode]));

  it('an output folder committed into place', async () => {
    const out = await openOutput(path.join(tmp, 'out', 'spin'), { stage: 'spin', inputs: [], force: false });
    await out.write('a.jpg', 'x');
    await privateParts(out.dir);
    await out.commit();
    const m = await modes(out.target);
    expect(Object.keys(m)).toHaveLength(6);
    expect(m).toEqual(expected(m));
  });

  it('a folder put into a FolderStorage, renamed (a product from mkdtemp) or copied, and object by object', async () => {
    for (const [name, storage, move] of [
      ['renamed', new FolderStorage(path.join(tmp, 'site-a')), true],
      ['copied', new FolderStorage(path.join(tmp, 'site-b')), false],
      ['objects', new FolderStorage(path.join(tmp, 'site-c'), { folderRename: false }), false],
    ] as const) {
      const local = await mkdtemp(path.join(tmp, 'product-'));
      await writeFile(path.join(local, 'index.html'), '<!doctype html>');
      await privateParts(local);
      await storage.putFolder('ban-go', local, { move, last: ['index.html'] });
      const m = await modes(path.join(storage.dir, 'ban-go'));
      expect(Object.keys(m), name).toHaveLength(6);
      expect(m, name).toEqual(expected(m));
    }
  });
});
