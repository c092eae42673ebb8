/**
 * Geometry: meshopt (reorder, quantise, EXT_meshopt_compression; the default), Draco
 * (KHR_draco_mesh_compression), or none. Quantisation at glTF Transform's defaults, without its clean-up
 * step (which merges identical materials and would lose their names).
 */
import type { Document, Transform } from '@gltf-transform/core';
import { PropertyType } from '@gltf-transform/core';
import { draco, MESHOPT_DEFAULTS, meshopt, prune } from '@gltf-transform/functions';
import { codecs } from './codecs.js';
import { plainPositions } from './positions.js';
import { meshoptStreamsByKind } from './streams.js';
import { weldQuantized } from './weld.js';

export type GeometryMode = 'meshopt' | 'draco' | 'none';
export const GEOMETRY_MODES: readonly GeometryMode[] = ['meshopt', 'draco', 'none'];

export function geometry(mode: GeometryMode): Transform[] {
  switch (mode) {
    case 'meshopt':
      // meshopt() reorders and quantises itself ('high': octahedral normals, exponential filters, as
      // gltfpack -cc and gltf-transform optimize); its own clean-up would also merge identical materials
      // (losing their names), so only the accessors it replaced are pruned here. Its compressed data is written
      // one stream per kind of attribute (streams.ts), its positions as plain integers on the same grid (positions.ts),
      // and vertices that quantisation made identical are written once (weld.ts).
      return [
        meshoptStreamsByKind(),
        meshopt({ encoder: codecs.MeshoptEncoder, level: 'high', cleanup: false }),
        plainPositions(MESHOPT_DEFAULTS.quantizePosition),
        weldQuantized({ encoder: codecs.MeshoptEncoder }),
        dropReplacedInstanceBatches,
        prune({ propertyTypes: [PropertyType.ACCESSOR] }),
      ];
    case 'draco':
      return [draco({ method: 'edgebreaker' })];
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
