/**
 * Merge: fewer draw calls, only as far as needed. Names are kept by default; a budget's draw-call limit (or
 * `--merge always`) is the one reason to join. The least lossy level that meets the limit wins:
 *  1. flatten the scene and join parts that share a material (every material and its name kept);
 *  2. also fold materials that are identical in every property into one (appearance unchanged);
 *  3. also merge the remaining materials into a palette texture (appearance unchanged for untextured parts).
 * A mesh shown by several nodes is drawn with GPU instancing (EXT_mesh_gpu_instancing) rather than copied, as long as
 * the limit allows: the meshes that save the most triangles stay instanced, the rest are copied and joined.
 * Names that no longer exist on their own are recorded in the scene's `extras.xoay.mergedNames`, and each kept material
 * lists the materials folded into it in `extras.xoay.mergedMaterials`, so parts stay traceable.
 * Documents with KHR_materials_variants or animations are never merged automatically (it would break them).
 */
import type { Document, Material, Mesh, Node } from '@gltf-transform/core';
import { cloneDocument, flatten, instance, join, palette, prune } from '@gltf-transform/functions';
import { XoayError } from '../core/errors.js';
import { SILENT } from './codecs.js';
import { countDrawCalls, listNames, meshTriangles } from './inspect.js';

export type MergeWhen = 'auto' | 'always' | 'never';
export const MERGE_WHEN: readonly MergeWhen[] = ['auto', 'always', 'never'];

export interface MergeOptions {
  /** 'auto': only when the draw calls reach `drawCalls`, and only as far as needed; 'always': every step; 'never'. */
  when: MergeWhen;
  /** The draw-call limit for 'auto' (fewer than this are wanted); 0: no limit. */
  drawCalls: number;
}

export const MERGE_DEFAULTS: MergeOptions = { when: 'auto', drawCalls: 0 };

export type MergeStep = 'join' | 'materials' | 'palette';

export interface MergeResult {
  /** The steps applied, in order (empty when nothing was merged). */
  steps: MergeStep[];
  drawCalls: { before: number; after: number };
  /** Meshes drawn with GPU instancing (EXT_mesh_gpu_instancing) instead of being copied. */
  instanced: number;
  /** Why nothing or not enough was merged, when that is the case. */
  note?: string;
}

const VARIANTS = 'KHR_materials_variants';
const LEVELS: MergeStep[][] = [['join'], ['join', 'materials'], ['join', 'materials', 'palette']];

