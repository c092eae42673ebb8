/**
 * Limits and structure of a glTF's JSON, checked before any parser or the validator sees it: every problem is one
 * line naming the file and the part (`accessors[0].count: …`). The validator and glTF Transform crash, recurse
 * without bound or hang on JSON that this refuses (a count of 1e999, extras nested 20,000 deep, a 5,000-deep node
 * chain, `"meshes": [null]`, `"buffers": 5`, a texture without an image).
 */
import { echo, XoayError } from '../core/errors.js';

const STAGE = 'read';

export interface GltfLimits {
  /** Deepest nesting of JSON objects and arrays (extras included). */
  maxJsonDepth: number;
  /** Most nodes in the model. */
  maxNodes: number;
  /** Deepest node hierarchy (root nodes are at depth 1). */
  maxNodeDepth: number;
  /** Most entries in any other top-level array (meshes, materials, accessors …) and primitives per mesh. */
  maxElements: number;
  /**
   * Most primitives (mesh parts) in all: glTF Transform's per-primitive work (join, compaction, cloning) costs about a
   * millisecond and 70 KB each, so 20,000 take ≈ 25 s and 1.5 GB in `xoay model`; more are refused up front.
   */
  maxPrimitives: number;
  /** Longest URI of an external file (data: URIs have their own byte limit). */
  maxUriLength: number;
  /** Longest object key anywhere in the JSON. */
  maxKeyLength: number;
}

export const GLTF_LIMITS_DEFAULTS: GltfLimits = {
  maxJsonDepth: 64,
  maxNodes: 100_000,
  maxNodeDepth: 256,
  maxElements: 100_000,
  maxPrimitives: 20_000,
  maxUriLength: 2048,
  maxKeyLength: 256,
};

const ARRAYS = [
  'accessors',
  'animations',
  'buffers',
  'bufferViews',
  'cameras',
  'images',
  'materials',
  'meshes',
  'nodes',
  'samplers',
  'scenes',
  'skins',
  'textures',
] as const;
const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };
const TYPE_COMPONENTS: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 };
const TEXTURE_SOURCES = ['KHR_texture_basisu', 'EXT_texture_webp', 'EXT_texture_avif'];
const MATERIAL_TEXTURES = ['normalTexture', 'occlusionTexture', 'emissiveTexture'];
const PBR_TEXTURES = ['baseColorTexture', 'metallicRoughnessTexture'];

type Obj = Record<string, unknown>;
type Arrays = Record<(typeof ARRAYS)[number], Obj[]>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : typeof v === 'string'
          ? `the text ${echo(v, 40)}`
          : typeof v === 'number' || typeof v === 'boolean'
            ? `${typeof v === 'number' ? 'the number' : 'the value'} ${v}`
            : typeof v;

/** Throws the one-line XoayError naming the file and the part. */
type Fail = (where: string, problem: string, code?: 'MODEL_INVALID' | 'LIMIT') => never;

/** What every part's check uses: the failure, the top-level arrays and the checks of whole numbers and references. */
interface Check {
  fail: Fail;
  arr: Arrays;
  limits: GltfLimits;
  /** A whole number from min to max. */
  int(where: string, v: unknown, min: number, max: number): number;
  /** An index into the top-level array `list`. */
  ref(where: string, v: unknown, list: string): number;
  /** `o[key]`, when present, an index into `list`. */
  opt(o: Obj, key: string, where: string, list: string): void;
}

const MAX_BYTES = 2 ** 32;

/** Checks the JSON's depth and keys (iteratively: no recursion on hostile input), then the structure. Throws a one-line XoayError. */
export function checkGltfJson(json: unknown, file: string, l: GltfLimits, binBytes: number | undefined): asserts json is Obj {
  const fail: Fail = (where, problem, code = 'MODEL_INVALID') => {
    throw new XoayError(STAGE, code, `${where}: ${problem}`, file);
  };
  if (!isObj(json)) fail('the glTF JSON', `expected an object, got ${kind(json)}`);
  const root = json as Obj;
  if (!isObj(root.asset)) throw new XoayError(STAGE, 'MODEL_INVALID', 'not a glTF asset (no "asset" object)', file);

  checkDepthAndKeys(root, l, fail);
  const c = checker(fail, topLevelArrays(root, l, fail), l);
  checkBuffers(c, binBytes);
  checkAccessors(c, checkBufferViews(c));
  checkImages(c);
  checkTextures(c);
  checkMaterials(c);
  checkMeshes(c);
  const parent = checkNodes(c);
  checkScenes(c, parent);
  if (root.scene !== undefined) c.ref('scene', root.scene, 'scenes');
  checkSkins(c);
}

