/**
 * The merge joins the copies of a mesh drawn by many nodes in one pass (issue 19: glTF Transform's join was quadratic
 * on them). The joined mesh must be what the copies drew: every copy in world space, normals turned with their node,
 * mirrored copies still facing out.
 */
import { Document, type Node } from '@gltf-transform/core';
import { describe, expect, it } from 'vitest';
import { merge } from '../../../pipeline/model/merge.js';

/** A tetrahedron with outward face normals (flat: one vertex per face corner), drawn by the given nodes. */
function scene(transforms: { t?: [number, number, number]; s?: [number, number, number]; r?: [number, number, number, number] }[]): Document {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const v = [
    [0, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const faces = [
    [0, 2, 1],
    [0, 1, 3],
    [0, 3, 2],
    [1, 2, 3],
  ];
  const pos: number[] = [],
    nrm: number[] = [];
  for (const [a, b, c] of faces) {
    const [pa, pb, pc] = [v[a!]!, v[b!]!, v[c!]!];
    const e1 = pb.map((x, k) => x - pa[k]!),
      e2 = pc.map((x, k) => x - pa[k]!);
    const n = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
    const len = Math.hypot(n[0]!, n[1]!, n[2]!);
    for (const p of [pa, pb, pc]) pos.push(...p), nrm.push(...n.map((x) => x / len));
  }
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(pos)).setBuffer(buffer))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(nrm)).setBuffer(buffer))
    .setIndices(
      doc
        .createAccessor()
        .setType('SCALAR')
        .setArray(new Uint16Array(pos.length / 3).map((_, i) => i))
        .setBuffer(buffer),
    )
    .setMaterial(doc.createMaterial('wood'));
  const mesh = doc.createMesh('tetra').addPrimitive(prim);
  const s = doc.createScene();
  const parent = doc.createNode('parent').setTranslation([0, 5, 0]);
  s.addChild(parent);
  transforms.forEach((tr, i) => {
    const node: Node = doc.createNode(`copy ${i}`).setMesh(mesh);
    if (tr.t) node.setTranslation(tr.t);
    if (tr.s) node.setScale(tr.s);
    if (tr.r) node.setRotation(tr.r);
    parent.addChild(node);
  });
  return doc;
}

describe('merge: copies of a shared mesh', () => {
  it('become one primitive in world space; normals follow each copy; mirrored copies keep facing out', async () => {
    const copies = [
      {},
      { t: [3, 0, 0] as [number, number, number] },
      { s: [-1, 1, 1] as [number, number, number] },
      { r: [0, Math.SQRT1_2, 0, Math.SQRT1_2] as [number, number, number, number], s: [2, 2, 2] as [number, number, number] },
      { s: [1, -2, 1] as [number, number, number], t: [0, 0, 4] as [number, number, number] },
    ];
    const doc = scene(copies);
    const result = await merge(doc, { when: 'always' });
    expect(result.drawCalls.after).toBe(1);
    const prims = doc
      .getRoot()
      .listMeshes()
      .flatMap((m) => m.listPrimitives());
    expect(prims).toHaveLength(1);
    const prim = prims[0]!;
    const p = prim.getAttribute('POSITION')!.getArray()!;
    const n = prim.getAttribute('NORMAL')!.getArray()!;
    const idx = prim.getIndices()!.getArray()!;
    expect(idx.length).toBe(12 * copies.length);
    // Every triangle's winding agrees with its vertices' normals (a mirrored copy drawn inside out would not).
    for (let t = 0; t < idx.length; t += 3) {
      const [a, b, c] = [idx[t]!, idx[t + 1]!, idx[t + 2]!];
      const e1 = [0, 1, 2].map((k) => p[b * 3 + k]! - p[a * 3 + k]!),
        e2 = [0, 1, 2].map((k) => p[c * 3 + k]! - p[a * 3 + k]!);
      const face = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
      const len = Math.hypot(...face);
      const dot = (face[0]! * n[a * 3]! + face[1]! * n[a * 3 + 1]! + face[2]! * n[a * 3 + 2]!) / len;
      expect(dot, `triangle ${t / 3}`).toBeCloseTo(1, 4);
    }
    // The parent's translation is applied: the untransformed copy's corner (0,0,0) is at (0,5,0).
    let found = false;
    for (let i = 0; i < p.length; i += 3) if (Math.abs(p[i]!) < 1e-6 && Math.abs(p[i + 1]! - 5) < 1e-6 && Math.abs(p[i + 2]!) < 1e-6) found = true;
    expect(found).toBe(true);
    // The names folded away are kept.
    const merged = (doc.getRoot().listScenes()[0]!.getExtras() as { xoay: { mergedNames: { nodes: string[] } } }).xoay.mergedNames;
    expect(merged.nodes.length).toBeGreaterThanOrEqual(copies.length - 1);
  });
});
