/**
 * The reconstructed mesh as a glTF Document: one mesh, one material, in the model frame (centred on
 * its bounding box, Y up, metres where the scale is known), with a base colour texture (a UV atlas baked from
 * the photos; unlit) and smooth normals.
 *
 * The model frame and the cameras' world frame are tied by `toModel`: p_model = s·U·(p_world − c)
 * (U a rotation taking the world's up to +Y, c the bounding-box centre, s metres per world unit);
 * `worldFromModel` is its inverse as 16 numbers, column-major like glTF's matrices.
 */
import { Document } from '@gltf-transform/core';
import { KHRMaterialsUnlit } from '@gltf-transform/extensions';
import { sharp } from '../core/image.js';
import { XoayError } from '../core/errors.js';
import { add, at, boundingBox, dot, length, mulMat3, mulMat3Mat3, mulMat3T, scale, sub, triangleCross, type Vec3, type Vec3Like } from '../core/vec3.js';

const STAGE = 'glb';

/** A rigid-plus-scale map p' = s·U·(p − c). */
export interface Frame {
  /** Rotation world → model, 3×3 row-major (takes the world's up to +Y). */
  U: number[];
  /** World point that becomes the model's origin. */
  centre: Vec3;
  /** Model units per world unit. */
  scale: number;
}

export function toModel(f: Frame, x: number, y: number, z: number): Vec3 {
  return scale(mulMat3(f.U, sub([x, y, z], f.centre)), f.scale);
}

/** worldFromModel, 4×4 column-major: p_world = Uᵀ·p/s + c. */
export function worldFromModel(f: Frame): number[] {
  const k = 1 / f.scale;
  // Column j of Uᵀ is row j of U.
  return [...scale(at(f.U, 0), k), 0, ...scale(at(f.U, 3), k), 0, ...scale(at(f.U, 6), k), 0, ...f.centre, 1];
}

/** Apply a column-major 4×4 to a point. */
export function applyMatrix(m: readonly number[], x: number, y: number, z: number): Vec3 {
  const p: Vec3 = [x, y, z];
  // Row r of the 3×3 part is m[r], m[r + 4], m[r + 8]; the translation is the last column.
  return add([dot(at(m, 0, 4), p), dot(at(m, 1, 4), p), dot(at(m, 2, 4), p)], at(m, 12));
}

/** A rotation taking unit vector `up` to +Y (the smallest one; a half turn about X when up is −Y). */
export function rotationToYUp(up: Vec3Like): number[] {
  const n = length(up);
  const a: Vec3 = [up[0] / n, up[1] / n, up[2] / n];
  // Rodrigues: rotate a onto b = (0,1,0): axis a × b, cos = a·b.
  const c = a[1];
  if (c > 1 - 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (c < -1 + 1e-12) return [1, 0, 0, 0, -1, 0, 0, 0, -1];
  const v: Vec3 = [-a[2], 0, a[0]]; // a × (0,1,0)
  const k = 1 / (1 + c);
  const vx = [0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0];
  // R = I + [v]× + k·[v]×².
  const sq = mulMat3Mat3(vx, vx);
  return [1, 0, 0, 0, 1, 0, 0, 0, 1].map((e, i) => e + vx[i]! + k * sq[i]!);
}

/**
 * The model frame of a mesh (`positions` in the world frame): up turned to +Y and the origin at the centre of
 * the mesh's box in that turned frame, scale 1. `up` gives the world's up from the centre of the mesh's
 * world-frame box (the calibration ring's normal, pointing to the cameras' side); null: the world's +Y (the
 * turntable axis).
 */
export function modelFrame(positions: Float32Array, up: ((centre: Vec3) => Vec3Like) | null): Frame {
  const world = boundingBox(positions);
  const mid = scale(add(world.lo, world.hi), 0.5);
  const U = up ? rotationToYUp(up(mid)) : [1, 0, 0, 0, 1, 0, 0, 0, 1];
  // The box centre in the rotated frame, mapped back: the model is centred on its own (Y-up) box.
  const { lo, hi } = boundingBox(positions, (p) => mulMat3(U, p));
  const centre = mulMat3T(U, scale(add(lo, hi), 0.5));
  return { U, centre, scale: 1 };
}

/** The input of `buildDocument`: positions already in the model frame. */
export interface GlbMesh {
  positions: Float32Array;
  indices: Uint32Array;
  /** Texture coordinates, 2 per vertex, glTF convention (v down from the top of the image). */
  uvs: Float32Array;
  /** The base colour image, RGBA 8-bit sRGB. */
  image: { data: Uint8Array | Uint8ClampedArray; width: number; height: number };
}

/** Area-weighted smooth vertex normals. */
export function vertexNormals(positions: Float32Array, indices: Uint32Array): Float32Array {
  const n = new Float32Array(positions.length);
  for (let t = 0; t < indices.length; t += 3) {
    const a = 3 * indices[t]!,
      b = 3 * indices[t + 1]!,
      c = 3 * indices[t + 2]!;
    const [nx, ny, nz] = triangleCross(positions, a, b, c);
    for (const i of [a, b, c]) {
      n[i] = n[i]! + nx;
      n[i + 1] = n[i + 1]! + ny;
      n[i + 2] = n[i + 2]! + nz;
    }
  }
  for (let i = 0; i < n.length; i += 3) {
    const l = Math.hypot(n[i]!, n[i + 1]!, n[i + 2]!) || 1;
    n[i] = n[i]! / l;
    n[i + 1] = n[i + 1]! / l;
    n[i + 2] = n[i + 2]! / l;
  }
  return n;
}

/** One mesh, one material: a glTF Document ready to write. */
export async function buildDocument(m: GlbMesh, name = 'reconstruction'): Promise<Document> {
  const nv = m.positions.length / 3;
  if (nv === 0 || m.indices.length === 0) throw new XoayError(STAGE, 'RECONSTRUCT_FAILED', 'the mesh is empty');
  const doc = new Document();
  const buffer = doc.createBuffer();
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(m.positions).setBuffer(buffer))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(vertexNormals(m.positions, m.indices)).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(m.indices).setBuffer(buffer));
  // The colours are the photographs' own, lighting included: shown unlit (KHR_materials_unlit), as photographed. Lit
  // again by a viewer's studio light they came out 1.3–1.5× too bright. Viewers without the extension fall back to
  // this rough, non-metallic material.
  const material = doc.createMaterial(name).setMetallicFactor(0).setRoughnessFactor(0.9);
  material.setExtension('KHR_materials_unlit', doc.createExtension(KHRMaterialsUnlit).createUnlit());
  if (m.uvs.length !== 2 * nv) throw new XoayError(STAGE, 'RECONSTRUCT_FAILED', `${m.uvs.length / 2} texture coordinates for ${nv} vertices`);
  const { data, width, height } = m.image;
  const png = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  material.setBaseColorTexture(doc.createTexture('baseColor').setImage(new Uint8Array(png)).setMimeType('image/png'));
  prim.setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(m.uvs).setBuffer(buffer));
  prim.setMaterial(material);
  const mesh = doc.createMesh(name).addPrimitive(prim);
  const node = doc.createNode(name).setMesh(mesh);
  doc.createScene(name).addChild(node);
  doc.getRoot().setDefaultScene(doc.getRoot().listScenes()[0]!);
  return doc;
}