/** Depth and keys, without recursion; also no number out of range. */
function checkDepthAndKeys(root: Obj, l: GltfLimits, fail: Fail): void {
  const stack: [unknown, number, string][] = [[root, 1, '']];
  while (stack.length) {
    const [v, depth, at] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > l.maxJsonDepth)
      fail(
        `${at.slice(0, 60)}${at.length > 60 ? '…' : ''}`,
        `the glTF JSON is nested more than ${l.maxJsonDepth} levels deep here (objects and arrays, extras included)`,
        'LIMIT',
      );
    // JSON.parse reads 1e999 as Infinity, on which the validator's compiled Dart code throws from a callback.
    const finite = (x: unknown, where: string) => {
      if (typeof x === 'number' && !Number.isFinite(x)) fail(where, `a number out of range (${x})`);
    };
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        finite(x, `${at}[${i}]`);
        if (typeof x === 'object' && x !== null) stack.push([x, depth + 1, `${at}[${i}]`]);
      });
    } else {
      for (const k in v) {
        if (k.length > l.maxKeyLength)
          fail(at || 'the glTF JSON', `the key ${echo(k)} is ${k.length} characters long, over the limit of ${l.maxKeyLength}`, 'LIMIT');
        const x = (v as Obj)[k];
        const where = `${at}${at ? '.' : ''}${/^[A-Za-z_][\w]*$/.test(k) ? k : JSON.stringify(k)}`;
        finite(x, where);
        if (typeof x === 'object' && x !== null) stack.push([x, depth + 1, where]);
      }
    }
  }
}

/** Top-level arrays: arrays of objects, within the limits (a missing one is empty); the extension lists: names. */
function topLevelArrays(root: Obj, l: GltfLimits, fail: Fail): Arrays {
  const arr: Arrays = {} as never;
  for (const name of ARRAYS) {
    const v = root[name];
    if (v === undefined) {
      arr[name] = [];
      continue;
    }
    if (!Array.isArray(v)) fail(`"${name}"`, `expected an array, got ${kind(v)}`);
    const max = name === 'nodes' ? l.maxNodes : l.maxElements;
    if ((v as unknown[]).length > max) fail(`"${name}"`, `${(v as unknown[]).length} entries, over the limit of ${max}`, 'LIMIT');
    (v as unknown[]).forEach((x, i) => {
      if (!isObj(x)) fail(`${name}[${i}]`, `expected an object, got ${kind(x)}`);
    });
    arr[name] = v as Obj[];
  }
  for (const name of ['extensionsUsed', 'extensionsRequired']) {
    const v = root[name];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) fail(`"${name}"`, 'expected an array of extension names');
  }
  return arr;
}

function checker(fail: Fail, arr: Arrays, limits: GltfLimits): Check {
  const int = (where: string, v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(where, `expected a whole number from ${min} to ${max}, got ${kind(v)}`);
    return v as number;
  };
  const ref = (where: string, v: unknown, list: string): number => {
    const n = arr[list as (typeof ARRAYS)[number]].length;
    if (n === 0) fail(where, `refers to ${list}, but the model has none`);
    return int(where, v, 0, n - 1);
  };
  const opt = (o: Obj, key: string, where: string, list: string) => {
    if (o[key] !== undefined) ref(`${where}.${key}`, o[key], list);
  };
  return { fail, arr, limits, int, ref, opt };
}

function checkBuffers({ fail, arr, int }: Check, binBytes: number | undefined): void {
  arr.buffers.forEach((b, i) => {
    const len = int(`buffers[${i}].byteLength`, b.byteLength, 1, MAX_BYTES);
    if (b.uri !== undefined && typeof b.uri !== 'string') fail(`buffers[${i}].uri`, `expected text, got ${kind(b.uri)}`);
    if (b.uri === undefined && i === 0 && binBytes !== undefined && len > binBytes)
      fail(`buffers[0].byteLength`, `${len} bytes, but the GLB's binary chunk holds ${binBytes}`);
  });
}

/** Buffer views within their buffers; returns each one's length and stride. */
function checkBufferViews({ fail, arr, int, ref }: Check): { len: number; stride: number | undefined }[] {
  return arr.bufferViews.map((v, i) => {
    const b = ref(`bufferViews[${i}].buffer`, v.buffer, 'buffers');
    const offset = v.byteOffset === undefined ? 0 : int(`bufferViews[${i}].byteOffset`, v.byteOffset, 0, MAX_BYTES);
    const len = int(`bufferViews[${i}].byteLength`, v.byteLength, 1, MAX_BYTES);
    if (v.byteStride !== undefined) int(`bufferViews[${i}].byteStride`, v.byteStride, 4, 252);
    const bufLen = arr.buffers[b]!.byteLength as number;
    if (offset + len > bufLen) fail(`bufferViews[${i}]`, `bytes ${offset}–${offset + len} lie beyond its buffer's ${bufLen} bytes`);
    return { len, stride: v.byteStride as number | undefined };
  });
}

