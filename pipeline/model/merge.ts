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
import type { Document, Material, Mesh, Node, Primitive } from '@gltf-transform/core';
import { cloneDocument, flatten, instance, join, palette, prune } from '@gltf-transform/functions';
import { XoayError } from '../core/errors.js';
import { SILENT } from './codecs.js';
import { countDrawCalls, listNames, meshTriangles } from './inspect.js';
import { MERGE_WHEN, type MergeWhen } from './choices.js';

export { MERGE_WHEN, type MergeWhen } from './choices.js';

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
  if (!MERGE_WHEN.includes(o.when))
    throw new XoayError('merge', 'BAD_OPTION', `merge: option "when" must be one of ${MERGE_WHEN.join(', ')}, got ${JSON.stringify(o.when)}`);
  if (!Number.isInteger(o.drawCalls) || o.drawCalls < 0)
    throw new XoayError('merge', 'BAD_OPTION', `merge: option "drawCalls" must be an integer ≥ 0, got ${JSON.stringify(o.drawCalls)}`);
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
  const meshes = root.listMeshes();
  const used = new Set(meshes.flatMap((m) => m.listPrimitives().map((p) => p.getMaterial())));
  const classes = materialClasses([...used].filter((m): m is Material => m !== null));
  const floor: Record<MergeStep, number> = { join: used.size, materials: classes.length, palette: 1 };
  const primitives = shared.map((m) => meshes[m.index]!.listPrimitives().length);
  /** The most shared meshes that could stay instanced at a level, by the bound. */
  const maxKeep = (step: MergeStep) => {
    let k = 0,
      calls = floor[step];
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
      let lo = 0,
        hi = most; // meets with lo, not with hi
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
  if (!meets(doc))
    result.note = `every merge step applied (${choice.steps.join(', ')}), still ${result.drawCalls.after} draw calls: the parts differ in vertex attributes or primitive modes`;

  const now = listNames(doc);
  const gone = (was: string[], is: string[]) => {
    const still = new Set(is);
    return was.filter((n) => n && !still.has(n));
  };
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  if (scene) {
    const extras = scene.getExtras() as Record<string, unknown>;
    const xoay = (extras.xoay ?? {}) as Record<string, unknown>;
    xoay.mergedNames = {
      nodes: gone(original.nodes, now.nodes),
      meshes: gone(original.meshes, now.meshes),
      materials: gone(original.materials, now.materials),
    };
    scene.setExtras({ ...extras, xoay });
  }
  return result;
}

/** Runs the steps; shared meshes whose index is in `instanced` are GPU-instanced, the others copied per node. Returns the instanced count. */
async function apply(doc: Document, steps: MergeStep[], instanced: Set<number>, trial = false): Promise<number> {
  // A trial only counts draw calls: unused data can stay.
  const tidy = trial ? [] : [prune()];
  const meshes = doc.getRoot().listMeshes();
  // Meshes not instanced are joined with their copies; so are those instancing leaves alone (every copy in one place).
  unshare(
    joinCopies(
      doc,
      meshes.filter((_, index) => !instanced.has(index)),
    ),
  );
  if (instanced.size) await doc.transform(instance({ min: 2 }));
  unshare(
    joinCopies(
      doc,
      meshes.filter((m, index) => instanced.has(index) && nodesOf(m).length > 1),
    ),
  );
  await doc.transform(flatten(), join({ keepNamed: false }), ...tidy);
  if (steps.includes('materials')) {
    foldIdenticalMaterials(doc);
    await doc.transform(join({ keepNamed: false }), ...tidy);
  }
  if (steps.includes('palette')) await doc.transform(palette({ min: 2 }), join({ keepNamed: false }), ...tidy);
  // Meshes instancing took (it leaves a mesh whose copies all stand in one place to be joined instead).
  return instanced.size
    ? doc
        .getRoot()
        .listNodes()
        .filter((n) => n.getExtension('EXT_mesh_gpu_instancing')).length
    : 0;
}

function nodesOf(mesh: Mesh): Node[] {
  return mesh.listParents().filter((p) => p.propertyType === 'Node') as Node[];
}

/**
 * A mesh drawn by several nodes becomes one mesh holding every copy in world space, on one new node at the scene's root:
 * what flatten + join make of it, in time linear in the copies (glTF Transform's join looks at every shared primitive's
 * parents for each copy). Meshes this cannot do simply (morph targets, skins, strips and fans, non-float positions,
 * normals or tangents, several scenes) are returned, for the general path.
 */
