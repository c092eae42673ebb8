/** Models built in memory for tests. */
import { Document } from '@gltf-transform/core';
import { createIO } from '../../pipeline/model/codecs.js';

/** A small named box scene written as a GLB (or an empty scene, or degenerate triangles only). */
export async function boxGlb(file: string, opts: { degenerate?: boolean; empty?: boolean; texture?: Uint8Array } = {}): Promise<string> {
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
    if (opts.texture) red.setBaseColorTexture(doc.createTexture('label').setImage(opts.texture).setMimeType('image/png'));
    const prim = doc.createPrimitive().setAttribute('POSITION', position).setIndices(indices).setMaterial(red);
    if (opts.texture) prim.setAttribute('TEXCOORD_0', doc.createAccessor('uv').setType('VEC2').setArray(new Float32Array(16).map((_, i) => (i % 3) / 2)).setBuffer(buffer));
    const mesh = doc.createMesh('Box body').addPrimitive(prim);
    scene.addChild(doc.createNode('Box').setMesh(mesh).setTranslation([0.5, 0, 0]));
  }
  const io = await createIO();
  await io.write(file, doc);
  return file;
}
