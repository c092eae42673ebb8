/**
 * IoU: how well the mesh explains a view. The mesh is projected into the view and its triangles
 * rasterised into a mask at the view's resolution (a pixel is covered when its centre is inside a
 * projected triangle, edges included); the silhouette IoU is |A ∩ B| / |A ∪ B| against the view's mask.
 */
import { maskIoU } from '../core/mask.js';
import { projectVertices, projectedTriangle, triangle2 } from './bake.js';
import type { Mesh } from './surface.js';

/** The mask of `mesh` seen through the projection P (3×4, row-major) in a width × height image. */
export function rasterise(mesh: Mesh, P: readonly number[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const idx = mesh.indices;
  const pr = projectVertices(mesh.positions, P);
  const tr = triangle2();
  for (let t = 0; t < idx.length; t += 3) {
    // Triangles reaching behind the camera are skipped (the object is in front of every camera), and edge-on ones.
    if (!projectedTriangle(idx, t, pr, tr)) continue;
    const { ax, ay, bx, by, cx, cy, area } = tr;
    const s = area > 0 ? 1 : -1;
    const x0 = Math.max(0, Math.ceil(Math.min(ax, bx, cx))),
      x1 = Math.min(width - 1, Math.floor(Math.max(ax, bx, cx)));
    const y0 = Math.max(0, Math.ceil(Math.min(ay, by, cy))),
      y1 = Math.min(height - 1, Math.floor(Math.max(ay, by, cy)));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const e0 = s * ((bx - ax) * (y - ay) - (by - ay) * (x - ax));
        const e1 = s * ((cx - bx) * (y - by) - (cy - by) * (x - bx));
        const e2 = s * ((ax - cx) * (y - cy) - (ay - cy) * (x - cx));
        if (e0 >= 0 && e1 >= 0 && e2 >= 0) out[y * width + x] = 1;
      }
    }
  }
  return out;
}

/** The silhouette IoU of `mesh` in one view (its projection at the mask's resolution and its mask). */
export function viewIoU(mesh: Mesh, P: readonly number[], mask: Uint8Array, width: number, height: number): number {
  return maskIoU(rasterise(mesh, P, width, height), mask);
}
