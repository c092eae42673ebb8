/**
 * Drop degenerate triangles (repeated corners or zero area): they draw nothing, cost bytes, and some
 * exporters leave many (2CylinderEngine: 10.4k of 75.7k). A primitive left with none is removed.
 */
import type { Accessor, Document, Transform } from '@gltf-transform/core';

const a = [0, 0, 0],
  b = [0, 0, 0],
  c = [0, 0, 0];

/** Whether triangle (i0, i1, i2) of a POSITION accessor has distinct corners and a non-zero area. */
function hasArea(pos: Accessor, i0: number, i1: number, i2: number): boolean {
  if (i0 === i1 || i1 === i2 || i0 === i2) return false;
  pos.getElement(i0, a);
  pos.getElement(i1, b);
  pos.getElement(i2, c);
  const ux = b[0]! - a[0]!,
    uy = b[1]! - a[1]!,
    uz = b[2]! - a[2]!;
  const vx = c[0]! - a[0]!,
    vy = c[1]! - a[1]!,
    vz = c[2]! - a[2]!;
  const cx = uy * vz - uz * vy,
    cy = uz * vx - ux * vz,
    cz = ux * vy - uy * vx;
  return cx * cx + cy * cy + cz * cz > 0;
}

/**
 * Triangles with a non-zero area (degenerate ones, with repeated or collinear corners, are not counted); with `drawn`,
 * each mesh counts once per node that shows it.
 */
export function countRealTriangles(doc: Document, opts: { drawn?: boolean } = {}): number {
  let total = 0;
  for (const mesh of doc.getRoot().listMeshes()) {
    let n = 0;
    for (const prim of mesh.listPrimitives()) {
      const pos = prim.getAttribute('POSITION');
      if (prim.getMode() !== 4 || !pos) continue;
      const idx = prim.getIndices();
      const count = idx ? idx.getCount() : pos.getCount();
      for (let t = 0; t + 2 < count; t += 3) {
        if (hasArea(pos, idx ? idx.getScalar(t) : t, idx ? idx.getScalar(t + 1) : t + 1, idx ? idx.getScalar(t + 2) : t + 2)) n++;
      }
    }
    total += opts.drawn ? n * mesh.listParents().filter((p) => p.propertyType === 'Node').length : n;
  }
  return total;
}

export function dropDegenerate(): Transform {
  return async function dropDegenerate(doc: Document): Promise<void> {
    for (const mesh of doc.getRoot().listMeshes()) {
      for (const prim of mesh.listPrimitives()) {
        const pos = prim.getAttribute('POSITION');
        const idx = prim.getIndices();
        if (prim.getMode() !== 4 || !pos || !idx) continue;
        const src = idx.getArray()!;
        const keep: number[] = [];
        for (let t = 0; t + 2 < src.length; t += 3) {
          const i0 = src[t]!,
            i1 = src[t + 1]!,
            i2 = src[t + 2]!;
          if (hasArea(pos, i0, i1, i2)) keep.push(i0, i1, i2);
        }
        if (keep.length === src.length) continue;
        if (keep.length === 0) {
          prim.dispose();
          continue;
        }
        const Ctor = src.constructor as new (values: number[]) => typeof src;
        // A shared index accessor is copied, not changed in place.
        const next = idx.clone().setArray(new Ctor(keep));
        prim.setIndices(next);
      }
    }
  };
}
