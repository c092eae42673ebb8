/** Models built in memory for tests. */
import { Document } from '@gltf-transform/core';
import { KHRMaterialsUnlit } from '@gltf-transform/extensions';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createIO } from '../../pipeline/model/codecs.js';

/** A small named box scene written as a GLB (or an empty scene, or degenerate triangles only). */
export async function boxGlb(file: string, opts: { degenerate?: boolean; empty?: boolean; texture?: Uint8Array; mimeType?: string } = {}): Promise<string> {
  const doc = new Document();
  const scene = doc.createScene('Scene');
  if (opts.empty) scene.addChild(doc.createNode('Nothing here'));
  else {
    const buffer = doc.createBuffer();
    const p = new Float32Array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1]);
    const idx = opts.degenerate ? new Uint16Array([0, 0, 1, 2, 2, 3]) : new Uint16Array([0, 1, 2, 0, 2, 3, 4, 6, 5, 4, 7, 6, 0, 4, 5, 0, 5, 1]);
    const position = doc.createAccessor('position').setType('VEC3').setArray(p).setBuffer(buffer);
    const indices = doc.createAccessor('indices').setType('SCALAR').setArray(idx).setBuffer(buffer);
    const red = doc.createMaterial('Lacquer red').setBaseColorFactor([0.8, 0.1, 0.1, 1]);
    if (opts.texture)
      red.setBaseColorTexture(
        doc
          .createTexture('label')
          .setImage(opts.texture)
          .setMimeType(opts.mimeType ?? 'image/png'),
      );
    const prim = doc.createPrimitive().setAttribute('POSITION', position).setIndices(indices).setMaterial(red);
    if (opts.texture)
      prim.setAttribute(
        'TEXCOORD_0',
        doc
          .createAccessor('uv')
          .setType('VEC2')
          .setArray(new Float32Array(16).map((_, i) => (i % 3) / 2))
          .setBuffer(buffer),
      );
    const mesh = doc.createMesh('Box body').addPrimitive(prim);
    scene.addChild(doc.createNode('Box').setMesh(mesh).setTranslation([0.5, 0, 0]));
  }
  const io = await createIO();
  await io.write(file, doc);
  return file;
}

/**
 * A UV sphere (`segments` around, half as many rings; a seam, poles) with NORMAL and TEXCOORD_0 and an unlit 256×256
 * checker texture (8×8 squares, red/white), written as a GLB: a texture on the wrong texels shows at a glance, and
 * unlit it looks the same under any viewer's light.
 */
export async function checkerSphereGlb(file: string, segments = 48): Promise<string> {
  const rings = segments / 2;
  const p: number[] = [];
  const n: number[] = [];
  const uv: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const v = r / rings;
    const theta = v * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const u = s / segments;
      const phi = u * 2 * Math.PI;
      const x = Math.sin(theta) * Math.cos(phi);
      const y = Math.cos(theta);
      const z = -Math.sin(theta) * Math.sin(phi);
      p.push(x, y, z);
      n.push(x, y, z);
      uv.push(u, v);
    }
  }
  const idx: number[] = [];
  const row = segments + 1;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * row + s;
      const b = a + row;
      if (r > 0) idx.push(a, b, a + 1);
      if (r < rings - 1) idx.push(a + 1, b, b + 1);
    }
  }
  const size = 256;
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) raw.set(((x >> 5) + (y >> 5)) % 2 ? [230, 30, 30] : [245, 245, 245], (y * size + x) * 3);
  }
  const png = new Uint8Array(
    await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
  const doc = new Document();
  const buffer = doc.createBuffer();
  const accessor = (name: string, type: 'VEC2' | 'VEC3', a: number[]) => doc.createAccessor(name).setType(type).setArray(new Float32Array(a)).setBuffer(buffer);
  const material = doc.createMaterial('Checker').setBaseColorTexture(doc.createTexture('checker').setImage(png).setMimeType('image/png'));
  material.setExtension('KHR_materials_unlit', doc.createExtension(KHRMaterialsUnlit).createUnlit());
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor('position', 'VEC3', p))
    .setAttribute('NORMAL', accessor('normal', 'VEC3', n))
    .setAttribute('TEXCOORD_0', accessor('uv', 'VEC2', uv))
    .setIndices(doc.createAccessor('indices').setType('SCALAR').setArray(new Uint16Array(idx)).setBuffer(buffer))
    .setMaterial(material);
  doc.createScene('Scene').addChild(doc.createNode('Sphere').setMesh(doc.createMesh('Checker sphere').addPrimitive(prim)));
  await (await createIO()).write(file, doc);
  return file;
}

/** A square PNG texture, `size` px a side: green on the left half, blue on the right. */
export async function twoColourPng(size = 64): Promise<Uint8Array> {
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) raw.set(x < size / 2 ? [20, 200, 40] : [30, 60, 220], (y * size + x) * 3);
  return new Uint8Array(
    await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/**
 * A GLB (one buffer) given as `<dir>/<name>.gltf` beside `<dir>/box.bin`, its JSON changed by `mutate` (which may
 * also write files into `dir`) before it is written.
 */
// biome-ignore lint/suspicious/noExplicitAny: the tests reach into any part of the glTF JSON
export async function gltfFromGlb(
  glbFile: string,
  dir: string,
  name: string,
  mutate: (json: Record<string, any>, dir: string) => Promise<void> | void,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const glb = await readFile(glbFile);
  const jsonLen = glb.readUInt32LE(12);
  const json = JSON.parse(glb.subarray(20, 20 + jsonLen).toString('utf8'));
  const binStart = 20 + jsonLen + 8;
  await writeFile(path.join(dir, 'box.bin'), glb.subarray(binStart, binStart + json.buffers[0].byteLength));
  json.buffers[0].uri = 'box.bin';
  await mutate(json, dir);
  const file = path.join(dir, `${name}.gltf`);
  await writeFile(file, JSON.stringify(json));
  return file;
}
