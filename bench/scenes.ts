/**
 * Generated scenes for the scale rows of `npm run bench:model` (issue 19): n nodes in a hierarchy (each node's
 * children up to 8, so depth grows as log n), each with its own small mesh (a tetrahedron, one primitive), one
 * material per 10 nodes of which every other one is identical to another (so the merge's material folding has work),
 * and the "shared" variant: n nodes at one place sharing one triangle (the hostile reproducer's shape).
 */
import { Document } from '@gltf-transform/core';
import { createIO } from '../pipeline/model/codecs.js';

export type SceneKind = 'distinct' | 'shared';

export async function writeScene(file: string, n: number, kind: SceneKind): Promise<void> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene('Scene');
  const tetra = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const tetraIdx = new Uint16Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]);
  const materials = Array.from({ length: Math.max(1, Math.ceil(n / 10)) }, (_, i) =>
    doc.createMaterial(`material ${i}`).setBaseColorFactor([((i >> 1) % 7) / 7, ((i >> 1) % 5) / 5, ((i >> 1) % 3) / 3, 1]),
  );
  const nodes = [];
  let shared;
  for (let i = 0; i < n; i++) {
    let mesh;
    if (kind === 'shared') {
      shared ??= doc.createMesh('triangle').addPrimitive(
        doc
          .createPrimitive()
          .setAttribute(
            'POSITION',
            doc
              .createAccessor()
              .setType('VEC3')
              .setArray(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]))
              .setBuffer(buffer),
          )
          .setIndices(
            doc
              .createAccessor()
              .setType('SCALAR')
              .setArray(new Uint16Array([0, 1, 2]))
              .setBuffer(buffer),
          ),
      );
      mesh = shared;
    } else {
      const p = tetra.map((v, k) => v * (1 + (i % 13) / 13) + (k % 3 === 0 ? i % 100 : k % 3 === 1 ? Math.floor(i / 100) % 100 : 0));
      mesh = doc.createMesh(`mesh ${i}`).addPrimitive(
        doc
          .createPrimitive()
          .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(p).setBuffer(buffer))
          .setIndices(doc.createAccessor().setType('SCALAR').setArray(tetraIdx.slice()).setBuffer(buffer))
          .setMaterial(materials[Math.floor(i / 10)]!),
      );
    }
    const node = doc.createNode(`node ${i}`).setMesh(mesh);
    if (kind === 'distinct' && i > 0) nodes[Math.floor((i - 1) / 8)]!.addChild(node);
    else scene.addChild(node);
    nodes.push(node);
  }
  const io = await createIO();
  await io.write(file, doc);
}
