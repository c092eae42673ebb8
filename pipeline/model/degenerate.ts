/**
 * Drop degenerate triangles (repeated corners or zero area): they draw nothing, cost bytes, and some
 * exporters leave many (2CylinderEngine: 10.4k of 75.7k). A primitive left with none is removed.
 */
import type { Document, Transform } from '@gltf-transform/core';

export function dropDegenerate(): Transform {
  return async function dropDegenerate(doc: Document): Promise<void> {
    const a = [0, 0, 0], b = [0, 0, 0], c = [0, 0, 0];
    for (const mesh of doc.getRoot().listMeshes()) {
      for (const prim of mesh.listPrimitives()) {
        const pos = prim.getAttribute('POSITION');
        const idx = prim.getIndices();
        if (prim.getMode() !== 4 || !pos || !idx) continue;
        const src = idx.getArray()!;
        const keep: number[] = [];
        for (let t = 0; t + 2 < src.length; t += 3) {
          const i0 = src[t]!, i1 = src[t + 1]!, i2 = src[t + 2]!;
          if (i0 === i1 || i1 === i2 || i0 === i2) continue;
          pos.getElement(i0, a);
          pos.getElement(i1, b);
          pos.getElement(i2, c);
          const ux = b[0]! - a[0]!, uy = b[1]! - a[1]!, uz = b[2]! - a[2]!;
          const vx = c[0]! - a[0]!, vy = c[1]! - a[1]!, vz = c[2]! - a[2]!;
          const cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
          if (cx * cx + cy * cy + cz * cz > 0) keep.push(i0, i1, i2);
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
