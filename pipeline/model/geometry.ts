/**
 * Geometry: meshopt (reorder, quantise, EXT_meshopt_compression), Draco (KHR_draco_mesh_compression), none, or
 * auto (the default: meshopt, or Draco where it saves more than its decoder costs a page; see packGeometry).
 * Quantisation at glTF Transform's defaults (positions per mesh, or on one grid for the whole scene when asked), without
 * its clean-up step (which merges identical materials and would lose their names).
 */
import type { Document, Transform } from '@gltf-transform/core';
import { PropertyType } from '@gltf-transform/core';
import { cloneDocument, draco, MESHOPT_DEFAULTS, meshopt, prune } from '@gltf-transform/functions';
import { codecs, createIO } from './codecs.js';
import { countTriangles } from './inspect.js';
import { plainPositions } from './positions.js';
import { meshoptStreamsByKind } from './streams.js';
import { weldQuantized } from './weld.js';
import type { GeometryMode, QuantizationVolume } from './choices.js';

export { GEOMETRY_MODES, type GeometryMode, QUANTIZATION_VOLUMES, type QuantizationVolume } from './choices.js';
/** A compression a file is written with ('auto' resolved). */
export type GeometryCodec = Exclude<GeometryMode, 'auto'>;

/** The transforms that compress `doc`'s geometry with `mode`, positions quantised over `volume` (see QuantizationVolume). */
export function geometry(mode: GeometryCodec, volume: QuantizationVolume = 'mesh'): Transform[] {
  switch (mode) {
    case 'meshopt':
      // meshopt() reorders and quantises itself ('high': octahedral normals, exponential filters, as
      // gltfpack -cc and gltf-transform optimize); its own clean-up would also merge identical materials
      // (losing their names), so only the accessors it replaced are pruned here. Positions are quantised per mesh, or on
      // one grid for the whole scene when asked (2CylinderEngine 345 → 337 KB; render SSIM 0.9995 against the source). Its compressed data is written
      // one stream per kind of attribute (streams.ts), its positions as plain integers on the same grid (positions.ts),
      // and vertices that quantisation made identical are written once (weld.ts).
      return [
        meshoptStreamsByKind(),
        meshopt({ encoder: codecs.MeshoptEncoder, level: 'high', cleanup: false, quantizationVolume: volume }),
        plainPositions(MESHOPT_DEFAULTS.quantizePosition),
        weldQuantized({ encoder: codecs.MeshoptEncoder }),
        dropReplacedInstanceBatches,
        prune({ propertyTypes: [PropertyType.ACCESSOR] }),
      ];
    case 'draco':
      return [draco({ method: 'edgebreaker', quantizationVolume: volume })];
    case 'none':
      return [];
  }
}

/**
 * quantize() moves each GPU-instanced mesh's dequantisation into a copy of its instance batch and leaves the original
 * batch attached to nothing; prune() does not look at extension properties, so the old batch kept its accessors alive
 * and they were written, unused (2CylinderEngine: 14 accessors, 2 KB).
 */
function dropReplacedInstanceBatches(doc: Document): void {
  const instancing = doc
    .getRoot()
    .listExtensionsUsed()
    .find((e) => e.extensionName === 'EXT_mesh_gpu_instancing');
  for (const batch of instancing?.listProperties() ?? []) {
    if (!batch.listParents().some((p) => p.propertyType === PropertyType.NODE)) batch.dispose();
  }
}

/**
 * What Draco must save over meshopt before 'auto' picks it: the transfer size of three's Draco decoder, which a page
 * fetches once for its first Draco model (draco_decoder.wasm 192 KB + its wrapper 58 KB, 81 KB gzip), against the
 * meshopt decoder that the viewer's three.js bundle already holds. Below it, and below 10 % of the file, meshopt's
 * faster decoding wins.
 */
export const DRACO_PAYS = { bytes: 81_000, fraction: 0.1 };

/** How the geometry was compressed, and why (the model report's `geometry`). */
export interface GeometryChoice {
  mode: GeometryCodec;
  reason: string;
  /** Whole-file bytes of each candidate 'auto' wrote (only the chosen one when a mode was forced). */
  candidates: Partial<Record<GeometryCodec, number>>;
}

/**
 * Compresses `doc`'s geometry with `mode` and writes it. 'auto' writes meshopt and Draco and keeps meshopt unless Draco
 * is smaller by more than DRACO_PAYS (CAD-like models with many flat, regular triangles: 2CylinderEngine 345 → 213 KB)
 * and decodes to every triangle (Draco's encoder may drop those that quantisation flattens).
 */
export async function packGeometry(
  doc: Document,
  mode: GeometryMode,
  volume: QuantizationVolume = 'mesh',
): Promise<{ doc: Document; glb: Uint8Array; choice: GeometryChoice }> {
  const io = await createIO();
  if (mode !== 'auto') {
    await doc.transform(...geometry(mode, volume));
    const glb = await io.writeBinary(doc);
    return { doc, glb, choice: { mode, reason: `--geometry ${mode}`, candidates: { [mode]: glb.length } } };
  }
  const triangles = countTriangles(doc).triangles;
  const dracoDoc = cloneDocument(doc);
  await doc.transform(...geometry('meshopt', volume));
  const meshoptGlb = await io.writeBinary(doc);
  // Draco compresses geometry only: when meshopt's whole non-image part is under what Draco must save, it cannot
  // win, and encoding it would be time spent for nothing (the sofa: 3 textures, little geometry).
  const imageBytes = doc
    .getRoot()
    .listTextures()
    .reduce((n, t) => n + (t.getImage()?.byteLength ?? 0), 0);
  if (meshoptGlb.length - imageBytes <= DRACO_PAYS.bytes) {
    const reason = `meshopt: its geometry and JSON take ${meshoptGlb.length - imageBytes} bytes, under what Draco would have to save (${DRACO_PAYS.bytes})`;
    return { doc, glb: meshoptGlb, choice: { mode: 'meshopt', reason, candidates: { meshopt: meshoptGlb.length } } };
  }
  await dracoDoc.transform(...geometry('draco', volume));
  const dracoGlb = await io.writeBinary(dracoDoc);
  const candidates = { meshopt: meshoptGlb.length, draco: dracoGlb.length };
  const saved = meshoptGlb.length - dracoGlb.length;
  const pct = (n: number) => `${((100 * n) / meshoptGlb.length).toFixed(1)} %`;
  if (saved <= DRACO_PAYS.bytes || saved <= DRACO_PAYS.fraction * meshoptGlb.length) {
    const reason =
      saved > 0
        ? `meshopt: Draco would save ${saved} bytes (${pct(saved)}), less than its decoder costs a page (${DRACO_PAYS.bytes} bytes, ${100 * DRACO_PAYS.fraction} %)`
        : 'meshopt: smaller than Draco';
    return { doc, glb: meshoptGlb, choice: { mode: 'meshopt', reason, candidates } };
  }
  const decoded = countTriangles(await io.readBinary(dracoGlb)).triangles;
  if (decoded !== triangles) {
    const reason = `meshopt: Draco would save ${saved} bytes but its encoder dropped ${triangles - decoded} of ${triangles} triangles`;
    return { doc, glb: meshoptGlb, choice: { mode: 'meshopt', reason, candidates } };
  }
  const reason = `draco: ${saved} bytes (${pct(saved)}) smaller than meshopt, more than its decoder costs a page`;
  return { doc: dracoDoc, glb: dracoGlb, choice: { mode: 'draco', reason, candidates } };
}