export async function merge(doc: Document, opts?: Partial<MergeOptions>): Promise<MergeResult> {
  const o: MergeOptions = { ...MERGE_DEFAULTS, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) };
  if (!MERGE_WHEN.includes(o.when)) throw new XoayError('merge', 'BAD_OPTION', `merge: option "when" must be one of ${MERGE_WHEN.join(', ')}, got ${JSON.stringify(o.when)}`);
  if (!Number.isInteger(o.drawCalls) || o.drawCalls < 0) throw new XoayError('merge', 'BAD_OPTION', `merge: option "drawCalls" must be an integer ≥ 0, got ${JSON.stringify(o.drawCalls)}`);
  const before = countDrawCalls(doc);
  const result: MergeResult = { steps: [], drawCalls: { before, after: before }, instanced: 0 };
  const meets = (d: Document) => o.drawCalls <= 0 || countDrawCalls(d) < o.drawCalls;
  if (o.when === 'never' || (o.when === 'auto' && meets(doc))) return result;
  const root = doc.getRoot();
  if (o.when === 'auto') {
    if (root.listExtensionsUsed().some((e) => e.extensionName === VARIANTS)) {
      result.note = `not merged: the model has material variants (${VARIANTS}), which merging would break`;
      return result;
    }
    if (root.listAnimations().length) {
      result.note = 'not merged: the model is animated, which merging would break';
      return result;
    }
  }
  const original = listNames(doc);

  // Meshes shown by several nodes, the ones whose copies would cost the most triangles first.
  const shared = root
    .listMeshes()
    .map((mesh, index) => ({ index, nodes: nodesOf(mesh).length, triangles: meshTriangles(mesh) }))
    .filter((m) => m.nodes > 1)
    .sort((a, b) => b.triangles * (b.nodes - 1) - a.triangles * (a.nodes - 1));
  const tryOn = async (steps: MergeStep[], keep: number) => {
    const copy = cloneDocument(doc).setLogger(SILENT);
    await apply(copy, steps, new Set(shared.slice(0, keep).map((m) => m.index)), true);
    return meets(copy);
  };

  // Cheap lower bounds, to skip trials that cannot meet the limit: joining never merges parts with different materials,
  // so a level leaves at least as many draw calls as the materials (or classes of identical materials) it keeps, plus
  // one per primitive of each instanced mesh.
  const used = new Set(root.listMeshes().flatMap((m) => m.listPrimitives().map((p) => p.getMaterial())));
  const classes: Material[] = [];
  for (const m of used) if (m && !classes.some((k) => k.equals(m, new Set(['name', 'extras'])))) classes.push(m);
  const floor: Record<MergeStep, number> = { join: used.size, materials: classes.length, palette: 1 };
  const primitives = shared.map((m) => root.listMeshes()[m.index]!.listPrimitives().length);
  /** The most shared meshes that could stay instanced at a level, by the bound. */
  const maxKeep = (step: MergeStep) => {
    let k = 0, calls = floor[step];
    while (k < shared.length && calls + primitives[k]! < o.drawCalls) calls += primitives[k++]!;
    return k;
  };

  let choice: { steps: MergeStep[]; keep: number } = { steps: LEVELS[LEVELS.length - 1]!, keep: 0 };
  if (o.when === 'auto') {
    for (const steps of LEVELS) {
      const last = steps[steps.length - 1]!;
      if (o.drawCalls > 0 && floor[last] >= o.drawCalls) continue;
      const most = o.drawCalls > 0 ? maxKeep(last) : shared.length;
      // Keeping more than `most` instanced cannot meet the limit (the bound says so); `most` itself may.
      if (await tryOn(steps, most)) {
        choice = { steps, keep: most };
        break;
      }
      if (!(await tryOn(steps, 0))) continue;
      // Fewer instanced meshes, fewer draw calls: the most that still meets the limit.
      let lo = 0, hi = most; // meets with lo, not with hi
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (await tryOn(steps, mid)) lo = mid;
        else hi = mid;
      }
      choice = { steps, keep: lo };
      break;
    }
  }
  result.instanced = await apply(doc, choice.steps, new Set(shared.slice(0, choice.keep).map((m) => m.index)));
  result.steps = choice.steps;
  result.drawCalls.after = countDrawCalls(doc);
  if (!meets(doc)) result.note = `every merge step applied (${choice.steps.join(', ')}), still ${result.drawCalls.after} draw calls: the parts differ in vertex attributes or primitive modes`;

  const now = listNames(doc);
  const gone = (was: string[], is: string[]) => was.filter((n) => n && !is.includes(n));
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  if (scene) {
    const extras = scene.getExtras() as Record<string, unknown>;
    const xoay = (extras.xoay ?? {}) as Record<string, unknown>;
    xoay.mergedNames = { nodes: gone(original.nodes, now.nodes), meshes: gone(original.meshes, now.meshes), materials: gone(original.materials, now.materials) };
    scene.setExtras({ ...extras, xoay });
  }
  return result;
}

/** Runs the steps; shared meshes whose index is in `instanced` are GPU-instanced, the others copied per node. Returns the instanced count. */
async function apply(doc: Document, steps: MergeStep[], instanced: Set<number>, trial = false): Promise<number> {
  // A trial only counts draw calls: unused data can stay.
  const tidy = trial ? [] : [prune()];
  doc.getRoot().listMeshes().forEach((mesh, index) => {
    if (instanced.has(index)) return;
    for (const node of nodesOf(mesh).slice(1)) node.setMesh(mesh.clone());
  });
  if (instanced.size) await doc.transform(instance({ min: 2 }));
  await doc.transform(flatten(), join({ keepNamed: false }), ...tidy);
  if (steps.includes('materials')) {
    foldIdenticalMaterials(doc);
    await doc.transform(join({ keepNamed: false }), ...tidy);
  }
  if (steps.includes('palette')) await doc.transform(palette({ min: 2 }), join({ keepNamed: false }), ...tidy);
  return instanced.size;
}

function nodesOf(mesh: Mesh): Node[] {
  return mesh.listParents().filter((p) => p.propertyType === 'Node') as Node[];
}

/** Materials identical in every property (names aside) become one; the kept one lists the others' names. */
function foldIdenticalMaterials(doc: Document): void {
  const kept: Material[] = [];
  const folded = new Map<Material, string[]>();
  for (const m of doc.getRoot().listMaterials()) {
    const same = kept.find((k) => k.equals(m, new Set(['name', 'extras'])));
    if (!same) {
      kept.push(m);
      continue;
    }
    for (const prim of doc.getRoot().listMeshes().flatMap((mesh) => mesh.listPrimitives())) if (prim.getMaterial() === m) prim.setMaterial(same);
    folded.set(same, [...(folded.get(same) ?? []), m.getName()]);
    m.dispose();
  }
  for (const [m, names] of folded) {
    const extras = m.getExtras() as Record<string, unknown>;
    const xoay = (extras.xoay ?? {}) as Record<string, unknown>;
    xoay.mergedMaterials = names;
    m.setExtras({ ...extras, xoay });
  }
}
