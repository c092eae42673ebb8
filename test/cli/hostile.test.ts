/**
 * Hostile models and folders (issue 19): every reproducer of the shared data, and the FIFO, /dev/zero and
 * symbolic-link cases made here, give one line naming the file and the problem, exit 1, nothing left behind;
 * in `xoay build` a bad product fails alone beside a good one, and no file from outside a product folder is published.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, xoay, xoayFails } from '../helpers/cli.js';
import { mapLimit } from '../../pipeline/core/pool.js';
import { dataSet, ROOT } from '../helpers/data.js';
import { boxGlb, gltfFromGlb } from '../helpers/models.js';
import { facts } from '../helpers/products.js';

const hostile = dataSet('hostile');
const SECRET = 'SECRET-OUTSIDE-7f3a9c';

let tmp: string;
let outside: string;
let box: string;
let textured: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-hostile-'));
  outside = path.join(tmp, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), `${SECRET}\n`);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
    .png()
    .toFile(path.join(outside, 'secret.png'));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#654321' } })
    .jpeg()
    .toFile(path.join(outside, 'secret.jpg'));
  box = await boxGlb(path.join(tmp, 'box.glb'));
  textured = await boxGlb(path.join(tmp, 'textured.glb'), {
    texture: new Uint8Array(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#aa3322' } })
        .png()
        .toBuffer(),
    ),
  });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Lists a folder, with the names a stopped run could leave (temporary outputs). */
const leftovers = async (dir: string) => (await readdir(dir)).filter((n) => n.includes('.xoay-tmp-') || n.startsWith('out'));

/** Runs `xoay model` into a fresh folder; returns the result and what the run left in that folder. */
async function runModel(input: string, fails = true) {
  const where = await mkdtemp(path.join(tmp, 'run-'));
  const hash = async () =>
    createHash('sha256')
      .update(await readFile(input).catch(() => Buffer.alloc(0)))
      .digest('hex');
  const before = await hash();
  // A refused model is run as typed and again with --json (one {"error":…} document on stdout: test/helpers/cli.ts).
  const args = ['model', input, '-o', path.join(where, 'out'), '-q', '--textures', 'webp'];
  const r = fails ? await xoayFails(args) : await xoay(args);
  expect(await hash(), 'the input is unchanged').toBe(before);
  return { ...r, left: await leftovers(where) };
}

/** One line naming the file, exit 1, no stack trace, nothing written; the same with --json (each case runs twice). */
async function refused(input: string, match: RegExp) {
  const r = await runModel(input);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^xoay model: /);
  expect(lines[0]).not.toMatch(/unexpected error|\n\s+at /);
  expect(lines[0]).toContain(path.basename(input));
  expect(lines[0]!.length).toBeLessThan(2600);
  expect(lines[0]).toMatch(match);
  expect(r.left).toEqual([]);
  return lines[0]!;
}

/**
 * Several refusals side by side (each runs in a folder of its own, as typed then with --json); their lines, in order.
 * Each process mostly starts up and reads: two cores run several.
 */
function refusedAll(cases: [input: string, match: RegExp][]): Promise<string[]> {
  return mapLimit(cases, cases.length, ([input, match]) => refused(input, match));
}

/** A .gltf beside its .bin (the test box), its JSON changed by `mutate`, in a folder of its own. */
function gltf(name: string, mutate: (j: Record<string, any>, dir: string) => Promise<void> | void, base = box): Promise<string> {
  return gltfFromGlb(base, path.join(tmp, name), name, mutate);
}

/** The box with a base-colour texture read from `uri` (with UVs when made from the textured box). */
function withTexture(j: Record<string, any>, uri: string): void {
  j.images = [{ uri, mimeType: 'image/png' }];
  j.textures = [{ source: 0 }];
  j.materials[0].pbrMetallicRoughness = { ...(j.materials[0].pbrMetallicRoughness ?? {}), baseColorTexture: { index: 0 } };
}

