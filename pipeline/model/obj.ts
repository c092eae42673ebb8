/**
 * OBJ + MTL input (scanner and photogrammetry output) into a glTF Transform Document: objects and
 * groups become named meshes, `usemtl` sections primitives with their materials; faces are
 * triangulated as fans; texture maps (map_Kd, map_Bump/norm, map_Ke, map_d) are read from inside the
 * model's folder only, through the same URI checks as .gltf files.
 */
import path from 'node:path';
import { type Buffer as GltfBuffer, Document, type Material, type Primitive, type Texture } from '@gltf-transform/core';
import { XoayError } from '../core/errors.js';
import { resolveUri, type ModelSource, type ReadOptions } from './source.js';

const STAGE = 'read';

interface MtlMaterial {
  name: string;
  kd: [number, number, number];
  ke: [number, number, number];
  d: number;
  ns: number | null;
  maps: { kd?: string; bump?: string; ke?: string };
}

function parseMtl(text: string): Map<string, MtlMaterial> {
  const out = new Map<string, MtlMaterial>();
  let cur: MtlMaterial | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    const nums = rest.map(Number);
    if (key === 'newmtl') {
      cur = { name: arg, kd: [0.8, 0.8, 0.8], ke: [0, 0, 0], d: 1, ns: null, maps: {} };
      out.set(arg, cur);
    } else if (!cur) continue;
    else if (key === 'Kd') cur.kd = [nums[0] ?? 0.8, nums[1] ?? 0.8, nums[2] ?? 0.8];
    else if (key === 'Ke') cur.ke = [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
    else if (key === 'd') cur.d = nums[0] ?? 1;
    else if (key === 'Tr') cur.d = 1 - (nums[0] ?? 0);
    else if (key === 'Ns') cur.ns = nums[0] ?? null;
    // Map statements may carry options (-bm 1 …): the file name is the last token.
    else if (key === 'map_Kd') cur.maps.kd = rest[rest.length - 1];
    else if (key === 'map_Bump' || key === 'bump' || key === 'norm' || key === 'map_bump') cur.maps.bump = rest[rest.length - 1];
    else if (key === 'map_Ke') cur.maps.ke = rest[rest.length - 1];
  }
  return out;
}

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ktx2': 'image/ktx2',
};

/** Faces of one object or group (`o`, `g`), by material: three corners (position, uv, normal index; −1: none) per triangle. */
interface ObjGroup {
  name: string;
  byMaterial: Map<string, number[][]>;
}

/** What the OBJ's lines hold: flat vertex arrays, the groups' faces and the material libraries named. */
interface ObjData {
  v: number[];
  vt: number[];
  vn: number[];
  groups: ObjGroup[];
  mtllibs: string[];
}

/** Read an .obj file (and its .mtl and textures) into a Document. */
export async function readObj(file: string, text: string, o: ReadOptions, resource: ModelSource['resource']): Promise<Document> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene(path.basename(file, path.extname(file)));
  const obj = parseObj(file, text);
  const materialFor = materialMaker(doc, await readMtllibs(obj.mtllibs, file, o, resource), file, o, resource);
  for (const g of obj.groups) {
    const mesh = doc.createMesh(g.name);
    for (const [matName, corners] of g.byMaterial) {
      if (corners.length === 0) continue;
      mesh.addPrimitive(await primitive(doc, buffer, obj, corners, () => materialFor(matName)));
    }
    if (mesh.listPrimitives().length) scene.addChild(doc.createNode(g.name).setMesh(mesh));
    else mesh.dispose();
  }
  return doc;
}

/** The OBJ's lines: vertices, groups, materials used and faces (triangulated as fans, indices checked and made 0-based). */
function parseObj(file: string, text: string): ObjData {
  const v: number[] = [],
    vt: number[] = [],
    vn: number[] = [];
  // Faces grouped by object/group name, then material.
  const groups: ObjGroup[] = [];
  let group: ObjGroup | null = null;
  let material = '';
  const mtllibs: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'v') v.push(Number(rest[0]), Number(rest[1]), Number(rest[2]));
    else if (key === 'vt') vt.push(Number(rest[0]), Number(rest[1] ?? 0));
    else if (key === 'vn') vn.push(Number(rest[0]), Number(rest[1]), Number(rest[2]));
    else if (key === 'o' || key === 'g') {
      group = { name: rest.join(' ') || `mesh ${groups.length + 1}`, byMaterial: new Map() };
      groups.push(group);
    } else if (key === 'usemtl') material = rest.join(' ');
    else if (key === 'mtllib') mtllibs.push(rest.join(' '));
    else if (key === 'f') {
      if (rest.length < 3) throw new XoayError(STAGE, 'MODEL_INVALID', `line ${n + 1}: a face needs at least 3 corners`, file);
      if (!group) {
        group = { name: path.basename(file, path.extname(file)), byMaterial: new Map() };
        groups.push(group);
      }
      const corners = rest.map((c) => {
        const [pi, ti, ni] = c.split('/').map((x) => (x ? Number(x) : NaN));
        const fix = (i: number, count: number) => (Number.isNaN(i) ? -1 : i < 0 ? count + i : i - 1);
        const p = fix(pi!, v.length / 3);
        if (p < 0 || p >= v.length / 3)
          throw new XoayError(STAGE, 'MODEL_INVALID', `line ${n + 1}: vertex index ${pi} is out of range (${v.length / 3} vertices so far)`, file);
        return [p, fix(ti ?? NaN, vt.length / 2), fix(ni ?? NaN, vn.length / 3)];
      });
      const faces = group.byMaterial.get(material) ?? [];
      for (let k = 1; k + 1 < corners.length; k++) faces.push(corners[0]!, corners[k]!, corners[k + 1]!);
      group.byMaterial.set(material, faces.map((x) => x) as number[][]);
    }
  }
  if (v.length === 0) throw new XoayError(STAGE, 'MODEL_INVALID', 'the OBJ has no vertices', file);
  return { v, vt, vn, groups, mtllibs };
}