/** Accessors: known types, within their buffer views; sparse parts referring to buffer views. */
function checkAccessors({ fail, arr, int, ref }: Check, viewLength: { len: number; stride: number | undefined }[]): void {
  arr.accessors.forEach((a, i) => {
    const where = `accessors[${i}]`;
    const count = int(`${where}.count`, a.count, 1, 2 ** 31 - 1);
    const size = COMPONENT_BYTES[a.componentType as number];
    if (!size) fail(`${where}.componentType`, `expected one of ${Object.keys(COMPONENT_BYTES).join(', ')}, got ${kind(a.componentType)}`);
    const comps = TYPE_COMPONENTS[a.type as string];
    if (!comps) fail(`${where}.type`, `expected one of ${Object.keys(TYPE_COMPONENTS).join(', ')}, got ${kind(a.type)}`);
    if (a.bufferView !== undefined) {
      const v = viewLength[ref(`${where}.bufferView`, a.bufferView, 'bufferViews')]!;
      const offset = a.byteOffset === undefined ? 0 : int(`${where}.byteOffset`, a.byteOffset, 0, MAX_BYTES);
      const element = size! * comps!;
      const need = offset + (count - 1) * (v.stride ?? element) + element;
      if (need > v.len) fail(where, `${count} × ${a.type} needs ${need} bytes of its buffer view, which has ${v.len}`);
    }
    if (a.sparse !== undefined) {
      if (!isObj(a.sparse)) fail(`${where}.sparse`, `expected an object, got ${kind(a.sparse)}`);
      const sp = a.sparse as Obj;
      int(`${where}.sparse.count`, sp.count, 1, count);
      if (!isObj(sp.indices) || !isObj(sp.values)) fail(`${where}.sparse`, 'expected "indices" and "values" objects');
      ref(`${where}.sparse.indices.bufferView`, (sp.indices as Obj).bufferView, 'bufferViews');
      ref(`${where}.sparse.values.bufferView`, (sp.values as Obj).bufferView, 'bufferViews');
    }
  });
}

function checkImages({ fail, arr, opt }: Check): void {
  arr.images.forEach((im, i) => {
    if (im.uri !== undefined && typeof im.uri !== 'string') fail(`images[${i}].uri`, `expected text, got ${kind(im.uri)}`);
    if (im.uri === undefined && im.bufferView === undefined) fail(`images[${i}]`, 'has neither a "uri" nor a "bufferView"');
    opt(im, 'bufferView', `images[${i}]`, 'bufferViews');
  });
}

/** Textures: an image each (its own source or an extension's), and references. */
function checkTextures({ fail, arr, opt }: Check): void {
  arr.textures.forEach((t, i) => {
    const ext = isObj(t.extensions) ? (t.extensions as Obj) : {};
    const sources = [t.source, ...TEXTURE_SOURCES.map((e) => (isObj(ext[e]) ? (ext[e] as Obj).source : undefined))].filter((s) => s !== undefined);
    if (sources.length === 0) fail(`textures[${i}]`, 'has no image (no "source")');
    opt(t, 'source', `textures[${i}]`, 'images');
    for (const e of TEXTURE_SOURCES) if (isObj(ext[e])) opt(ext[e] as Obj, 'source', `textures[${i}].extensions.${e}`, 'images');
    opt(t, 'sampler', `textures[${i}]`, 'samplers');
  });
}

/** Materials: their texture references. */
function checkMaterials({ fail, arr, int, ref }: Check): void {
  arr.materials.forEach((m, i) => {
    const texRef = (o: unknown, where: string) => {
      if (o === undefined) return;
      if (!isObj(o)) fail(where, `expected an object, got ${kind(o)}`);
      ref(`${where}.index`, (o as Obj).index, 'textures');
      if ((o as Obj).texCoord !== undefined) int(`${where}.texCoord`, (o as Obj).texCoord, 0, 7);
    };
    for (const k of MATERIAL_TEXTURES) texRef(m[k], `materials[${i}].${k}`);
    if (m.pbrMetallicRoughness !== undefined) {
      if (!isObj(m.pbrMetallicRoughness)) fail(`materials[${i}].pbrMetallicRoughness`, `expected an object, got ${kind(m.pbrMetallicRoughness)}`);
      for (const k of PBR_TEXTURES) texRef((m.pbrMetallicRoughness as Obj)[k], `materials[${i}].pbrMetallicRoughness.${k}`);
    }
  });
}

