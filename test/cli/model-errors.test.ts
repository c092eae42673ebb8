/** Bad model input: one clear line naming the file and the problem, exit 1, nothing written. */
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xoay } from '../helpers/cli.js';
import sharp from 'sharp';
import { model } from '../../pipeline/model/model.js';
import { boxGlb, gltfFromGlb } from '../helpers/models.js';

let tmp: string;
let box: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-model-errors-'));
  box = await boxGlb(path.join(tmp, 'box.glb'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function fails(input: string, match: RegExp) {
  const out = path.join(tmp, `out-${path.basename(input)}`);
  const before = await readFile(input).catch(() => null);
  const r = await xoay(['model', input, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^xoay model: /);
  expect(lines[0]).toMatch(match);
  expect(await readFile(input).catch(() => null)).toEqual(before);
  expect((await readdir(tmp)).filter((n) => n.startsWith(`out-${path.basename(input)}`) || n.includes('.xoay-tmp-'))).toEqual([]);
}

/** A .gltf next to a .bin, with `mutate` applied to its JSON. */
function gltf(name: string, mutate: (j: Record<string, any>) => void): Promise<string> {
  return gltfFromGlb(box, path.join(tmp, name), name, mutate);
}

describe('xoay model refuses bad input clearly', () => {
  it('a text file named .glb, and a JPEG renamed .glb', async () => {
    const t = path.join(tmp, 'text.glb');
    await writeFile(t, 'hello, not a model\n');
    await fails(t, /text\.glb: not a GLB file/);
    const j = path.join(tmp, 'photo.glb');
    await writeFile(j, Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...new Array(40).fill(0)]));
    await fails(j, /photo\.glb: not a GLB file/);
  });
  it('a wrong GLB version and a truncated GLB', async () => {
    const glb = await readFile(box);
    const v1 = Buffer.from(glb);
    v1.writeUInt32LE(1, 4);
    await writeFile(path.join(tmp, 'v1.glb'), v1);
    await fails(path.join(tmp, 'v1.glb'), /GLB version 1 is not supported/);
    await writeFile(path.join(tmp, 'cut.glb'), glb.subarray(0, glb.length - 40));
    await fails(path.join(tmp, 'cut.glb'), /cut\.glb: the GLB is truncated/);
  });
  it('a JSON syntax error', async () => {
    const f = path.join(tmp, 'broken.gltf');
    await writeFile(f, '{"asset": {"version": "2.0"}, ');
    await fails(f, /broken\.gltf: not valid glTF JSON/);
  });
  it('an accessor past its buffer view (checked before the validator), and wrong bounds (the validator’s own message)', async () => {
    const f = await gltf('range', (j) => {
      j.accessors[0].count = 1000;
    });
    await fails(f, /range\.gltf: accessors\[0\]: 1000 × VEC3 needs 12000 bytes of its buffer view, which has \d+/);
    const g = await gltf('bounds', (j) => {
      j.accessors[0].max = [0, 0, 0];
    });
    await fails(g, /glTF-Validator found \d+ errors?: .*ACCESSOR/);
  });
  it('a missing .bin', async () => {
    const f = await gltf('nobin', (j) => {
      j.buffers[0].uri = 'gone.bin';
    });
    await fails(f, /nobin\.gltf: buffers\[0\]\.uri: the buffer file "gone\.bin" is missing/);
  });
  it('URIs with ../, an absolute path, or http:', async () => {
    await fails(await gltf('up', (j) => (j.buffers[0].uri = '../box.bin')), /refuses "\.\.\/box\.bin": it points outside the model's folder/);
    await fails(await gltf('abs', (j) => (j.buffers[0].uri = '/etc/passwd')), /refuses the absolute path "\/etc\/passwd"/);
    await fails(await gltf('net', (j) => (j.buffers[0].uri = 'http://example.com/box.bin')), /refuses the URI "http:\/\/example\.com\/box\.bin"/);
  });
  it('zero meshes, and degenerate triangles only', async () => {
    await fails(await boxGlb(path.join(tmp, 'empty.glb'), { empty: true }), /empty\.glb: the model has no meshes/);
    await fails(await boxGlb(path.join(tmp, 'flat.glb'), { degenerate: true }), /flat\.glb: no usable triangles: all 2 are degenerate/);
  });
  it('a texture over 16k a side, and one over the pixel limit (decompression-bomb guard)', async () => {
    const wide = await sharp({ create: { width: 17000, height: 8, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await fails(await boxGlb(path.join(tmp, 'wide.glb'), { texture: wide }), /wide\.glb: texture 0 \("label"\) is 17000×8, over the limit of 16384 px a side/);
    const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await expect(model(await boxGlb(path.join(tmp, 'bomb.glb'), { texture: small }), path.join(tmp, 'bomb-out'), { limitInputPixels: 1000 })).rejects.toThrow(
      /texture 0 \("label"\) is 64×64, over the limit .* 1000 pixels/,
    );
  });
  it('a data: URI larger than the limit', async () => {
    const f = await gltf('inline', (j) => {
      j.buffers[0].uri = `data:application/octet-stream;base64,${Buffer.alloc(j.buffers[0].byteLength).toString('base64')}`;
    });
    await expect(model(f, path.join(tmp, 'inline-out'), { maxDataUriBytes: 16 })).rejects.toThrow(
      /inline\.gltf: buffers\[0\]\.uri: a data: URI holds about \d+ bytes, over the limit of 16/,
    );
  });
  it('a missing file', async () => {
    await fails(path.join(tmp, 'nope.glb'), /nope\.glb: the model file does not exist/);
    await copyFile(box, path.join(tmp, 'box.fbx'));
    await fails(path.join(tmp, 'box.fbx'), /expected a \.glb, \.gltf or \.obj file, got "\.fbx"/);
  });
});