function joinCopies(doc: Document, meshes: Mesh[]): Mesh[] {
  const rest: Mesh[] = [];
  const scenes = doc.getRoot().listScenes();
  const FLOAT = 5126;
  for (const mesh of meshes) {
    const nodes = nodesOf(mesh);
    if (nodes.length < 2) continue;
    const simple =
      scenes.length === 1 &&
      !nodes.some((n) => n.getSkin() || n.getExtension('EXT_mesh_gpu_instancing')) &&
      mesh.listPrimitives().every((p) => {
        const pos = p.getAttribute('POSITION');
        return (
          pos &&
          p.listTargets().length === 0 &&
          [0, 1, 4].includes(p.getMode()) &&
          ['POSITION', 'NORMAL', 'TANGENT'].every((a) => !p.getAttribute(a) || p.getAttribute(a)!.getComponentType() === FLOAT) &&
          p.listSemantics().every((a) => p.getAttribute(a)!.getCount() === pos.getCount())
        );
      });
    if (!simple) {
      rest.push(mesh);
      continue;
    }
    const matrices = nodes.map((n) => n.getWorldMatrix());
    const out = doc.createMesh(mesh.getName());
    for (const prim of mesh.listPrimitives()) {
      const pos = prim.getAttribute('POSITION')!;
      const count = pos.getCount();
      const k = nodes.length;
      const dst = doc.createPrimitive().setMode(prim.getMode()).setMaterial(prim.getMaterial());
      for (const semantic of prim.listSemantics()) {
        const acc = prim.getAttribute(semantic)!;
        const src = acc.getArray()!;
        const size = acc.getElementSize();
        const arr = new (src.constructor as new (n: number) => typeof src)(src.length * k);
        for (let c = 0; c < k; c++) {
          const m = matrices[c]!;
          const off = c * count * size;
          if (semantic === 'POSITION') {
            for (let v = 0; v < count; v++) {
              const x = src[v * 3]!,
                y = src[v * 3 + 1]!,
                z = src[v * 3 + 2]!;
              arr[off + v * 3] = m[0] * x + m[4] * y + m[8] * z + m[12];
              arr[off + v * 3 + 1] = m[1] * x + m[5] * y + m[9] * z + m[13];
              arr[off + v * 3 + 2] = m[2] * x + m[6] * y + m[10] * z + m[14];
            }
          } else if (semantic === 'NORMAL' || semantic === 'TANGENT') {
            // Normals by the inverse transpose of the upper 3×3 (its cofactor matrix, up to scale); tangents by the matrix.
            const n = semantic === 'NORMAL' ? cofactor(m) : [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
            const sign = semantic === 'NORMAL' && det3(m) < 0 ? -1 : 1; // the cofactor matrix is det × the inverse transpose
            for (let v = 0; v < count; v++) {
              const x = src[v * size]!,
                y = src[v * size + 1]!,
                z = src[v * size + 2]!;
              const a = n[0]! * x + n[3]! * y + n[6]! * z,
                b = n[1]! * x + n[4]! * y + n[7]! * z,
                d = n[2]! * x + n[5]! * y + n[8]! * z;
              const len = sign * (Math.hypot(a, b, d) || 1);
              arr[off + v * size] = a / len;
              arr[off + v * size + 1] = b / len;
              arr[off + v * size + 2] = d / len;
              if (size === 4) arr[off + v * size + 3] = src[v * size + 3]!;
            }
          } else arr.set(src, off);
        }
        dst.setAttribute(
          semantic,
          doc.createAccessor(acc.getName()).setType(acc.getType()).setNormalized(acc.getNormalized()).setArray(arr).setBuffer(acc.getBuffer()),
        );
      }
      const idx = prim.getIndices()?.getArray() ?? Uint32Array.from({ length: count }, (_, i) => i);
      const total = count * k;
      const indices = total > 65535 ? new Uint32Array(idx.length * k) : new Uint16Array(idx.length * k);
      for (let c = 0; c < k; c++) {
        const m = matrices[c]!;
        // A mirroring matrix turns triangles inside out: their winding is reversed to keep them facing out.
        const flip = prim.getMode() === 4 && det3(m) < 0;
        const base = c * count,
          off = c * idx.length;
        for (let t = 0; t < idx.length; t++) indices[off + t] = base + idx[flip ? t - (t % 3) + (2 - (t % 3)) : t]!;
      }
      dst.setIndices(
        doc
          .createAccessor(prim.getIndices()?.getName() ?? '')
          .setType('SCALAR')
          .setArray(indices)
          .setBuffer(pos.getBuffer()),
      );
      out.addPrimitive(dst);
    }
    scenes[0]!.addChild(doc.createNode(nodes[0]!.getName()).setMesh(out));
    for (const n of nodes) n.setMesh(null);
  }
  return rest;
}

function det3(m: ArrayLike<number>): number {
  return m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[4]! * (m[1]! * m[10]! - m[2]! * m[9]!) + m[8]! * (m[1]! * m[6]! - m[2]! * m[5]!);
}

/** The cofactor matrix of a column-major 4×4's upper 3×3 (column-major 3×3): normals transform by it. */
function cofactor(m: ArrayLike<number>): number[] {
  const [a, b, c, d, e, f, g, h, i] = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];
  return [e * i - f * h, f * g - d * i, d * h - e * g, c * h - b * i, a * i - c * g, b * g - a * h, b * f - c * e, c * d - a * f, a * e - b * d];
}

