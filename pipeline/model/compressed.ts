/**
 * Compressed geometry of an input: Draco primitives (KHR_draco_mesh_compression) and meshopt buffer views
 * (EXT_meshopt_compression, KHR_meshopt_compression). Their JSON is checked with the rest of the model's (references,
 * byte ranges, modes, strides), then each compressed part is decoded once with the real decoders before glTF Transform
 * reads the model, so a Draco buffer that does not decode or a meshopt stream of the wrong length is one line naming
 * the primitive or the buffer view (glTF Transform said "[KHR_draco_mesh_compression] Decoding failure." or "Malformed
 * buffer data: -2", naming nothing; a reference out of range was a TypeError).
 */
import { MeshoptDecoder } from 'meshoptimizer';
import { XoayError } from '../core/errors.js';
import { dracoDecoderModule } from './codecs.js';

const STAGE = 'read';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DRACO = 'KHR_draco_mesh_compression';
const MESHOPT = ['EXT_meshopt_compression', 'KHR_meshopt_compression'] as const;
const MESHOPT_MODES = ['ATTRIBUTES', 'TRIANGLES', 'INDICES'];
const MESHOPT_FILTERS: Record<string, string[]> = {
  EXT_meshopt_compression: ['NONE', 'OCTAHEDRAL', 'QUATERNION', 'EXPONENTIAL'],
  KHR_meshopt_compression: ['NONE', 'OCTAHEDRAL', 'QUATERNION', 'EXPONENTIAL', 'COLOR'],
};
const TYPE_COMPONENTS: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 };

/** The JSON parts this module checks (the rest was checked by limits.ts). */
interface Json {
  buffers?: Obj[];
  bufferViews?: Obj[];
  accessors?: Obj[];
  meshes?: { primitives: Obj[] }[];
}

/** A Draco primitive: where it is, its extension object and the primitive. */
interface DracoPart {
  where: string;
  ext: Obj;
  prim: Obj;
}

function fail(file: string, where: string, problem: string): never {
  throw new XoayError(STAGE, 'MODEL_INVALID', `${where}: ${problem}`, file);
}

function int(file: string, where: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(file, where, `expected a whole number from ${min} to ${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 40)}`);
  return v as number;
}

function dracoParts(j: Json): DracoPart[] {
  const out: DracoPart[] = [];
  (j.meshes ?? []).forEach((m, i) =>
    m.primitives.forEach((p, k) => {
      const ext = isObj(p.extensions) ? p.extensions[DRACO] : undefined;
      if (ext !== undefined) out.push({ where: `meshes[${i}].primitives[${k}].extensions.${DRACO}`, ext: ext as Obj, prim: p });
    }),
  );
  return out;
}

/**
 * Checks the JSON of every compressed part (after limits.ts checked the rest): references in range, byte ranges inside
 * their buffers, known modes and filters, strides the codec allows. Throws a one-line XoayError naming the part.
 */
