/**
 * Clean: remove duplicates, weld vertices, drop degenerate triangles and unused data, keeping node, mesh and material names
 * and KHR_materials_variants intact (joining is the merge stage's job, merge.ts).
 */
import { createHash } from 'node:crypto';
import { type Accessor, type Document, type Primitive, PropertyType, type Transform } from '@gltf-transform/core';
import { dedup, prune, weld } from '@gltf-transform/functions';
import { dropDegenerate } from './degenerate.js';

export function clean(): Transform[] {
  // Duplicate textures go; identical materials and meshes keep their own names. Accessors are unshared first: glTF
  // Transform's per-primitive functions (weld, join, simplify) look at every parent of a shared accessor for each
  // primitive, quadratic in the primitives that share it; duplicates are folded again before the geometry is written.
  return [unshareAccessors(), dedup({ propertyTypes: [PropertyType.TEXTURE] }), weld(), dropDegenerate(), prune({ keepAttributes: false, keepLeaves: false })];
}

/** Each primitive gets its own copy of the vertex attributes and indices it shares with other primitives. */
export function unshareAccessors(): Transform {
  const transform = (doc: Document): void => {
    const owner = new Map<Accessor, Primitive>();
    for (const mesh of doc.getRoot().listMeshes()) {
      for (const prim of mesh.listPrimitives()) {
        for (const a of [...prim.listAttributes(), prim.getIndices()]) {
          if (!a) continue;
          const first = owner.get(a);
          if (!first) owner.set(a, prim);
          else if (first !== prim) prim.swap(a, a.clone());
        }
      }
    }
  };
  return Object.defineProperty(transform, 'name', { value: 'unshareAccessors' }) as Transform;
}

/**
 * glTF Transform's accessor dedup compares every pair of accessors of the same count and type (10,000 meshes of four
 * vertices: 50 million comparisons); this one buckets them by a hash of their bytes and compares only within a bucket,
 * with the same result (attributes, indices, animation inputs and outputs each among their own kind).
 */
export function dedupAccessors(): Transform {
  const transform = (doc: Document): void => {
    const root = doc.getRoot();
    const duplicates = new Map<Accessor, Accessor>();
    const groups = new Map<string, Accessor[]>();
    const add = (kind: string, a: Accessor | null) => {
      if (!a || duplicates.has(a)) return;
      const array = a.getArray();
      if (!array) return;
      const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      const k = `${kind}:${a.getCount()}:${a.getType()}:${a.getComponentType()}:${a.getNormalized()}:${a.getSparse()}:${createHash('sha1').update(view).digest('base64')}`;
      const list = groups.get(k);
      if (!list) return void groups.set(k, [a]);
      if (list.includes(a)) return;
      const same = list.find((b) => {
        const bArray = b.getArray()!;
        const bView = new Uint8Array(bArray.buffer, bArray.byteOffset, bArray.byteLength);
        return Buffer.compare(view, bView) === 0;
      });
      if (same) duplicates.set(a, same);
      else list.push(a);
    };
    for (const mesh of root.listMeshes()) {
      for (const prim of mesh.listPrimitives()) {
        for (const a of prim.listAttributes()) add('attribute', a);
        add('indices', prim.getIndices());
      }
    }
    for (const animation of root.listAnimations()) {
      for (const sampler of animation.listSamplers()) {
        add('input', sampler.getInput());
        add('output', sampler.getOutput());
      }
    }
    for (const mesh of root.listMeshes()) {
      for (const prim of mesh.listPrimitives()) {
        for (const a of prim.listAttributes()) if (duplicates.has(a)) prim.swap(a, duplicates.get(a)!);
        const indices = prim.getIndices();
        if (indices && duplicates.has(indices)) prim.swap(indices, duplicates.get(indices)!);
      }
    }
    for (const animation of root.listAnimations()) {
      for (const sampler of animation.listSamplers()) {
        const input = sampler.getInput(),
          output = sampler.getOutput();
        if (input && duplicates.has(input)) sampler.swap(input, duplicates.get(input)!);
        if (output && duplicates.has(output)) sampler.swap(output, duplicates.get(output)!);
      }
    }
    for (const a of duplicates.keys()) if (a.listParents().every((p) => p.propertyType === PropertyType.ROOT)) a.dispose();
  };
  return Object.defineProperty(transform, 'name', { value: 'dedupAccessors' }) as Transform;
}