/** Meshes: primitives (within the limits, per mesh and in all) with their references. */
function checkMeshes({ fail, arr, int, ref, opt, limits: l }: Check): void {
  arr.meshes.forEach((m, i) => {
    const prims = m.primitives;
    if (!Array.isArray(prims) || prims.length === 0) fail(`meshes[${i}].primitives`, `expected a non-empty array, got ${kind(prims)}`);
    if ((prims as unknown[]).length > l.maxElements)
      fail(`meshes[${i}].primitives`, `${(prims as unknown[]).length} entries, over the limit of ${l.maxElements}`, 'LIMIT');
    (prims as unknown[]).forEach((p, k) => {
      const where = `meshes[${i}].primitives[${k}]`;
      if (!isObj(p)) fail(where, `expected an object, got ${kind(p)}`);
      const pr = p as Obj;
      if (!isObj(pr.attributes)) fail(`${where}.attributes`, `expected an object, got ${kind(pr.attributes)}`);
      for (const [name, a] of Object.entries(pr.attributes as Obj)) ref(`${where}.attributes.${name}`, a, 'accessors');
      opt(pr, 'indices', where, 'accessors');
      opt(pr, 'material', where, 'materials');
      if (pr.mode !== undefined) int(`${where}.mode`, pr.mode, 0, 6);
      if (pr.targets !== undefined && !Array.isArray(pr.targets)) fail(`${where}.targets`, `expected an array, got ${kind(pr.targets)}`);
    });
  });

  const primitives = arr.meshes.reduce((n, m) => n + (m.primitives as unknown[]).length, 0);
  if (primitives > l.maxPrimitives) fail('"meshes"', `${primitives} primitives (mesh parts) in all, over the limit of ${l.maxPrimitives}`, 'LIMIT');
}

/** Nodes: references, one parent each, no cycles, bounded depth (walked without recursion). Returns each node's parent (−1: a root). */
function checkNodes({ fail, arr, ref, opt, limits: l }: Check): Int32Array {
  const nodes = arr.nodes;
  const parent = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((n, i) => {
    opt(n, 'mesh', `nodes[${i}]`, 'meshes');
    opt(n, 'camera', `nodes[${i}]`, 'cameras');
    opt(n, 'skin', `nodes[${i}]`, 'skins');
    if (n.children === undefined) return;
    if (!Array.isArray(n.children)) fail(`nodes[${i}].children`, `expected an array, got ${kind(n.children)}`);
    (n.children as unknown[]).forEach((c, k) => {
      const child = ref(`nodes[${i}].children[${k}]`, c, 'nodes');
      if (child === i) fail(`nodes[${i}].children[${k}]`, 'a node cannot be its own child');
      if (parent[child] !== -1) fail(`nodes[${child}]`, `has two parents (nodes[${parent[child]}] and nodes[${i}])`);
      parent[child] = i;
    });
  });
  const depth = new Int32Array(nodes.length);
  const queue: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (parent[i] === -1) (depth[i] = 1), queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    if (depth[i]! > l.maxNodeDepth) fail(`nodes[${i}]`, `is ${depth[i]} levels deep in the node hierarchy, over the limit of ${l.maxNodeDepth}`, 'LIMIT');
    for (const c of (nodes[i]!.children as number[] | undefined) ?? []) {
      depth[c] = depth[i]! + 1;
      queue.push(c);
    }
  }
  if (queue.length < nodes.length) {
    const first = depth.findIndex((d) => d === 0);
    fail(`nodes[${first}]`, 'is part of a cycle of children (a node that is its own ancestor)');
  }
  return parent;
}

/** Scenes: lists of root nodes. */
function checkScenes({ fail, arr, ref }: Check, parent: Int32Array): void {
  arr.scenes.forEach((s, i) => {
    if (s.nodes === undefined) return;
    if (!Array.isArray(s.nodes)) fail(`scenes[${i}].nodes`, `expected an array, got ${kind(s.nodes)}`);
    (s.nodes as unknown[]).forEach((n, k) => {
      const node = ref(`scenes[${i}].nodes[${k}]`, n, 'nodes');
      if (parent[node] !== -1) fail(`scenes[${i}].nodes[${k}]`, `nodes[${node}] is not a root node (its parent is nodes[${parent[node]}])`);
    });
  });
}

function checkSkins({ fail, arr, ref, opt }: Check): void {
  arr.skins.forEach((s, i) => {
    if (!Array.isArray(s.joints)) fail(`skins[${i}].joints`, `expected an array, got ${kind(s.joints)}`);
    (s.joints as unknown[]).forEach((j, k) => ref(`skins[${i}].joints[${k}]`, j, 'nodes'));
    opt(s, 'inverseBindMatrices', `skins[${i}]`, 'accessors');
  });
}
