/**
 * Weld after quantisation: vertices that differ in the source (by a float's last bits) often become identical once
 * quantised: same integer position, same octahedral normal as the writer will store it. They are then written twice,
 * and the second copy costs the vertex codec a full delta in every stream. Here each primitive's vertices that would be
 * written as exactly the same bytes are merged into one, and the primitive is reordered again for the vertex cache and
 * fetch (meshopt, as reorder() did before quantisation). Nothing written changes value: a merged vertex is
 * byte-for-byte the one it is merged into. Triangles that quantisation left without area (two corners on one grid
 * point, or three in a line) draw nothing and are dropped, as gltfpack does.
 */
import type { Accessor, Document, Primitive, Transform, TypedArray } from '@gltf-transform/core';
import type { MeshoptEncoder } from 'meshoptimizer';
import { XoayError } from '../core/errors.js';

const STAGE = 'weld';

export interface QuantizedWeldOptions {
  /** meshopt's encoder (reorderMesh, encodeFilterOct), ready. */
  encoder: typeof MeshoptEncoder;
  /** Bits of the octahedral filter the writer applies to NORMAL and TANGENT (glTF Transform's meshopt 'high': 8). */
  octahedralBits: number;
}

export const QUANTIZED_WELD_DEFAULTS: Omit<QuantizedWeldOptions, 'encoder'> = { octahedralBits: 8 };

/** Merges the vertices of each triangle primitive that the writer would store as identical bytes (see above). */
export function weldQuantized(opts: Pick<QuantizedWeldOptions, 'encoder'> & Partial<QuantizedWeldOptions>): Transform {
  const o: QuantizedWeldOptions = { ...QUANTIZED_WELD_DEFAULTS, ...opts };
  if (!Number.isInteger(o.octahedralBits) || o.octahedralBits < 2 || o.octahedralBits > 8) {
    throw new XoayError(STAGE, 'BAD_OPTION', `${STAGE}: option "octahedralBits" must be an integer from 2 to 8, got ${JSON.stringify(o.octahedralBits)}`);
  }
  return function weldQuantized(doc: Document): void {
    for (const mesh of doc.getRoot().listMeshes()) {
      for (const prim of mesh.listPrimitives()) weldPrimitive(prim, o);
    }
  };
}

