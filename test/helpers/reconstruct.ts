/**
 * Helpers of the reconstruction tests: a reconstruction's model.glb read back (validated, decoded, in the
 * model frame), a GLB's true mesh in the turntable frame of the product renderer, and a reconstruction
 * re-projected into its views against ground-truth masks; a textured mesh rendered into a camera.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import { createIO } from '../../pipeline/model/codecs.js';
import { openModel } from '../../pipeline/model/read.js';
import { KNOWN_UNSUPPORTED, validateModel } from '../../pipeline/model/validate.js';
import { applyMatrix } from '../../pipeline/reconstruct/glb.js';
import { maskIoU } from '../../pipeline/core/mask.js';
import { depthMap, projectedTriangle, projectVertices, sampleBilinear, triangle2, type ViewImage } from '../../pipeline/reconstruct/bake.js';
import { rasterise } from '../../pipeline/reconstruct/iou.js';
import type { ReconstructReport } from '../../pipeline/reconstruct/reconstruct.js';
import type { Mesh } from '../../pipeline/reconstruct/surface.js';

/** model.glb: validator errors none, decodes back with the model pipeline's IO; its positions (model frame). */
export async function checkGlb(file: string): Promise<{ positions: Float32Array; indices: Uint32Array; triangles: number }> {
  const summary = await validateModel(await openModel(file), { ignore: KNOWN_UNSUPPORTED });
  expect(summary.errors).toBe(0);
  const io = await createIO();
  const doc = await io.readBinary(new Uint8Array(await readFile(file)));
  const prims = doc
    .getRoot()
    .listMeshes()
    .flatMap((m) => m.listPrimitives());
  expect(prims).toHaveLength(1);
  const positions = prims[0]!.getAttribute('POSITION')!.getArray() as Float32Array;
  const indices = Uint32Array.from(prims[0]!.getIndices()!.getArray()!);
  // meshopt quantisation: positions may come back normalised integers with a node transform.
  const node = doc
    .getRoot()
    .listNodes()
    .find((n) => n.getMesh())!;
  const m = node.getWorldMatrix();
  const acc = prims[0]!.getAttribute('POSITION')!;
  const out = new Float32Array(acc.getCount() * 3);
  const el: number[] = [];
  for (let i = 0; i < acc.getCount(); i++) {
    acc.getElement(i, el);
    out.set(applyMatrix(m, el[0]!, el[1]!, el[2]!), 3 * i);
  }
  void positions;
  return { positions: out, indices, triangles: indices.length / 3 };
}

/** Every triangle of a GLB's default scene in its scene frame, then through `model` (column-major). */
export async function trueMesh(file: string, model: readonly number[]): Promise<Mesh> {
  const io = await createIO();
  const doc = await io.readBinary(new Uint8Array(await readFile(file)));
  const pos: number[] = [],
    idx: number[] = [];
  for (const node of doc.getRoot().listNodes()) {
    const mesh = node.getMesh();
    if (!mesh) continue;
    const m = node.getWorldMatrix();
    for (const prim of mesh.listPrimitives()) {
      if (prim.getMode() !== 4) continue;
      const acc = prim.getAttribute('POSITION')!;
      const base = pos.length / 3;
      const el: number[] = [];
      for (let i = 0; i < acc.getCount(); i++) {
        acc.getElement(i, el);
        const w = applyMatrix(m, el[0]!, el[1]!, el[2]!);
        pos.push(...applyMatrix(model, w[0], w[1], w[2]));
      }
      const ind = prim.getIndices()?.getArray() ?? Uint32Array.from({ length: acc.getCount() }, (_, i) => i);
      for (let i = 0; i < ind.length; i++) idx.push(base + ind[i]!);
    }
  }
  return { positions: new Float32Array(pos), indices: new Uint32Array(idx) };
}

/** `mesh` with every position through `m` (column-major 4×4). */
export function transformed(mesh: Mesh, m: readonly number[]): Mesh {
  const positions = new Float32Array(mesh.positions.length);
  for (let i = 0; i < positions.length; i += 3) positions.set(applyMatrix(m, mesh.positions[i]!, mesh.positions[i + 1]!, mesh.positions[i + 2]!), i);
  return { positions, indices: mesh.indices };
}

/** The diagonal of a mesh's bounding box. */
export function diagonal(mesh: Mesh): number {
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < mesh.positions.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a]!, mesh.positions[i + a]!);
      hi[a] = Math.max(hi[a]!, mesh.positions[i + a]!);
    }
  }
  return Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!);
}

/**
 * Per view of a reconstruction in `out`: the IoU of its model.glb seen through the view's camera (P in
 * reconstruct.json, world frame via worldFromModel) against a mask file (> 127 = object) at the view's size.
 */
export async function reprojectedIoUs(out: string, maskOf: (view: string) => string): Promise<number[]> {
  const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
  const glb = await checkGlb(path.join(out, 'model.glb'));
  const mesh = transformed({ positions: glb.positions, indices: glb.indices }, report.worldFromModel);
  const ious: number[] = [];
  for (const view of report.views) {
    const { data, info } = await sharp(maskOf(view.name)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const truth = new Uint8Array(data.length);
    for (let k = 0; k < truth.length; k++) truth[k] = data[k]! > 127 ? 1 : 0;
    ious.push(maskIoU(rasterise(mesh, view.P, info.width, info.height), truth));
  }
  return ious;
}

/**
 * Render a textured mesh (uvs in glTF convention) into a width × height view through P: RGBA with
 * alpha 255 where the mesh covers the pixel (bilinear texture lookups, perspective-correct UVs).
 */
export function renderTextured(
  mesh: { positions: Float32Array; indices: Uint32Array; uvs: Float32Array; image: { data: Uint8Array; width: number; height: number } },
  P: readonly number[],
  width: number,
  height: number,
): Uint8Array {
  const pr = projectVertices(mesh.positions, P);
  const { tri } = depthMap(mesh.positions, mesh.indices, P, width, height, pr);
  const out = new Uint8Array(width * height * 4);
  const tex: ViewImage = { ...mesh.image, channels: 4 };
  const s = new Float64Array(3);
  const { ws } = pr;
  const UV = mesh.uvs;
  const tr = triangle2();
  for (let p = 0; p < width * height; p++) {
    const t = tri[p]!;
    if (t < 0) continue;
    const x = p % width,
      y = (p - x) / width;
    // (Drawn in the depth map: in front of the camera, not edge-on.)
    projectedTriangle(mesh.indices, 3 * t, pr, tr);
    const { a, b, c, ax, ay, bx, by, cx, cy, area } = tr;
    let l0 = ((cx - bx) * (y - by) - (cy - by) * (x - bx)) / area;
    let l1 = ((ax - cx) * (y - cy) - (ay - cy) * (x - cx)) / area;
    let l2 = 1 - l0 - l1;
    l0 /= ws[a]!;
    l1 /= ws[b]!;
    l2 /= ws[c]!;
    const sum = l0 + l1 + l2;
    const u = (l0 * UV[2 * a]! + l1 * UV[2 * b]! + l2 * UV[2 * c]!) / sum;
    const v = (l0 * UV[2 * a + 1]! + l1 * UV[2 * b + 1]! + l2 * UV[2 * c + 1]!) / sum;
    sampleBilinear(tex, u * tex.width - 0.5, v * tex.height - 0.5, s);
    out[4 * p] = Math.round(s[0]!);
    out[4 * p + 1] = Math.round(s[1]!);
    out[4 * p + 2] = Math.round(s[2]!);
    out[4 * p + 3] = 255;
  }
  return out;
}
