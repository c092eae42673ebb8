/**
 * The model stage's option vocabularies and the defaults the option checks need, in a module that imports nothing:
 * the CLI, the API's checks and the config schema read them without loading glTF Transform, sharp, the validator
 * or the encoders (those load in the model worker only). Each stage re-exports its own list.
 */

/** Geometry compression (geometry.ts). */
export type GeometryMode = 'auto' | 'meshopt' | 'draco' | 'none';
export const GEOMETRY_MODES: readonly GeometryMode[] = ['auto', 'meshopt', 'draco', 'none'];

/**
 * The volume positions are quantised over (geometry.ts): one per mesh (the default: glTF Transform's, finer for parts
 * smaller than the model), or one for the whole scene (as gltfpack: smaller files; glTF Transform takes it as the union
 * of the meshes' own bounds, so a model whose meshes were already quantised, each in its own unit box, gets one grid per
 * mesh all the same).
 */
export type QuantizationVolume = 'mesh' | 'scene';
export const QUANTIZATION_VOLUMES: readonly QuantizationVolume[] = ['mesh', 'scene'];

/** Texture format (textures.ts). */
export type TextureMode = 'auto' | 'ktx2' | 'webp' | 'avif' | 'jpeg' | 'keep';
export const TEXTURE_MODES: readonly TextureMode[] = ['auto', 'ktx2', 'webp', 'avif', 'jpeg', 'keep'];

/** KTX2 encoder (basisu.ts). */
export type Ktx2EncoderChoice = 'auto' | 'native' | 'wasm';
export const KTX2_ENCODER_CHOICES: readonly Ktx2EncoderChoice[] = ['auto', 'native', 'wasm'];

/** Budget (budget.ts). */
export type BudgetName = 'mobile' | 'desktop' | 'none';
export const BUDGET_NAMES: readonly BudgetName[] = ['mobile', 'desktop', 'none'];

/** When to join meshes and merge materials (merge.ts). */
export type MergeWhen = 'auto' | 'always' | 'never';
export const MERGE_WHEN: readonly MergeWhen[] = ['auto', 'always', 'never'];

/** Texture encoder quality, 1–100 (textures.ts TEXTURE_DEFAULTS.quality). */
export const DEFAULT_TEXTURE_QUALITY = 80;

/** Largest simplification error, as a fraction of each mesh's size (simplify.ts SIMPLIFY_DEFAULTS.error). */
export const DEFAULT_SIMPLIFY_ERROR = 0.001;
