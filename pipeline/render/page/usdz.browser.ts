/**
 * Browser half of the USDZ export (pipeline/render/usdz.ts drives it through the render page; loaded on first use, so
 * turntable renders do not load it): the GLB is loaded with three's GLTFLoader (Draco, KTX2, meshopt, as the viewer
 * loads it) and written by three's USDZExporter, the exporter model-viewer uses for Quick Look.
 *
 * - Textures: USDZ (Quick Look) reads PNG and JPEG only. WebP and PNG images are written as PNG, JPEG as JPEG (the
 *   exporter's rule); KTX2 (Basis) textures, which the loader hands over as GPU-compressed data, are drawn into a
 *   canvas first (three's WebGLTextureUtils.decompress, on a WebGL context of its own with an alpha channel).
 * - Names: each mesh prim takes its glTF mesh's name (a primitive of a mesh with several gets `_<n>`), each material
 *   its glTF material's name, made valid USD identifiers (`[A-Za-z_][A-Za-z0-9_]*`): three's exporter would call
 *   them after the node and `Material_<three id>`.
 * - What USD Preview Surface cannot carry is listed (extensions and material features that are dropped).
 *
 * The zip is not made here: the files go back to Node, which writes a stored archive with 64-byte aligned data
 * (pipeline/core/zip.ts; three's own alignment only holds for the first file).
 */
import {
  type BufferGeometry,
  type Material,
  type Mesh,
  type MeshBasicMaterial,
  type MeshPhysicalMaterial,
  MeshStandardMaterial,
  type Object3D,
  type Texture,
  Box3,
  Vector3,
  WebGLRenderer,
} from 'three';
import { USDZExporter } from 'three/examples/jsm/exporters/USDZExporter.js';
import { unzipSync } from 'three/examples/jsm/libs/fflate.module.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { decompress } from 'three/examples/jsm/utils/WebGLTextureUtils.js';
import type { UsdzPageResult, UsdzSetup } from './protocol.js';

/** Extensions whose content reaches the USDZ (decoded, or mapped onto UsdPreviewSurface). */
const CARRIED = new Set([
  'KHR_draco_mesh_compression',
  'EXT_meshopt_compression',
  'KHR_mesh_quantization',
  'KHR_texture_basisu',
  'EXT_texture_webp',
  'EXT_texture_avif',
  'KHR_texture_transform',
  'KHR_materials_emissive_strength',
  'KHR_materials_ior',
]);

/** What a glTF extension that does not reach the USDZ means, for the report. */
const DROPPED: Record<string, string> = {
  KHR_materials_unlit: 'unlit materials (USD Preview Surface is always lit)',
  KHR_materials_transmission: 'transmission (glass)',
  KHR_materials_volume: 'volume (thickness, attenuation)',
  KHR_materials_clearcoat: 'clearcoat',
  KHR_materials_sheen: 'sheen (fabric)',
  KHR_materials_specular: 'specular colour and strength',
  KHR_materials_iridescence: 'iridescence',
  KHR_materials_anisotropy: 'anisotropy',
  KHR_materials_dispersion: 'dispersion',
  KHR_materials_variants: 'material variants (only the default is written)',
  KHR_lights_punctual: 'lights',
  EXT_mesh_gpu_instancing: 'GPU instancing',
};

const loaders = new Map<string, GLTFLoader>();
let blitter: WebGLRenderer | undefined;

