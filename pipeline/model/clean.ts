/**
 * Clean: remove duplicates, weld vertices, drop degenerate triangles and unused data, keeping node, mesh and material names
 * and KHR_materials_variants intact (joining is the merge stage's job, merge.ts).
 */
import { PropertyType, type Transform } from '@gltf-transform/core';
import { dedup, prune, weld } from '@gltf-transform/functions';
import { dropDegenerate } from './degenerate.js';

export function clean(): Transform[] {
  // Duplicate accessors and textures go; identical materials and meshes keep their own names.
  return [dedup({ propertyTypes: [PropertyType.ACCESSOR, PropertyType.TEXTURE] }), weld(), dropDegenerate(), prune({ keepAttributes: false, keepLeaves: false })];
}
