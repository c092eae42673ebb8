/**
 * Simplify: meshoptimizer simplification towards a triangle budget, never beyond a geometric error
 * bound (relative to each mesh's size): a mesh stops where the next collapse would exceed it.
 */
import type { Document, Transform } from '@gltf-transform/core';
import { simplify as simplifyTransform, weld } from '@gltf-transform/functions';
import { DEFAULT_SIMPLIFY_ERROR } from './choices.js';
import { codecs } from './codecs.js';
import { countTriangles } from './inspect.js';

export interface SimplifyOptions {
  /** Target triangle count for the whole model (0: no target). */
  triangles: number;
  /** Largest geometric error allowed, as a fraction of the mesh's size (0.001 = 0.1 %). */
  error: number;
}

export const SIMPLIFY_DEFAULTS: SimplifyOptions = { triangles: 0, error: DEFAULT_SIMPLIFY_ERROR };

/** The transforms that bring `doc` towards the triangle target (none when it is already under it). */
export function simplifyTo(doc: Document, opts?: Partial<SimplifyOptions>): Transform[] {
  const o = { ...SIMPLIFY_DEFAULTS, ...opts };
  const stats = countTriangles(doc);
  // The budget limits the triangles drawn (a mesh shown by three nodes counts three times).
  const current = stats.drawnTriangles || stats.triangles;
  if (!o.triangles || current <= o.triangles) return [];
  return [weld(), simplifyTransform({ simplifier: codecs.MeshoptSimplifier, ratio: o.triangles / current, error: o.error, lockBorder: false })];
}