export function checkCompressionJson(json: Obj, file: string): void {
  const j = json as Json;
  const buffers = j.buffers ?? [];
  const views = j.bufferViews ?? [];
  const accessors = j.accessors ?? [];
  views.forEach((v, i) => {
    if (!isObj(v.extensions)) return;
    for (const name of MESHOPT) {
      const e = v.extensions[name];
      if (e === undefined) continue;
      const where = `bufferViews[${i}].extensions.${name}`;
      if (!isObj(e)) fail(file, where, 'expected an object');
      if (buffers.length === 0) fail(file, `${where}.buffer`, 'refers to buffers, but the model has none');
      const b = int(file, `${where}.buffer`, e.buffer, 0, buffers.length - 1);
      const offset = e.byteOffset === undefined ? 0 : int(file, `${where}.byteOffset`, e.byteOffset, 0, 2 ** 32);
      const length = int(file, `${where}.byteLength`, e.byteLength, 1, 2 ** 32);
      const stride = int(file, `${where}.byteStride`, e.byteStride, 1, 256);
      const count = int(file, `${where}.count`, e.count, 1, 2 ** 31 - 1);
      const mode = e.mode;
      if (typeof mode !== 'string' || !MESHOPT_MODES.includes(mode)) fail(file, `${where}.mode`, `expected one of ${MESHOPT_MODES.join(', ')}`);
      const filter = e.filter ?? 'NONE';
      if (typeof filter !== 'string' || !MESHOPT_FILTERS[name]!.includes(filter))
        fail(file, `${where}.filter`, `expected one of ${MESHOPT_FILTERS[name]!.join(', ')}`);
      if (mode === 'ATTRIBUTES' && stride % 4 !== 0) fail(file, `${where}.byteStride`, `${stride}: ATTRIBUTES streams need a multiple of 4`);
      if (mode !== 'ATTRIBUTES' && stride !== 2 && stride !== 4) fail(file, `${where}.byteStride`, `${stride}: ${mode} streams need 2 or 4`);
      if (mode === 'TRIANGLES' && count % 3 !== 0) fail(file, `${where}.count`, `${count} indices are not whole triangles`);
      if (filter !== 'NONE' && mode !== 'ATTRIBUTES') fail(file, `${where}.filter`, `${filter} applies to ATTRIBUTES streams only`);
      const bufLen = buffers[b]!.byteLength as number;
      if (offset + length > bufLen) fail(file, where, `bytes ${offset}–${offset + length} lie beyond buffers[${b}]'s ${bufLen} bytes`);
      if (count * stride < (v.byteLength as number))
        fail(file, where, `${count} × ${stride} bytes decode to ${count * stride} bytes, fewer than the buffer view's ${v.byteLength}`);
    }
  });
  for (const { where, ext, prim } of dracoParts(j)) {
    if (!isObj(ext)) fail(file, where, 'expected an object');
    if (views.length === 0) fail(file, `${where}.bufferView`, 'refers to bufferViews, but the model has none');
    int(file, `${where}.bufferView`, ext.bufferView, 0, views.length - 1);
    if (!isObj(ext.attributes)) fail(file, `${where}.attributes`, 'expected an object');
    const attributes = prim.attributes as Obj;
    for (const [semantic, id] of Object.entries(ext.attributes)) {
      int(file, `${where}.attributes.${semantic}`, id, 0, 2 ** 31 - 1);
      if (attributes[semantic] === undefined) fail(file, `${where}.attributes.${semantic}`, "is not one of the primitive's attributes");
      const a = accessors[attributes[semantic] as number]!;
      if (a.sparse !== undefined) fail(file, `${where}.attributes.${semantic}`, 'its accessor is sparse, which Draco data cannot be');
    }
    if (prim.mode !== undefined && prim.mode !== 4) fail(file, where, `Draco primitives must be triangles (mode 4), got mode ${prim.mode}`);
  }
}

/** The bytes of buffer `i`: a GLB's binary chunk, an external file read by openModel, or a data: URI. */
function bufferBytes(j: Json, i: number, resources: Record<string, Uint8Array>): Uint8Array | undefined {
  const uri = j.buffers?.[i]?.uri;
  if (typeof uri !== 'string') return i === 0 ? resources['@glb.bin'] : undefined;
  if (uri.startsWith('data:')) {
    const comma = uri.indexOf(',');
    return /;base64$/i.test(uri.slice(0, comma)) ? new Uint8Array(Buffer.from(uri.slice(comma + 1), 'base64')) : undefined;
  }
  return resources[uri];
}

const firstLine = (e: unknown) =>
  String(e instanceof Error ? e.message : e)
    .split('\n')[0]!
    .slice(0, 200);

/**
 * Decodes every compressed part with the real decoders and checks what comes out against the accessors (Draco: the
 * vertex and index counts, each attribute present with its number of components). Throws a one-line XoayError naming
 * the primitive or buffer view. A fallback buffer (meshopt) is never read.
 */
