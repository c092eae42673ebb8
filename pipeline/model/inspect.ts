/** Inspect: the figures the report and the budget read from a Document (triangles, draw calls, bytes, textures). */
import { MathUtils, type Document, type mat4, type Mesh, type Node, type Primitive, type vec3, type vec4 } from '@gltf-transform/core';
import type { InstancedMesh } from '@gltf-transform/extensions';
import { read as readKTX2 } from 'ktx-parse';
import { ktx2GpuBytes, rgba8GpuBytes } from './ktx2.js';

export interface TextureInfo {
  name: string;
  mimeType: string;
  width: number;
  height: number;
  bytes: number;
  /** Estimated GPU memory as RGBA8 with a full mip chain. */
  gpuBytesRGBA8: number;
  /** Estimated GPU memory as the browser will hold it: transcoded KTX2 (ETC1S/UASTC), else RGBA8. */
  gpuBytes: number;
}

export interface ModelStats {
  meshes: number;
  primitives: number;
  triangles: number;
  /** Triangles the GPU draws: each mesh's triangles times the nodes that show it (what the budget limits). */
  drawnTriangles: number;
  /** One draw call per primitive instance in the scene. */
  drawCalls: number;
  materials: number;
  nodes: number;
  /** Names of nodes, meshes and materials (kept by the default pipeline). */
  names: { nodes: string[]; meshes: string[]; materials: string[] };
  textures: TextureInfo[];
  bounds: { min: [number, number, number]; max: [number, number, number] } | null;
}

/** Draw calls alone (one per primitive of each node's mesh; an instanced node draws each primitive once): cheap. */
export function countDrawCalls(doc: Document): number {
  let n = 0;
  for (const node of doc.getRoot().listNodes()) n += node.getMesh()?.listPrimitives().length ?? 0;
  return n;
}

/** The positions (x, y, z, …) of the vertices a primitive's indices use, each once, dequantised. */
function usedPositions(prim: Primitive): Float32Array {
  const pos = prim.getAttribute('POSITION');
  if (!pos) return new Float32Array(0);
  const idx = prim.getIndices();
  const n = pos.getCount();
  const seen = new Uint8Array(n);
  let count = 0;
  if (idx) {
    for (let k = 0, c = idx.getCount(); k < c; k++) {
      const i = idx.getScalar(k);
      if (i < n && !seen[i]) {
        seen[i] = 1;
        count++;
      }
    }
  } else {
    seen.fill(1);
    count = n;
  }
  const out = new Float32Array(count * 3);
  const v = [0, 0, 0];
  for (let i = 0, o = 0; i < n; i++) {
    if (!seen[i]) continue;
    pos.getElement(i, v);
    out[o++] = v[0]!;
    out[o++] = v[1]!;
    out[o++] = v[2]!;
  }
  return out;
}

/** Names of nodes, meshes and materials (empty names left out). */
export function listNames(doc: Document): ModelStats['names'] {
  const root = doc.getRoot();
  const names = (list: { getName(): string }[]) => list.map((p) => p.getName()).filter(Boolean);
  return { nodes: names(root.listNodes()), meshes: names(root.listMeshes()), materials: names(root.listMaterials()) };
}

/** A mesh's triangles (TRIANGLES-mode primitives, indexed or not). */
export function meshTriangles(mesh: Mesh): number {
  let n = 0;
  for (const prim of mesh.listPrimitives()) {
    if (prim.getMode() !== 4) continue; // TRIANGLES
    const idx = prim.getIndices();
    n += Math.floor((idx ? idx.getCount() : (prim.getAttribute('POSITION')?.getCount() ?? 0)) / 3);
  }
  return n;
}

/** Triangles (stored and drawn), primitives and draw calls: cheap (no vertex is read). */
export function countTriangles(doc: Document): { triangles: number; drawnTriangles: number; primitives: number; drawCalls: number } {
  const root = doc.getRoot();
  let primitives = 0,
    drawCalls = 0;
  // Triangles per mesh (TRIANGLES mode only); stored = their sum, drawn = each times the nodes/instances showing it.
  const perMesh = new Map<Mesh, number>();
  for (const mesh of root.listMeshes()) {
    primitives += mesh.listPrimitives().length;
    perMesh.set(mesh, meshTriangles(mesh));
  }
  const triangles = [...perMesh.values()].reduce((a, b) => a + b, 0);
  let drawnTriangles = 0;
  for (const node of root.listNodes()) {
    const mesh = node.getMesh();
    if (!mesh) continue;
    drawCalls += mesh.listPrimitives().length;
    drawnTriangles += (perMesh.get(mesh) ?? 0) * instanceCount(node);
  }
  return { triangles, drawnTriangles, primitives, drawCalls };
}

