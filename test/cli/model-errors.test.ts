/** Bad model input: one clear line naming the file and the problem, exit 1, nothing written. */
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xoayFails } from '../helpers/cli.js';
import sharp from 'sharp';
import { model } from '../../pipeline/model/model.js';
import { boxGlb, gltfFromGlb } from '../helpers/models.js';
import { KHRTextureBasisu } from '@gltf-transform/extensions';
import { draco, meshopt } from '@gltf-transform/functions';
import { createDefaultContainer, write as writeKtx2, VK_FORMAT_R8G8B8A8_SRGB } from 'ktx-parse';
import { MeshoptEncoder } from 'meshoptimizer';
import { createIO } from '../../pipeline/model/codecs.js';

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
  const r = await xoayFails(['model', input, '-o', out, '-q']); // and with --json (test/helpers/cli.ts)
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

/** A 64×64 baseline JPEG of noise (a real scan to damage). */
async function noiseJpeg(): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + (i >> 7) * 11) & 255;
  return sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** An uncompressed 4×4 RGBA KTX2 (one level), parseable by ktx-parse. */
function smallKtx2(): Uint8Array {
  const c = createDefaultContainer();
  c.vkFormat = VK_FORMAT_R8G8B8A8_SRGB;
  c.typeSize = 1;
  c.pixelWidth = 4;
  c.pixelHeight = 4;
  c.levelCount = 1;
  c.levels = [{ levelData: new Uint8Array(4 * 4 * 4).fill(200), uncompressedByteLength: 64 }];
  return writeKtx2(c);
}

/** The textured box with its texture replaced by `ktx2` (KHR_texture_basisu). */
async function ktx2Box(file: string, ktx2: Uint8Array): Promise<string> {
  const io = await createIO();
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
  const doc = await io.read(await boxGlb(path.join(tmp, 'ktx2-base.glb'), { texture: png }));
  doc.createExtension(KHRTextureBasisu).setRequired(true);
  doc.getRoot().listTextures()[0]!.setImage(ktx2).setMimeType('image/ktx2');
  await writeFile(file, await io.writeBinary(doc));
  return file;
}

/** The box written with `transform` (Draco or meshopt) as a .gltf + box.bin; `damage` changes the JSON and the .bin's bytes. */
async function compressedBox(name: string, kind: 'draco' | 'meshopt', damage: (j: Record<string, any>, bin: Buffer) => void): Promise<string> {
  const io = await createIO();
  const doc = await io.read(box);
  await MeshoptEncoder.ready;
  await doc.transform(kind === 'draco' ? draco() : meshopt({ encoder: MeshoptEncoder }));
  const glb = path.join(tmp, `${name}-src.glb`);
  await writeFile(glb, await io.writeBinary(doc));
  return gltfFromGlb(glb, path.join(tmp, name), name, async (j, dir) => {
    const bin = await readFile(path.join(dir, 'box.bin'));
    damage(j, bin);
    await writeFile(path.join(dir, 'box.bin'), bin);
  });
}