export async function checkCompressedData(json: Obj, resources: Record<string, Uint8Array>, file: string): Promise<void> {
  const j = json as Json;
  const views = j.bufferViews ?? [];
  const accessors = j.accessors ?? [];
  const meshopt = views.some((v) => isObj(v.extensions) && MESHOPT.some((n) => (v.extensions as Obj)[n] !== undefined));
  if (meshopt) await MeshoptDecoder.ready;
  views.forEach((v, i) => {
    if (!isObj(v.extensions)) return;
    for (const name of MESHOPT) {
      const e = v.extensions[name] as Obj | undefined;
      if (e === undefined) continue;
      const where = `bufferViews[${i}].extensions.${name}`;
      const data = bufferBytes(j, e.buffer as number, resources);
      const offset = (e.byteOffset as number | undefined) ?? 0;
      const length = e.byteLength as number;
      if (!data || offset + length > data.length)
        fail(file, where, `bytes ${offset}–${offset + length} lie beyond the ${data?.length ?? 0} bytes of buffers[${e.buffer}] as given`);
      const count = e.count as number;
      const stride = e.byteStride as number;
      try {
        MeshoptDecoder.decodeGltfBuffer(
          new Uint8Array(count * stride),
          count,
          stride,
          data.subarray(offset, offset + length),
          e.mode as 'ATTRIBUTES',
          (e.filter as 'NONE' | undefined) ?? 'NONE',
        );
      } catch (err) {
        fail(file, where, `the meshopt stream (${length} bytes) does not decode to ${count} × ${stride}-byte ${e.mode}: ${firstLine(err)}`);
      }
    }
  });
  const parts = dracoParts(j);
  if (parts.length === 0) return;
  // biome-ignore lint/suspicious/noExplicitAny: the Draco decoder module is untyped emscripten output
  const draco = (await dracoDecoderModule()) as any;
  const decoded = new Map<number, { points: number; faces: number; components: Map<number, number> } | string>();
  const decode = (viewIndex: number) => {
    const view = views[viewIndex]!;
    const data = bufferBytes(j, view.buffer as number, resources);
    const offset = (view.byteOffset as number | undefined) ?? 0;
    const length = view.byteLength as number;
    if (!data || offset + length > data.length)
      return `bufferViews[${viewIndex}] lies beyond the ${data?.length ?? 0} bytes of buffers[${view.buffer}] as given`;
    const decoder = new draco.Decoder();
    const buffer = new draco.DecoderBuffer();
    const mesh = new draco.Mesh();
    try {
      buffer.Init(data.subarray(offset, offset + length), length);
      const type = decoder.GetEncodedGeometryType(buffer);
      if (type !== draco.TRIANGULAR_MESH)
        return `the Draco data in bufferViews[${viewIndex}] (${length} bytes) is not a triangle mesh (${type === draco.POINT_CLOUD ? 'a point cloud' : 'unknown geometry'})`;
      const status = decoder.DecodeBufferToMesh(buffer, mesh);
      if (!status.ok() || mesh.ptr === 0)
        return `the Draco data in bufferViews[${viewIndex}] (${length} bytes) does not decode: ${String(status.error_msg?.() || 'decoding failure').slice(0, 200)}`;
      const components = new Map<number, number>();
      for (let a = 0; a < mesh.num_attributes(); a++) {
        const att = decoder.GetAttribute(mesh, a);
        if (att && att.ptr !== 0) components.set(att.unique_id(), att.num_components());
      }
      return { points: mesh.num_points(), faces: mesh.num_faces(), components };
    } catch (err) {
      return `the Draco data in bufferViews[${viewIndex}] (${length} bytes) does not decode: ${firstLine(err)}`;
    } finally {
      draco.destroy(mesh);
      draco.destroy(buffer);
      draco.destroy(decoder);
    }
  };
  for (const { where, ext, prim } of parts) {
    const viewIndex = ext.bufferView as number;
    let d = decoded.get(viewIndex);
    if (d === undefined) decoded.set(viewIndex, (d = decode(viewIndex)));
    if (typeof d === 'string') fail(file, where, d);
    const attributes = prim.attributes as Record<string, number>;
    for (const [semantic, id] of Object.entries(ext.attributes as Record<string, number>)) {
      const n = d.components.get(id);
      const a = accessors[attributes[semantic]!]!;
      if (n === undefined) fail(file, `${where}.attributes.${semantic}`, `the Draco data has no attribute with id ${id}`);
      if (n !== TYPE_COMPONENTS[a.type as string])
        fail(file, `${where}.attributes.${semantic}`, `the Draco attribute has ${n} components, its accessor (${a.type}) ${TYPE_COMPONENTS[a.type as string]}`);
      if (a.count !== d.points) fail(file, `${where}.attributes.${semantic}`, `the Draco data decodes to ${d.points} vertices, its accessor says ${a.count}`);
    }
    if (prim.indices !== undefined) {
      const a = accessors[prim.indices as number]!;
      if (a.count !== d.faces * 3)
        fail(file, `${where}`, `the Draco data decodes to ${d.faces} triangles (${d.faces * 3} indices), the indices accessor says ${a.count}`);
    }
  }
}