// Each reproducer runs in a folder of its own (runModel): they run side by side (vitest's maxConcurrency, 5).
describe.skipIf(!hostile.present).concurrent(`the shared reproducers ${hostile.reason}`, () => {
  const cases = hostile.present ? execFileSync('ls', [hostile.dir]).toString().trim().split('\n') : [];
  for (const name of cases) {
    it(`${name}: one line naming the file, or a valid model; never a stack trace, a hang or leftovers`, { timeout: 120_000 }, async () => {
      const dir = path.join(hostile.dir, name);
      const file = (await readdir(dir)).find((f) => /\.(gltf|glb)$/.test(f))!;
      const r = await runModel(path.join(dir, file), name !== 'model-many-nodes');
      if (name === 'model-many-nodes') {
        // 20,000 nodes sharing one triangle is a valid model: it is built (it hung in the merge stage).
        expect(r.code, r.stderr).toBe(0);
        expect(r.left).toEqual(['out']);
        return;
      }
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^xoay model: .*${file.replace('.', '\\.')}: `));
      expect(r.left).toEqual([]);
    });
  }
});

describe('xoay model: files it must not read, and raw errors that became one line', () => {
  it('a buffer that is a FIFO, an image that links to /dev/zero, a texture that links outside, a model that links outside', { timeout: 180_000 }, async () => {
    const fifo = await gltf('fifo', (j, dir) => {
      execFileSync('mkfifo', [path.join(dir, 'pipe.bin')]);
      j.buffers[0].uri = 'pipe.bin';
    });
    const zero = await gltf('zero', async (j, dir) => {
      await symlink('/dev/zero', path.join(dir, 'zero.png'));
      withTexture(j, 'zero.png');
    });
    const linked = await gltf('linked', async (j, dir) => {
      await symlink(path.join(outside, 'secret.png'), path.join(dir, 'label.png'));
      withTexture(j, 'label.png');
    });
    const dirModel = path.join(tmp, 'model-link');
    await mkdir(dirModel);
    await copyFile(box, path.join(outside, 'elsewhere.glb'));
    await symlink(path.join(outside, 'elsewhere.glb'), path.join(dirModel, 'model.glb'));
    await refusedAll([
      [fifo, /buffers\[0\]\.uri: .*"pipe\.bin" is a named pipe \(FIFO\), not a regular file/],
      [zero, /images\[0\]\.uri: .*"zero\.png" is a symbolic link to a file outside its folder/],
      [linked, /"label\.png" is a symbolic link to a file outside its folder/],
      [path.join(dirModel, 'model.glb'), /outside its folder/],
    ]);
  });

  it('"meshes": [null], "buffers": 5, a texture without a source, an image that is a folder', { timeout: 180_000 }, async () => {
    await refusedAll([
      [await gltf('null-mesh', (j) => void (j.meshes = [null])), /meshes\[0\]: expected an object, got null/],
      [await gltf('buffers-5', (j) => void (j.buffers = 5)), /"buffers": expected an array, got the number 5/],
      [
        await gltf('no-source', (j) => {
          withTexture(j, 'x.png');
          j.textures = [{}];
        }),
        /textures\[0\]: has no image \(no "source"\)/,
      ],
      [
        await gltf('image-folder', async (j, dir) => {
          await mkdir(path.join(dir, 'tex.png'));
          withTexture(j, 'tex.png');
        }),
        /images\[0\]\.uri: .*"tex\.png" is a folder, not a regular file/,
      ],
    ]);
  });

  it('a 10 MB URI and a 10 MB key are not echoed whole; an SVG saved as .png is named as what it is', { timeout: 180_000 }, async () => {
    const longUri = await gltf('long-uri', (j) => void (j.buffers[0].uri = `${'a'.repeat(10_000_000)}.bin`));
    const longKey = await gltf('long-key', (j) => void (j.extras = { [`${'k'.repeat(10_000_000)}\nxoay model: done`]: 1 }));
    const svg = await gltf(
      'svg',
      async (j, dir) => {
        await writeFile(path.join(dir, 'label.png'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
        withTexture(j, 'label.png');
      },
      textured,
    );
    const [long, key] = await refusedAll([
      [longUri, /is 10000004 characters long, over the limit of 2048/],
      [longKey, /characters long, over the limit of 256/],
      [svg, /texture 0 \(image "label\.png"\) is not a PNG, JPEG, WebP, AVIF or KTX2 image \(its first bytes: "<svg xmlns=/],
    ]);
    expect(long!.length).toBeLessThan(1000);
    expect(key!.length).toBeLessThan(1000);
  });
});

describe('xoay spin: a frame name that is not UTF-8', () => {
  it('is named as such (it was reported as missing: ENOENT)', { timeout: 60_000 }, async () => {
    const dir = path.join(tmp, 'shoot');
    await mkdir(dir);
    const frame = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    for (let i = 1; i <= 8; i++) await writeFile(path.join(dir, `frame-${i}.jpg`), frame);
    await writeFile(Buffer.concat([Buffer.from(path.join(dir, 'frame-')), Buffer.from([0xe9]), Buffer.from('9.jpg')]), frame);
    const where = await mkdtemp(path.join(tmp, 'run-'));
    const r = await xoayFails(['spin', dir, '-o', path.join(where, 'out'), '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^xoay spin: .*shoot: the file name "frame-\u00e99\.jpg" is not valid UTF-8: rename it$/),
    ]);
    expect(await readdir(where)).toEqual([]);
  });

  it('a shoot.json that is a FIFO is refused (reading it waited for a writer for ever)', { timeout: 60_000 }, async () => {
    const dir = path.join(tmp, 'shoot-fifo');
    await mkdir(dir);
    const frame = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    for (let i = 1; i <= 8; i++) await writeFile(path.join(dir, `frame-${i}.jpg`), frame);
    execFileSync('mkfifo', [path.join(dir, 'shoot.json')]);
    const where = await mkdtemp(path.join(tmp, 'run-'));
    const r = await xoayFails(['spin', dir, '-o', path.join(where, 'out'), '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^xoay spin: .*shoot-fifo\/shoot\.json: the shoot description "shoot\.json" is a named pipe \(FIFO\), not a regular file$/),
    ]);
    expect(await readdir(where)).toEqual([]);
  });
});

describe('xoay build: a hostile product fails alone, and nothing from outside a product folder is published', () => {
  it('bad products beside a good one: the good one is built, each bad one named in one line; no secret reaches the site; no scratch left', {
    timeout: 180_000,
  }, async () => {
    const cat = path.join(tmp, 'catalogue');
    await mkdir(cat);
    const product = async (name: string, extra: (dir: string) => Promise<void>, factsOverride: Record<string, unknown> = {}) => {
      const dir = path.join(cat, name);
      await mkdir(path.join(dir, 'photos'), { recursive: true });
      await writeFile(path.join(dir, 'product.json'), JSON.stringify(facts(name, factsOverride)));
      await copyFile(path.join(outside, 'secret.jpg'), path.join(dir, 'photos', '1.jpg'));
      await extra(dir);
      return dir;
    };
    await product('good', async () => {});
    await product('story-link', (d) => symlink(path.join(outside, 'secret.txt'), path.join(d, 'story.md')));
    await product('story-folder', (d) => mkdir(path.join(d, 'story.md')));
    await product('photo-link', (d) => symlink(path.join(outside, 'secret.jpg'), path.join(d, 'photos', '2.jpg')));
    await product('model-link', (d) => symlink(path.join(outside, 'elsewhere.glb'), path.join(d, 'model.glb')));
    await product('texture-link', async (d) => {
      const g = await gltf('texture-link-model', async (j, dir) => {
        await symlink(path.join(outside, 'secret.png'), path.join(dir, 'label.png'));
        withTexture(j, 'label.png');
      });
      for (const f of await readdir(path.dirname(g)))
        await cp(path.join(path.dirname(g), f), path.join(d, f === path.basename(g) ? 'model.gltf' : f), { verbatimSymlinks: true });
    });
    await product('fifo-facts', async (d) => {
      await rm(path.join(d, 'product.json'));
      execFileSync('mkfifo', [path.join(d, 'product.json')]);
    });
    await product('frame-name', async (d) => {
      await mkdir(path.join(d, 'spin'));
      await copyFile(
        path.join(outside, 'secret.jpg'),
        Buffer.concat([Buffer.from(path.join(d, 'spin', 'frame-')), Buffer.from([0xff, 0xfe]), Buffer.from('.jpg')]),
      );
    });
    await product('deep-facts', async () => {}, { origin: { batch: '1', deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) } });
    await product('forged-line', async () => {}, { ['x\nbuild: 9 products in 0.1 s: 9 built']: 1 });
    if (hostile.present) await cp(path.join(hostile.dir, 'model-validator-infinity/catalogue/bad'), path.join(cat, 'validator-crash'), { recursive: true });

    const site = path.join(tmp, 'site');
    const scratch = path.join(tmp, 'tmpdir');
    await mkdir(scratch);
    const r = await xoay(['build', cat, '-o', site, '--base-url', 'https://ocop.example.vn/', '--cache', path.join(tmp, 'cache')], {
      env: { TMPDIR: scratch },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(r.stderr).not.toMatch(/^build: 9 products/m);
    const failed = r.stderr.split('\n').filter((l) => l.startsWith('  failed: '));
    const expected: [string, RegExp][] = [
      ['story-link', /story-link.*"story\.md" is a symbolic link to a file outside its folder/],
      ['story-folder', /story-folder.*"story\.md" is a folder, not a regular file/],
      ['photo-link', /photo-link.*"2\.jpg" is a symbolic link to a file outside its folder/],
      ['model-link', /model-link.*"model\.glb" is a symbolic link to a file outside its folder/],
      ['texture-link', /texture-link.*images\[0\]\.uri: .*"label\.png" is a symbolic link to a file outside its folder/],
      ['fifo-facts', /fifo-facts.*"product\.json" is a named pipe/],
      ['frame-name', /frame-name.*"frame-\u00ff\u00fe\.jpg" is not valid UTF-8/],
      ['deep-facts', /deep-facts.*nested more than 32 levels deep/],
      ['forged-line', /forged-line.*x\\nbuild: 9 products/],
      ...(hostile.present ? [['validator-crash', /validator-crash.*accessors\[0\]\.count: a number out of range/] as [string, RegExp]] : []),
    ];
    for (const [name, match] of expected)
      expect(
        failed.filter((l) => l.includes(`/${name}/`)),
        `${name}\n${r.stderr}`,
      ).toEqual([expect.stringMatching(match)]);
    expect(failed).toHaveLength(expected.length);
    // The good product is built; nothing in the site holds the secret text or the outside image.
    expect(existsSync(path.join(site, 'good', 'index.html'))).toBe(true);
    const files = execFileSync('find', [site, '-type', 'f']).toString().trim().split('\n');
    for (const f of files) expect((await readFile(f)).includes(SECRET), f).toBe(false);
    expect(files.filter((f) => f.includes('/story-link/') || f.includes('/photo-link/'))).toEqual([]);
    // The build's scratch folder is gone.
    expect(await readdir(scratch)).toEqual([]);
    // Again with --json: JSON lines only on stdout, each failure in the summary; exit 1.
    const j = await xoay(['build', cat, '-o', site, '--base-url', 'https://ocop.example.vn/', '--cache', path.join(tmp, 'cache'), '--json'], {
      env: { TMPDIR: scratch },
    });
    expect(j.code, j.stderr).toBe(1);
    const summary = jsonLines(j).at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', failed: expected.length });
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe('cancellation', () => {
  // Before the merge was linear and ran in a worker, the merge held the event loop for minutes: SIGTERM waited (the timeout catches the hang).
  it('SIGTERM while a large model is merged: the command ends, no temporary output is left', { timeout: 40_000 }, async () => {
    // 30,000 nodes at one place, sharing a triangle: seconds of merge work.
    const many = await gltf('many', (json) => {
      const mesh = json.nodes.find((n: { mesh?: number }) => n.mesh !== undefined).mesh;
      json.nodes = Array.from({ length: 30_000 }, () => ({ mesh }));
      json.scenes = [{ nodes: json.nodes.map((_: unknown, i: number) => i) }];
      json.scene = 0;
    });
    const where = await mkdtemp(path.join(tmp, 'run-'));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/xoay.js'), 'model', many, '-o', path.join(where, 'out'), '--textures', 'webp'], { cwd: ROOT });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/merge…/.test(stderr) && !child.killed) child.kill('SIGTERM');
      });
      child.on('close', (c, signal) => resolve(c ?? (signal ? 128 + 15 : null)));
    });
    expect(code, stderr).toBe(143);
    expect(await leftovers(where)).toEqual([]);
  });

  it('SIGTERM while xoay build compresses a model: the build ends, its scratch folder is removed, no half product in the site', {
    timeout: 60_000,
  }, async () => {
    const product = path.join(tmp, 'cancel-catalogue', 'many');
    await mkdir(product, { recursive: true });
    await writeFile(path.join(product, 'product.json'), JSON.stringify(facts('many')));
    await copyFile(path.join(tmp, 'many', 'many.gltf'), path.join(product, 'model.gltf'));
    await copyFile(path.join(tmp, 'many', 'box.bin'), path.join(product, 'box.bin'));
    const scratch = await mkdtemp(path.join(tmp, 'tmpdir-'));
    const site = path.join(tmp, 'cancel-site');
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/xoay.js'),
        'build',
        path.dirname(product),
        '-o',
        site,
        '--base-url',
        'https://ocop.example.vn/',
        '--cache',
        path.join(tmp, 'cancel-cache'),
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, TMPDIR: scratch } },
    );
    let out = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        // --json: the events are JSON lines on stdout; the model stage has started.
        if (/"stage":"model"/.test(out) && !child.killed) child.kill('SIGTERM');
      });
      child.stderr.resume();
      child.on('close', (c, signal) => resolve(c ?? (signal ? 128 + 15 : null)));
    });
    expect(code, out).toBe(143);
    expect(await readdir(scratch)).toEqual([]);
    expect(existsSync(path.join(site, 'many'))).toBe(false);
    expect((await readdir(site)).filter((n) => n.startsWith('.') && n !== '.xoay-site.json')).toEqual([]);
  });
});
