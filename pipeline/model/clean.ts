/**
 * Clean: remove duplicates, weld vertices, drop degenerate triangles and unused data, keeping node, mesh and material names
 * and KHR_materials_variants intact (nothing is joined, merged or flattened by default).
 */
import { PropertyType, type Transform } from '@gltf-transform/core';
import { dedup, flatten, join, palette, prune, weld } from '@gltf-transform/functions';
import { dropDegenerate } from './degenerate.js';

export interface CleanOptions {
  /** Also join meshes, merge materials into a palette and flatten the scene graph (breaks names and variants). */
  merge: boolean;
}

export const CLEAN_DEFAULTS: CleanOptions = { merge: false };

export function clean(opts?: Partial<CleanOptions>): Transform[] {
  const o = { ...CLEAN_DEFAULTS, ...opts };
  // Duplicate accessors and textures go; identical materials and meshes keep their own names.
  const steps: Transform[] = [dedup({ propertyTypes: [PropertyType.ACCESSOR, PropertyType.TEXTURE] }), weld(), dropDegenerate(), prune({ keepAttributes: false, keepLeaves: false })];
  if (o.merge) steps.push(dedup(), palette(), flatten(), join(), prune());
  return steps;
}