/**
 * Gives every node but the first of each mesh its own copy, down to the accessors. glTF Transform's join works per
 * primitive and looks at each primitive's parents: a primitive or accessor shared by n nodes makes it quadratic
 * (20,000 nodes sharing one triangle took minutes); with copies it is linear.
 */
function unshare(meshes: Mesh[]): void {
  for (const mesh of meshes) {
    for (const node of nodesOf(mesh).slice(1)) {
      const copy = mesh.clone();
      for (const prim of copy.listPrimitives()) {
        const own = prim.clone();
        for (const semantic of own.listSemantics()) own.setAttribute(semantic, own.getAttribute(semantic)!.clone());
        const indices = own.getIndices();
        if (indices) own.setIndices(indices.clone());
        copy.removePrimitive(prim).addPrimitive(own);
      }
      node.setMesh(copy);
    }
  }
}

/** What two identical materials share for sure: a cheap key, so identical ones are looked for only among their likes. */
function materialKey(m: Material): string {
  const tex = (t: unknown) => (t ? 'T' : '-');
  return JSON.stringify([
    m.getBaseColorFactor(),
    m.getEmissiveFactor(),
    m.getMetallicFactor(),
    m.getRoughnessFactor(),
    m.getAlphaMode(),
    m.getAlphaCutoff(),
    m.getDoubleSided(),
    tex(m.getBaseColorTexture()),
    tex(m.getNormalTexture()),
    tex(m.getEmissiveTexture()),
    tex(m.getOcclusionTexture()),
    tex(m.getMetallicRoughnessTexture()),
    m
      .listExtensions()
      .map((e) => e.extensionName)
      .sort(),
  ]);
}

/** Materials grouped into classes of identical ones (names and extras aside), in order: each class's first is its representative. */
function materialClasses(materials: Material[]): Material[][] {
  const buckets = new Map<string, Material[][]>();
  const classes: Material[][] = [];
  for (const m of materials) {
    const k = materialKey(m);
    let inBucket = buckets.get(k);
    if (!inBucket) buckets.set(k, (inBucket = []));
    const same = inBucket.find((c) => c[0]!.equals(m, new Set(['name', 'extras'])));
    if (same) same.push(m);
    else {
      const c = [m];
      inBucket.push(c);
      classes.push(c);
    }
  }
  return classes;
}

/** Materials identical in every property (names aside) become one; the kept one lists the others' names. */
function foldIdenticalMaterials(doc: Document): void {
  for (const [kept, ...others] of materialClasses(doc.getRoot().listMaterials())) {
    if (!others.length) continue;
    for (const m of others) {
      for (const p of m.listParents()) if (p.propertyType === 'Primitive') (p as Primitive).setMaterial(kept!);
      m.dispose();
    }
    const extras = kept!.getExtras() as Record<string, unknown>;
    const xoay = (extras.xoay ?? {}) as Record<string, unknown>;
    xoay.mergedMaterials = others.map((m) => m.getName());
    kept!.setExtras({ ...extras, xoay });
  }
}