/** A catch handler that names what is missing in place of resource()'s generic MISSING_RESOURCE. */
const missing =
  (file: string, message: string) =>
  (e: unknown): never => {
    throw e instanceof XoayError && e.code === 'MISSING_RESOURCE' ? new XoayError(STAGE, 'MISSING_RESOURCE', message, file) : e;
  };

/** The materials of every `mtllib` (a later library's material replaces an earlier one of the same name). */
async function readMtllibs(mtllibs: string[], file: string, o: ReadOptions, resource: ModelSource['resource']): Promise<Map<string, MtlMaterial>> {
  const dir = path.dirname(file);
  const mtl = new Map<string, MtlMaterial>();
  for (const lib of mtllibs) {
    const r = resolveUri(lib, dir, file, o);
    if (r.kind !== 'file') throw new XoayError(STAGE, 'UNSAFE_URI', `mtllib "${lib}" must be a file next to the model`, file);
    // A regular file inside the folder, within the limits (resource() checks); a missing one is named as before.
    const t = new TextDecoder().decode(await resource(lib).catch(missing(file, `the material library "${lib}" it refers to (mtllib) is missing`)));
    for (const [k, m] of parseMtl(t)) mtl.set(k, m);
  }
  return mtl;
}

/** The glTF material of a `usemtl` name, made on first use (with its textures, each read once). */
function materialMaker(
  doc: Document,
  mtl: Map<string, MtlMaterial>,
  file: string,
  o: ReadOptions,
  resource: ModelSource['resource'],
): (name: string) => Promise<Material> {
  const dir = path.dirname(file);
  const textures = new Map<string, Texture>();
  const texture = async (name: string): Promise<Texture> => {
    const cached = textures.get(name);
    if (cached) return cached;
    const r = resolveUri(name, dir, file, o);
    if (r.kind !== 'file') throw new XoayError(STAGE, 'UNSAFE_URI', `texture "${name}" must be a file next to the model`, file);
    const bytes = await resource(name, 'image').catch(missing(file, `the texture "${name}" its materials refer to is missing`));
    const t = doc
      .createTexture(path.basename(name))
      .setImage(new Uint8Array(bytes))
      .setMimeType(MIME[path.extname(name).toLowerCase()] ?? 'image/png')
      .setURI(path.basename(name));
    textures.set(name, t);
    return t;
  };
  const materials = new Map<string, Material>();
  return async (name: string): Promise<Material> => {
    const cached = materials.get(name);
    if (cached) return cached;
    const m = mtl.get(name);
    const mat = doc.createMaterial(name || 'default').setMetallicFactor(0);
    if (m) {
      mat.setBaseColorFactor([...m.kd, m.d]).setEmissiveFactor(m.ke);
      if (m.d < 1) mat.setAlphaMode('BLEND');
      // Phong shininess to roughness (a common approximation).
      if (m.ns !== null) mat.setRoughnessFactor(Math.min(1, Math.max(0, Math.sqrt(2 / (m.ns + 2)))));
      if (m.maps.kd) mat.setBaseColorTexture(await texture(m.maps.kd)).setBaseColorFactor([1, 1, 1, m.d]);
      if (m.maps.bump) mat.setNormalTexture(await texture(m.maps.bump));
      if (m.maps.ke) mat.setEmissiveTexture(await texture(m.maps.ke)).setEmissiveFactor([1, 1, 1]);
    }
    materials.set(name, mat);
    return mat;
  };
}

/**
 * One primitive of a group's faces in one material: one vertex per distinct (position, uv, normal) corner; uvs and
 * normals only when every corner has one. The material is made between the indices and the uvs (the Document's order).
 */
async function primitive(doc: Document, buffer: GltfBuffer, obj: ObjData, corners: number[][], material: () => Promise<Material>): Promise<Primitive> {
  const { v, vt, vn } = obj;
  const index = new Map<string, number>();
  const pos: number[] = [],
    uv: number[] = [],
    nor: number[] = [],
    idx: number[] = [];
  const hasUv = corners.every((c) => c[1]! >= 0),
    hasNormal = corners.every((c) => c[2]! >= 0);
  for (const [p, t, nn] of corners as [number, number, number][]) {
    const key = `${p}/${hasUv ? t : ''}/${hasNormal ? nn : ''}`;
    let k = index.get(key);
    if (k === undefined) {
      k = pos.length / 3;
      index.set(key, k);
      pos.push(v[p * 3]!, v[p * 3 + 1]!, v[p * 3 + 2]!);
      if (hasUv) uv.push(vt[t * 2]!, 1 - vt[t * 2 + 1]!);
      if (hasNormal) nor.push(vn[nn * 3]!, vn[nn * 3 + 1]!, vn[nn * 3 + 2]!);
    }
    idx.push(k);
  }
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(pos)).setBuffer(buffer))
    .setIndices(
      doc
        .createAccessor()
        .setType('SCALAR')
        .setArray(pos.length / 3 > 65535 ? new Uint32Array(idx) : new Uint16Array(idx))
        .setBuffer(buffer),
    )
    .setMaterial(await material());
  if (hasUv) prim.setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(new Float32Array(uv)).setBuffer(buffer));
  if (hasNormal) prim.setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(nor)).setBuffer(buffer));
  return prim;
}