export function inspect(doc: Document): ModelStats {
  const root = doc.getRoot();
  const { triangles, drawnTriangles, primitives, drawCalls } = countTriangles(doc);
  // Bounds of the vertices the triangles use (unreferenced vertices do not count), in world space. Each primitive's used
  // positions are read once, then transformed by every matrix that draws it (nodes, GPU instances).
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  const used = new Map<Primitive, Float32Array>();
  for (const node of root.listNodes()) {
    const mesh = node.getMesh();
    if (!mesh) continue;
    const matrices = instanceMatrices(node);
    for (const prim of mesh.listPrimitives()) {
      let p = used.get(prim);
      if (!p) used.set(prim, (p = usedPositions(prim)));
      for (const m of matrices) {
        for (let k = 0; k < p.length; k += 3) {
          const x = p[k]!,
            y = p[k + 1]!,
            z = p[k + 2]!;
          const wx = m[0]! * x + m[4]! * y + m[8]! * z + m[12]!;
          const wy = m[1]! * x + m[5]! * y + m[9]! * z + m[13]!;
          const wz = m[2]! * x + m[6]! * y + m[10]! * z + m[14]!;
          if (wx < min[0]) min[0] = wx;
          if (wx > max[0]) max[0] = wx;
          if (wy < min[1]) min[1] = wy;
          if (wy > max[1]) max[1] = wy;
          if (wz < min[2]) min[2] = wz;
          if (wz > max[2]) max[2] = wz;
        }
      }
    }
  }
  const textures = root.listTextures().map((t) => {
    const size = t.getSize() ?? [0, 0];
    const [w, h] = size;
    const gpuBytesRGBA8 = rgba8GpuBytes(w, h);
    let gpuBytes = gpuBytesRGBA8;
    const image = t.getImage();
    if (t.getMimeType() === 'image/ktx2' && image) {
      // BasisLZ supercompression (1) is ETC1S; otherwise UASTC.
      const k = readKTX2(image);
      gpuBytes = ktx2GpuBytes(w, h, k.supercompressionScheme === 1 ? 'etc1s' : 'uastc', { mipmaps: k.levels.length > 1 });
    }
    return {
      name: t.getName() || t.getURI() || '(unnamed)',
      mimeType: t.getMimeType(),
      width: w,
      height: h,
      bytes: image?.byteLength ?? 0,
      gpuBytesRGBA8,
      gpuBytes,
    };
  });
  return {
    meshes: root.listMeshes().length,
    primitives,
    triangles,
    drawnTriangles,
    drawCalls,
    materials: root.listMaterials().length,
    nodes: root.listNodes().length,
    names: listNames(doc),
    textures,
    bounds: Number.isFinite(min[0]) ? { min, max } : null,
  };
}

/** How many times a node's mesh is drawn (EXT_mesh_gpu_instancing instances, else once). */
function instanceCount(node: Node): number {
  const ext = node.getExtension<InstancedMesh>('EXT_mesh_gpu_instancing');
  if (!ext) return 1;
  const a = ext.getAttribute('TRANSLATION') ?? ext.getAttribute('ROTATION') ?? ext.getAttribute('SCALE');
  return a?.getCount() ?? 0;
}

/**
 * The world matrices a node's mesh is drawn with: the node's own, or one per instance of EXT_mesh_gpu_instancing
 * (world × the instance's TRS).
 */
export function instanceMatrices(node: Node): mat4[] {
  const world = node.getWorldMatrix();
  const ext = node.getExtension<InstancedMesh>('EXT_mesh_gpu_instancing');
  if (!ext) return [world];
  const t = ext.getAttribute('TRANSLATION'),
    r = ext.getAttribute('ROTATION'),
    s = ext.getAttribute('SCALE');
  const count = (t ?? r ?? s)?.getCount() ?? 0;
  const out: mat4[] = [];
  for (let i = 0; i < count; i++) {
    const local = MathUtils.compose(
      (t?.getElement(i, [0, 0, 0]) ?? [0, 0, 0]) as vec3,
      (r?.getElement(i, [0, 0, 0, 1]) ?? [0, 0, 0, 1]) as vec4,
      (s?.getElement(i, [1, 1, 1]) ?? [1, 1, 1]) as vec3,
      new Array(16).fill(0) as unknown as mat4,
    );
    out.push(multiply(world, local));
  }
  return out;
}

/** a × b for column-major 4×4 matrices. */
function multiply(a: mat4, b: mat4): mat4 {
  const o = new Array<number>(16).fill(0);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) o[c * 4 + r]! += a[k * 4 + r]! * b[c * 4 + k]!;
  return o as unknown as mat4;
}