describe('xoay model: compressed and corrupt parts named in one line (issue 15)', () => {
  it('a KTX2 texture that does not parse, one cut short, one with too many mip levels; a good one is read', { timeout: 180_000 }, async () => {
    const good = smallKtx2();
    await fails(
      await ktx2Box(path.join(tmp, 'ktx2-junk.glb'), new Uint8Array([...good.subarray(0, 12), ...new Uint8Array(200).fill(0x7f)])),
      /ktx2-junk\.glb: texture 0 \("label"\) is a KTX2 image that does not parse \(/,
    );
    await fails(
      await ktx2Box(path.join(tmp, 'ktx2-cut.glb'), good.subarray(0, good.length - 40)),
      /ktx2-cut\.glb: texture 0 \("label"\) is a KTX2 image that does not parse/,
    );
    const levels = Buffer.from(good);
    levels.writeUInt32LE(12, 12 + 7 * 4); // levelCount
    await fails(
      await ktx2Box(path.join(tmp, 'ktx2-levels.glb'), levels),
      /ktx2-levels\.glb: texture 0 \("label"\) is a KTX2 image that (does not parse|declares 12 mip levels)/,
    );
    const { report } = await model(await ktx2Box(path.join(tmp, 'ktx2-good.glb'), good), path.join(tmp, 'ktx2-good-out'), { textures: 'keep', budget: 'none' });
    expect(report.after.textures[0]!.mimeType).toBe('image/ktx2');
  });

  it('a Draco buffer that does not decode, and one whose attribute ids are not in it', { timeout: 180_000 }, async () => {
    const junk = await compressedBox('draco-junk', 'draco', (j, bin) => {
      const v = j.bufferViews[j.meshes[0].primitives[0].extensions.KHR_draco_mesh_compression.bufferView];
      for (let i = 0; i < v.byteLength; i++) bin[(v.byteOffset ?? 0) + i] = i < 8 ? bin[(v.byteOffset ?? 0) + i]! : 0xee;
    });
    await fails(
      junk,
      /draco-junk\.gltf: meshes\[0\]\.primitives\[0\]\.extensions\.KHR_draco_mesh_compression: the Draco data in bufferViews\[\d+\] \(\d+ bytes\) (does not decode|is not a triangle mesh)/,
    );
    const ids = await compressedBox('draco-ids', 'draco', (j) => {
      j.meshes[0].primitives[0].extensions.KHR_draco_mesh_compression.attributes.POSITION = 9;
    });
    await fails(
      ids,
      /draco-ids\.gltf: meshes\[0\]\.primitives\[0\]\.extensions\.KHR_draco_mesh_compression\.attributes\.POSITION: the Draco data has no attribute with id 9/,
    );
    const view = await compressedBox('draco-view', 'draco', (j) => {
      j.meshes[0].primitives[0].extensions.KHR_draco_mesh_compression.bufferView = 99;
    });
    await fails(
      view,
      /draco-view\.gltf: meshes\[0\]\.primitives\[0\]\.extensions\.KHR_draco_mesh_compression\.bufferView: expected a whole number from 0 to \d+, got 99/,
    );
  });

  it('a meshopt stream of the wrong length, or of the wrong count, or reaching past its buffer', { timeout: 180_000 }, async () => {
    const short = await compressedBox('meshopt-short', 'meshopt', (j) => {
      const e = j.bufferViews.find((v: any) => v.extensions?.EXT_meshopt_compression).extensions.EXT_meshopt_compression;
      e.byteLength -= 9;
    });
    await fails(
      short,
      /meshopt-short\.gltf: bufferViews\[\d+\]\.extensions\.EXT_meshopt_compression: the meshopt stream \(\d+ bytes\) does not decode to \d+ × \d+-byte [A-Z]+: Malformed buffer data/,
    );
    const count = await compressedBox('meshopt-count', 'meshopt', (j) => {
      const v = j.bufferViews.find((v: any) => v.extensions?.EXT_meshopt_compression?.mode === 'ATTRIBUTES');
      v.extensions.EXT_meshopt_compression.count /= 2;
    });
    await fails(
      count,
      /meshopt-count\.gltf: bufferViews\[\d+\]\.extensions\.EXT_meshopt_compression: 4 × \d+ bytes decode to \d+ bytes, fewer than the buffer view's \d+/,
    );
    const past = await compressedBox('meshopt-past', 'meshopt', (j) => {
      const e = j.bufferViews.find((v: any) => v.extensions?.EXT_meshopt_compression).extensions.EXT_meshopt_compression;
      e.byteOffset = j.buffers[e.buffer].byteLength - 2;
    });
    await fails(past, /meshopt-past\.gltf: bufferViews\[\d+\]\.extensions\.EXT_meshopt_compression: bytes \d+–\d+ lie beyond buffers\[\d+\]'s \d+ bytes/);
  });

  it('a corrupt embedded JPEG: a bogus Huffman table, a scan cut short (decoded strictly at read)', { timeout: 180_000 }, async () => {
    const jpg = await noiseJpeg();
    const dht = jpg.indexOf(Buffer.from([0xff, 0xc4]));
    const bogus = Buffer.from(jpg);
    bogus.fill(0xff, dht + 5, dht + 21);
    await fails(
      await boxGlb(path.join(tmp, 'jpeg-huffman.glb'), { texture: bogus, mimeType: 'image/jpeg' }),
      /jpeg-huffman\.glb: texture 0 \("label"\) is not a readable JPEG \(Input buffer has corrupt header: VipsJpeg: Bogus Huffman table/,
    );
    const sos = jpg.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([jpg.subarray(0, sos + Math.floor((jpg.length - sos) / 2)), Buffer.from([0xff, 0xd9])]);
    await fails(
      await boxGlb(path.join(tmp, 'jpeg-cut.glb'), { texture: cut, mimeType: 'image/jpeg' }),
      /jpeg-cut\.glb: texture 0 \("label"\) cannot be decoded: VipsJpeg: Corrupt JPEG data: premature end of data segment/,
    );
  });

  it('a buffer URI with a malformed % escape, "buffers": 5', async () => {
    await fails(await gltf('percent', (j) => (j.buffers[0].uri = '%ZZ.bin')), /percent\.gltf: buffers\[0\]\.uri: the URI "%ZZ\.bin" has a malformed % escape/);
    await fails(await gltf('buffers-five', (j) => (j.buffers = 5)), /buffers-five\.gltf: "buffers": expected an array, got the number 5/);
  });

  it('crashes the fuzzer found: a mesh placed in no scene; a meshopt input that does not require its extension (two buffers)', {
    timeout: 180_000,
  }, async () => {
    // The clean stage pruned the unplaced mesh and the check read an empty output, naming the temporary file.
    await fails(await gltf('unplaced', (j) => void (j.nodes = [{}])), /unplaced\.gltf: no mesh is placed in a scene: the model's 1 mesh belongs to no node/);
    // The meshopt fallback buffer stayed beside the decoded one: "GLB must have 0–1 buffers" in the geometry stage.
    const f = await compressedBox('meshopt-optional', 'meshopt', (j) => {
      j.extensionsRequired = j.extensionsRequired.filter((e: string) => e !== 'EXT_meshopt_compression');
    });
    const { report } = await model(f, path.join(tmp, 'meshopt-optional-out'), { textures: 'keep', budget: 'none' });
    expect(report.after.triangles).toBe(6);
  });
});