/** A valid USD identifier for `name` (fallback when it has no usable character). */
export function usdName(name: string | undefined, fallback: string): string {
  let n = (name ?? '').replace(/[^A-Za-z0-9_]/g, '_');
  if (!/[A-Za-z0-9]/.test(n)) n = fallback;
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function loaderFor(decoderPath: string, renderer: WebGLRenderer): GLTFLoader {
  let loader = loaders.get(decoderPath);
  if (!loader) {
    const draco = new DRACOLoader().setDecoderPath(decoderPath).setWorkerLimit(1);
    const ktx2 = new KTX2Loader().setTranscoderPath(decoderPath).setWorkerLimit(1).detectSupport(renderer);
    loader = new GLTFLoader().setDRACOLoader(draco).setKTX2Loader(ktx2).setMeshoptDecoder(MeshoptDecoder);
    loaders.set(decoderPath, loader);
  }
  return loader;
}

const TEXTURE_SLOTS = ['map', 'normalMap', 'roughnessMap', 'metalnessMap', 'aoMap', 'emissiveMap', 'alphaMap'] as const;

function isDrawable(image: unknown): boolean {
  return (
    image instanceof HTMLImageElement ||
    image instanceof HTMLCanvasElement ||
    image instanceof ImageBitmap ||
    (typeof OffscreenCanvas !== 'undefined' && image instanceof OffscreenCanvas)
  );
}

/** Replaces textures the exporter cannot draw (KTX2: compressed or raw data) by canvas copies; returns how many. */
function decodeTextures(root: Object3D, maxSize: number): number {
  blitter ??= new WebGLRenderer({ alpha: true, premultipliedAlpha: false, antialias: false });
  const done = new Map<Texture, Texture>();
  root.traverse((o) => {
    const mesh = o as Mesh;
    if (!mesh.isMesh) return;
    for (const m of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) {
      const mat = m as unknown as Record<string, Texture | null>;
      for (const slot of TEXTURE_SLOTS) {
        const t = mat[slot];
        if (!t || isDrawable(t.image)) continue;
        let copy = done.get(t);
        if (!copy) {
          copy = decompress(t, maxSize, blitter);
          copy.channel = t.channel;
          copy.offset.copy(t.offset);
          copy.repeat.copy(t.repeat);
          copy.rotation = t.rotation;
          copy.center.copy(t.center);
          copy.userData = { ...t.userData, mimeType: 'image/png' };
          done.set(t, copy);
        }
        mat[slot] = copy;
      }
    }
  });
  return done.size;
}

/** What UsdPreviewSurface (as three's exporter writes it) drops from this model. */
function dropped(json: { extensionsUsed?: string[]; animations?: unknown[]; skins?: unknown[] }, root: Object3D): string[] {
  const out = new Set<string>();
  for (const e of json.extensionsUsed ?? []) if (!CARRIED.has(e)) out.add(`${e}: ${DROPPED[e] ?? 'not supported by the USDZ export'}`);
  if (json.animations?.length) out.add(`animations (${json.animations.length}): not exported`);
  if (json.skins?.length) out.add('skins: exported in their bind pose');
  root.traverse((o) => {
    const mesh = o as Mesh;
    if (!mesh.isMesh) return;
    const g = mesh.geometry as BufferGeometry;
    if (g.morphAttributes.position?.length) out.add('morph targets: exported without them');
    if (g.getAttribute('color')) out.add('vertex colours: written as displayColor, which Quick Look ignores when a material is bound');
    for (const m of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) {
      const p = m as MeshPhysicalMaterial & MeshStandardMaterial;
      if (!p.isMeshStandardMaterial) out.add(`material "${m.name}": not a PBR material (${m.type})`);
      if (p.alphaMap) out.add('alpha textures (alphaMap): dropped');
      if (p.vertexColors) out.add('vertex colours multiplying a material: dropped');
      if (p.emissiveMap && p.emissiveIntensity > 1) out.add('emissive strength above 1 with an emissive texture: clamped');
    }
  });
  return [...out].sort();
}

/** Unlit materials (MeshBasicMaterial) become matte PBR ones with the same colour and texture: the exporter writes PBR only. */
function unlitToStandard(root: Object3D, associations: Map<unknown, unknown>): void {
  const done = new Map<Material, MeshStandardMaterial>();
  root.traverse((o) => {
    const mesh = o as Mesh;
    if (!mesh.isMesh) return;
    const swap = (m: Material): Material => {
      const b = m as MeshBasicMaterial;
      if (!b.isMeshBasicMaterial) return m;
      let s = done.get(m);
      if (!s) {
        s = new MeshStandardMaterial({ name: b.name, color: b.color, map: b.map, alphaMap: b.alphaMap, roughness: 1, metalness: 0 });
        s.transparent = b.transparent;
        s.opacity = b.opacity;
        s.alphaTest = b.alphaTest;
        s.side = b.side;
        associations.set(s, associations.get(b)); // it keeps the file's name (nameThings)
        done.set(m, s);
      }
      return s;
    };
    mesh.material = Array.isArray(mesh.material) ? mesh.material.map(swap) : swap(mesh.material);
  });
}

/**
 * Meshes without normals (the viewer shades them flat) get flat normals: USD would otherwise get zero normals. Returns
 * how many.
 */
function addNormals(root: Object3D): number {
  let n = 0;
  root.traverse((o) => {
    const mesh = o as Mesh;
    if (!mesh.isMesh || mesh.geometry.getAttribute('normal')) return;
    const flat = mesh.geometry.index ? mesh.geometry.toNonIndexed() : mesh.geometry;
    flat.computeVertexNormals();
    mesh.geometry = flat;
    n++;
  });
  return n;
}

/** Gives each mesh object its glTF mesh's name and returns the material renames (three id → glTF name). */
function nameThings(
  root: Object3D,
  associations: Map<unknown, { meshes?: number; primitives?: number; materials?: number }>,
  json: { meshes?: { name?: string; primitives: unknown[] }[]; materials?: { name?: string }[] },
): { meshes: string[]; materials: Map<number, string> } {
  const materials = new Map<number, string>();
  const usedMaterials = new Set<string>();
  root.traverse((o) => {
    const mesh = o as Mesh;
    if (!mesh.isMesh) return;
    const a = associations.get(mesh);
    if (a?.meshes !== undefined) {
      const def = json.meshes?.[a.meshes];
      const base = usdName(def?.name, `mesh_${a.meshes}`);
      mesh.name = (def?.primitives.length ?? 1) > 1 ? `${base}_${a.primitives ?? 0}` : base;
    }
    for (const m of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) {
      if (materials.has(m.id)) continue;
      const index = (associations.get(m as Material) as { materials?: number } | undefined)?.materials;
      const fromFile = index !== undefined ? json.materials?.[index]?.name : m.name;
      materials.set(m.id, unique(usdName(fromFile, `material_${index ?? materials.size}`), usedMaterials));
    }
  });
  // Every prim name unique, as three's exporter would make it but without its object ids (which differ from page to
  // page): the same GLB gives the same layer.
  const used = new Set<string>();
  const meshes: string[] = [];
  root.traverse((o) => {
    let n = o.name.replace(/[^A-Za-z0-9_]/g, '');
    if (/^[0-9]/.test(n)) n = `_${n}`;
    o.name = unique(n || ((o as { isCamera?: boolean }).isCamera ? 'Camera' : 'Object'), used);
    if ((o as Mesh).isMesh) meshes.push(o.name);
  });
  return { meshes, materials };
}

/** `name`, or `name_2`, `name_3` … the first not in `used` (added to it). */
function unique(name: string, used: Set<string>): string {
  let u = name;
  for (let k = 2; used.has(u); k++) u = `${name}_${k}`;
  used.add(u);
  return u;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function exportUsdz(renderer: WebGLRenderer, s: UsdzSetup): Promise<UsdzPageResult> {
  let gltf;
  try {
    const res = await fetch(s.modelUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = await res.arrayBuffer();
    gltf = await loaderFor(s.decoderPath, renderer).parseAsync(bytes, s.modelUrl.slice(0, s.modelUrl.lastIndexOf('/') + 1));
  } catch (e) {
    return { ok: false, kind: 'model', message: `the model could not be decoded (${e instanceof Error ? e.message : String(e)})` };
  }
  try {
    const root = gltf.scene;
    const json = gltf.parser.json as Parameters<typeof dropped>[0] & Parameters<typeof nameThings>[2];
    const associations = gltf.parser.associations as Map<unknown, { meshes?: number }>;
    unlitToStandard(root, associations);
    const { meshes, materials } = nameThings(root, associations, json);
    const decoded = decodeTextures(root, s.maxTextureSize);
    const unsupported = dropped(json, root);
    const flat = addNormals(root);
    if (flat)
      unsupported.push(
        `normals: ${flat} mesh${flat > 1 ? 'es have' : ' has'} none; written with flat normals (as the viewer shades ${flat > 1 ? 'them' : 'it'})`,
      );
    root.updateMatrixWorld(true);
    const size = new Box3().setFromObject(root, true).getSize(new Vector3());
    const zip = await new USDZExporter().parseAsync(root, { quickLookCompatible: true, maxTextureSize: s.maxTextureSize });
    const files = unzipSync(new Uint8Array(zip));
    // three names geometries and textures after its object ids, which grow from model to model in one page: numbered
    // here in order of appearance instead, so the same GLB gives the same bytes whatever was exported before it.
    const numbers = new Map<string, string>();
    const count = { Geometry: 0, Texture: 0 };
    const renumber = (text: string) =>
      text.replace(/\b(Geometry|Texture)_(\d+)/g, (_, kind: 'Geometry' | 'Texture', id: string) => {
        const key = kind + id;
        if (!numbers.has(key)) numbers.set(key, `${kind}_${count[kind]++}`);
        return numbers.get(key)!;
      });
    const out: { name: string; base64: string }[] = [];
    for (const [name, data] of Object.entries(files)) {
      let bytes = data;
      if (name.endsWith('.usda')) {
        // three calls materials Material_<id>: give them the file's names.
        const text = new TextDecoder().decode(data).replace(/(def Material "|<\/Materials\/)Material_(\d+)(?=["/>.])/g, (whole, head: string, id: string) => {
          const n = materials.get(Number(id));
          return n ? head + n : whole;
        });
        bytes = new TextEncoder().encode(renumber(text));
      }
      out.push({ name: renumber(name), base64: base64(bytes) });
    }
    return { ok: true, files: out, meshes, materials: [...materials.values()], unsupported, decodedTextures: decoded, size: [size.x, size.y, size.z] };
  } catch (e) {
    return { ok: false, kind: 'other', message: e instanceof Error ? e.message : String(e) };
  } finally {
    gltf.scene.traverse((o) => {
      const mesh = o as Mesh;
      if (!mesh.isMesh) return;
      mesh.geometry.dispose();
      for (const m of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) {
        for (const slot of TEXTURE_SLOTS) (m as unknown as Record<string, Texture | null>)[slot]?.dispose();
        m.dispose();
      }
    });
  }
}
