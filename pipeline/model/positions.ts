/**
 * Plain integer positions. glTF Transform's quantize() stores 14-bit positions as normalised int16: the 13 bits of
 * magnitude are shifted to the top of the 15 and the two spare low bits are filled with copies of the top ones, so
 * that the largest value reads back as exactly 1.0. Those low bits carry no information, yet they vary from vertex to
 * vertex and the meshopt vertex codec pays for them: on 2CylinderEngine they are 14 % of the position stream.
 *
 * Here the same integers are stored without the copied bits, as plain (non-normalised) int16, and the 1/8191 that
 * normalisation applied moves into the scale of the nodes (or GPU instances) that show the mesh, as gltfpack stores
 * its positions. The grid is the same (same bits, same volume); the values read back land exactly on the
 * grid quantize() rounded to, which the copied bits missed by up to a quarter of a step. KHR_mesh_quantization allows
 * SHORT positions. A mesh is left as it is when its positions are not what quantize() writes (checked value by value)
 * or when a scale cannot simply be added where it is shown: skins, morph targets, animated nodes, nodes with children
 * or cameras, instance batches shared between nodes, or materials with a volume thickness (in mesh units).
 */
import { AnimationChannel, Node, type Accessor, type Document, type Mesh, type Transform } from '@gltf-transform/core';
import type { InstancedMesh } from '@gltf-transform/extensions';

const INSTANCING = 'EXT_mesh_gpu_instancing';

/** Rewrites `bits`-bit positions quantised by glTF Transform's quantize() as plain integers (see above). */
export function plainPositions(bits: number): Transform {
  return function plainPositions(doc: Document): void {
    // Signed: one bit is the sign, the rest the magnitude, left-aligned in int16's 15 bits.
    const magnitudeBits = bits - 1;
    const steps = 2 ** magnitudeBits - 1; // the largest magnitude: 8191 for 14 bits, read as 1.0 when normalised
    const shift = 15 - magnitudeBits;
    if (shift <= 0) return; // 16 bits: no copied bits to drop
    for (const mesh of doc.getRoot().listMeshes()) {
      const positions = ownPositions(mesh);
      const nodes = mesh.listParents().filter((p): p is Node => p instanceof Node);
      if (!positions || !nodes.every(canScale)) continue;
      const plain = positions.map((a) => withoutCopiedBits(a.getArray() as Int16Array, shift, magnitudeBits));
      if (plain.some((p) => !p)) continue;
      positions.forEach((a, i) => a.setArray(plain[i]!).setNormalized(false));
      for (const node of nodes) scaleNode(doc, node, 1 / steps);
    }
  };
}

/** The mesh's POSITION accessors, when all are normalised int16 used by this mesh alone and it has no morph targets. */
function ownPositions(mesh: Mesh): Accessor[] | null {
  const prims = mesh.listPrimitives();
  const positions = new Set<Accessor>();
  for (const prim of prims) {
    const volume = prim.getMaterial()?.getExtension('KHR_materials_volume');
    if (prim.listTargets().length || volume) return null;
    const pos = prim.getAttribute('POSITION');
    if (!pos || !(pos.getArray() instanceof Int16Array) || !pos.getNormalized()) return null;
    positions.add(pos);
  }
  const own = new Set<unknown>(prims);
  for (const pos of positions) {
    if (pos.listParents().some((p) => p.propertyType === 'Primitive' && !own.has(p))) return null;
  }
  return positions.size ? [...positions] : null;
}

/** A node whose mesh frame can take an extra scale without changing anything else it carries. */
function canScale(node: Node): boolean {
  if (node.getSkin() || node.listChildren().length || node.getCamera()) return false;
  if (node.listParents().some((p) => p instanceof AnimationChannel)) return false;
  const batch = node.getExtension<InstancedMesh>(INSTANCING);
  return !batch || (batch.listAttributes().length > 0 && batch.listParents().filter((p) => p instanceof Node).length === 1);
}

/** The magnitudes without the copied low bits, or null when a value is not what quantize() writes. */
function withoutCopiedBits(src: Int16Array, shift: number, magnitudeBits: number): Int16Array | null {
  const out = new Int16Array(src.length);
  const back = magnitudeBits - shift; // where the copied top bits come from
  for (let i = 0; i < src.length; i++) {
    const s = src[i]!,
      m = Math.abs(s),
      v = m >> shift;
    if (((v << shift) | (v >> back)) !== m) return null;
    out[i] = s < 0 ? -v : v;
  }
  return out;
}

/** Scales the mesh's frame on this node: the instances' scale when it is GPU-instanced, else the node's own. */
function scaleNode(doc: Document, node: Node, k: number): void {
  const batch = node.getExtension<InstancedMesh>(INSTANCING);
  if (!batch) {
    const [x, y, z] = node.getScale();
    node.setScale([x * k, y * k, z * k]);
    return;
  }
  // Each instance is node · T · R · S · mesh: the factor joins S (a copy, in case another batch shares the accessor).
  const count = batch.listAttributes()[0]?.getCount() ?? 0;
  const old = batch.getAttribute('SCALE');
  const scale = old ? old.clone() : doc.createAccessor().setType('VEC3').setBuffer(batch.listAttributes()[0]!.getBuffer());
  const values = new Float32Array(count * 3);
  for (let i = 0, el = [1, 1, 1]; i < count; i++) {
    if (old) old.getElement(i, el);
    for (let j = 0; j < 3; j++) values[3 * i + j] = el[j]! * k;
  }
  batch.setAttribute('SCALE', scale.setArray(values).setNormalized(false));
}
