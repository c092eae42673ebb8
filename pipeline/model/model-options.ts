/**
 * `xoay model`'s options and their defaults, apart from the stages so that the CLI, the API's checks and the config
 * schema read them without loading the model pipeline (which runs in a worker thread: isolate.ts).
 */
import path from 'node:path';
import { assertBoolean, assertInteger, assertNumber, assertOneOf, invalid } from '../core/options.js';
import { DEFAULT_LIMIT_INPUT_PIXELS } from '../core/pixel-limit.js';
import {
  BUDGET_NAMES,
  type BudgetName,
  DEFAULT_SIMPLIFY_ERROR,
  DEFAULT_TEXTURE_QUALITY,
  GEOMETRY_MODES,
  type GeometryMode,
  KTX2_ENCODER_CHOICES,
  type Ktx2EncoderChoice,
  MERGE_WHEN,
  type MergeWhen,
  QUANTIZATION_VOLUMES,
  type QuantizationVolume,
  TEXTURE_MODES,
  type TextureMode,
} from './choices.js';
import { READ_DEFAULTS } from './source.js';

export interface ModelOptions {
  /** Geometry compression: meshopt, draco, none, or auto (meshopt unless Draco saves more than its decoder costs). */
  geometry: GeometryMode;
  /** Positions quantised on one grid per mesh (glTF Transform's default) or for the whole scene (as gltfpack; see QuantizationVolume). */
  quantizationVolume: QuantizationVolume;
  /** Texture format: auto (per texture: KTX2 where the budget's GPU memory needs it, WebP elsewhere, never larger than given), or one for all. */
  textures: TextureMode;
  /** Largest texture side. */
  maxTextureSize: number;
  /** Texture encoder quality, 1–100 (WebP/AVIF/JPEG quality; KTX2: ETC1S quality 128 at 80, 255 at 100). */
  textureQuality: number;
  /** Join meshes and merge materials: 'auto' only as far as the budget's draw-call limit needs, 'always', or 'never'. */
  merge: MergeWhen;
  /** Replace an existing output folder. */
  force: boolean;
  /** The budget to meet (Khronos 3D Commerce): mobile, desktop or none. */
  budget: BudgetName;
  /** Triangle target (0: the budget's). */
  triangles: number;
  /** Largest simplification error, as a fraction of each mesh's size. */
  maxError: number;
  /** Extra levels of detail written as model.lod1.glb … (each half the triangles of the one before). */
  lods: number;
  /** KTX2 encoder: native basisu when installed (auto), native, or wasm. */
  ktx2Encoder: Ktx2EncoderChoice;
  /** Largest data: URI accepted, in bytes. */
  maxDataUriBytes: number;
  /** Largest texture accepted, in pixels (a decompression-bomb guard); textures over 16384 px a side are refused too. */
  limitInputPixels: number;
  /** Largest model file or external buffer read, in bytes (images: READ_DEFAULTS.maxImageBytes). */
  maxFileBytes: number;
  /** Folders outside the model's own that its files may be symbolic links into (none: only the model's folder). */
  trustedRoots: string[];
}

export const MODEL_DEFAULTS: ModelOptions = {
  geometry: 'auto',
  quantizationVolume: 'mesh',
  textures: 'auto',
  maxTextureSize: 2048,
  textureQuality: DEFAULT_TEXTURE_QUALITY,
  merge: 'auto',
  force: false,
  budget: 'mobile',
  triangles: 0,
  maxError: DEFAULT_SIMPLIFY_ERROR,
  lods: 0,
  ktx2Encoder: 'auto',
  maxDataUriBytes: READ_DEFAULTS.maxDataUriBytes,
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  maxFileBytes: READ_DEFAULTS.maxFileBytes,
  trustedRoots: [],
};

const STAGE = 'model';

/** Checks every option (the API checks them before it starts the worker thread). */
export function validateModelOptions(o: ModelOptions): void {
  assertOneOf(STAGE, 'geometry', o.geometry, GEOMETRY_MODES);
  assertOneOf(STAGE, 'quantizationVolume', o.quantizationVolume, QUANTIZATION_VOLUMES);
  assertOneOf(STAGE, 'textures', o.textures, TEXTURE_MODES);
  assertInteger(STAGE, 'maxTextureSize', o.maxTextureSize, 1, 16384);
  assertInteger(STAGE, 'textureQuality', o.textureQuality, 1, 100);
  assertOneOf(STAGE, 'merge', o.merge, MERGE_WHEN);
  assertBoolean(STAGE, 'force', o.force);
  assertOneOf(STAGE, 'budget', o.budget, BUDGET_NAMES);
  assertInteger(STAGE, 'triangles', o.triangles, 0, 1e9);
  assertNumber(STAGE, 'maxError', o.maxError, 0, 1);
  assertInteger(STAGE, 'lods', o.lods, 0, 6);
  assertOneOf(STAGE, 'ktx2Encoder', o.ktx2Encoder, KTX2_ENCODER_CHOICES);
  assertInteger(STAGE, 'maxDataUriBytes', o.maxDataUriBytes, 0, Number.MAX_SAFE_INTEGER);
  assertInteger(STAGE, 'limitInputPixels', o.limitInputPixels, 1, Number.MAX_SAFE_INTEGER);
  assertInteger(STAGE, 'maxFileBytes', o.maxFileBytes, 1, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(o.trustedRoots) || o.trustedRoots.some((r) => typeof r !== 'string' || !path.isAbsolute(r)))
    throw invalid(STAGE, 'trustedRoots', 'a list of absolute folder paths', o.trustedRoots);
}