/** Welds one primitive in place, when it is indexed triangles, has no morph targets and owns its accessors. */
function weldPrimitive(prim: Primitive, o: QuantizedWeldOptions): void {
  const indices = prim.getIndices();
  const attributes = prim.listSemantics().map((semantic) => ({ semantic, accessor: prim.getAttribute(semantic)! }));
  if (prim.getMode() !== 4 || !indices || !attributes.length || prim.listTargets().length) return;
  // An accessor shared with another primitive (or an instance batch) would change under it too.
  for (const a of [indices, ...attributes.map((x) => x.accessor)]) {
    if (a.listParents().some((p) => p.propertyType !== 'Root' && p !== prim)) return;
  }
  const count = attributes[0]!.accessor.getCount();
  if (attributes.some((x) => x.accessor.getCount() !== count)) return;

  // Each vertex's bytes as written: integer attributes as they are, NORMAL/TANGENT as their octahedral encoding,
  // other float attributes as their float bits.
  const keys = attributes.map(({ semantic, accessor }) => writtenBytes(semantic, accessor, o));
  const widths = keys.map((k) => k.length / count);
  const width = widths.reduce((n, w) => n + w, 0);
  const row = new Uint8Array(count * width);
  for (let a = 0, at = 0; a < keys.length; at += widths[a]!, a++) {
    const k = keys[a]!,
      w = widths[a]!;
    for (let v = 0; v < count; v++) for (let b = 0; b < w; b++) row[v * width + at + b] = k[v * w + b]!;
  }
  // Open addressing on a hash of each row, rows compared byte by byte on a hit.
  const size = 2 ** Math.ceil(Math.log2(2 * count + 1));
  const table = new Int32Array(size).fill(-1);
  const weld = new Uint32Array(count); // vertex → the first vertex with the same bytes
  let unique = 0;
  for (let v = 0; v < count; v++) {
    let h = 0x811c9dc5;
    for (let b = v * width, end = b + width; b < end; b++) h = Math.imul(h ^ row[b]!, 0x01000193);
    let slot = (h >>> 0) & (size - 1);
    for (;;) {
      const f = table[slot]!;
      if (f < 0) {
        table[slot] = v;
        weld[v] = v;
        unique++;
        break;
      }
      if (sameRow(row, f, v, width)) {
        weld[v] = f;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  // Indices onto the kept vertices, without the triangles left with no area on the grid (two corners welded into one,
  // or three in a line): they draw nothing.
  const source = indices.getArray()!;
  const position = prim.getAttribute('POSITION')?.getArray() ?? null;
  const welded = new Uint32Array(source.length);
  let n = 0;
  for (let t = 0; t + 2 < source.length; t += 3) {
    const i0 = weld[source[t]!]!,
      i1 = weld[source[t + 1]!]!,
      i2 = weld[source[t + 2]!]!;
    if (!hasArea(position, i0, i1, i2)) continue;
    welded[n++] = i0;
    welded[n++] = i1;
    welded[n++] = i2;
  }
  if (unique === count && n === source.length) return;
  if (n === 0) return; // nothing drawn either way: left to the clean-up that removes empty primitives
  const idx = welded.slice(0, n);
  // Then the vertex cache and fetch order for what is left.
  // idx is rewritten in place; remap: old vertex → new (0xffffffff for the merged ones, which no index names now).
  const [remap, kept] = o.encoder.reorderMesh(idx, true, true);
  for (const { accessor } of attributes) {
    const src = accessor.getArray()!;
    const size = accessor.getElementSize();
    const dst = sameType(src, kept * size);
    for (let v = 0; v < count; v++) {
      const r = remap[v]!;
      if (weld[v] !== v || r === 0xffffffff) continue;
      for (let c = 0; c < size; c++) dst[r * size + c] = src[v * size + c]!;
    }
    accessor.setArray(dst);
  }
  const out = sameType(indices.getArray()!, idx.length);
  out.set(idx);
  indices.setArray(out);
}

/** Whether triangle (i0, i1, i2) has distinct corners and, given the stored (integer) positions, a non-zero area. */
function hasArea(position: TypedArray | null, i0: number, i1: number, i2: number): boolean {
  if (i0 === i1 || i1 === i2 || i0 === i2) return false;
  if (!position) return true;
  const ux = position[3 * i1]! - position[3 * i0]!,
    uy = position[3 * i1 + 1]! - position[3 * i0 + 1]!,
    uz = position[3 * i1 + 2]! - position[3 * i0 + 2]!;
  const vx = position[3 * i2]! - position[3 * i0]!,
    vy = position[3 * i2 + 1]! - position[3 * i0 + 1]!,
    vz = position[3 * i2 + 2]! - position[3 * i0 + 2]!;
  return uy * vz - uz * vy !== 0 || uz * vx - ux * vz !== 0 || ux * vy - uy * vx !== 0;
}

/** Whether vertices `a` and `b` have the same bytes. */
function sameRow(row: Uint8Array, a: number, b: number, width: number): boolean {
  for (let i = 0; i < width; i++) if (row[a * width + i] !== row[b * width + i]) return false;
  return true;
}

/** A new typed array of the same kind as `like`. */
function sameType(like: TypedArray, length: number): TypedArray {
  const Kind = like.constructor as new (n: number) => TypedArray;
  return new Kind(length);
}

/** The bytes the writer stores for each vertex of an attribute, `count` rows of equal width. */
function writtenBytes(semantic: string, accessor: Accessor, o: QuantizedWeldOptions): Uint8Array {
  const array = accessor.getArray()!;
  if ((semantic === 'NORMAL' || semantic === 'TANGENT') && array instanceof Float32Array) {
    const size = accessor.getElementSize();
    const padded = size === 4 ? array : new Float32Array(accessor.getCount() * 4);
    if (size === 3) for (let v = 0; v < accessor.getCount(); v++) padded.set(array.subarray(3 * v, 3 * v + 3), 4 * v);
    return o.encoder.encodeFilterOct(padded, accessor.getCount(), 4, o.octahedralBits);
  }
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
