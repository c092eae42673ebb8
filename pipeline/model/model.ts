/**
 * `model`: read → validate → clean → simplify → textures → geometry → write → check the output (validate again,
 * decode it back with the real decoders, compare triangles and bounds) → budget verdict → report. Output goes to a
 * temporary folder renamed into place when complete; the input is never modified.
 */
import path from 'node:path';
import type { Document } from '@gltf-transform/core';
import { XoayError } from '../core/errors.js';
import type { OutputFolder } from '../core/fsout.js';
import { startRun, withOutput, type Run } from '../core/run.js';
import { configureSharp } from '../core/image.js';
import { withDefaults } from '../core/options.js';
import { length, sub } from '../core/vec3.js';
import { BUDGETS, checkBudget, type BudgetVerdict } from './budget.js';
import { simplifyTo } from './simplify.js';
import { VERSION } from '../core/version.js';
import { clean, dedupAccessors } from './clean.js';
import { merge, type MergeResult } from './merge.js';
import { createIO, SILENT } from './codecs.js';
import { cloneDocument } from '@gltf-transform/functions';
import { geometry, type GeometryChoice, type GeometryCodec, packGeometry } from './geometry.js';
import { countRealTriangles } from './degenerate.js';
import { countTriangles, inspect, type ModelStats } from './inspect.js';
import { checkImages } from './images.js';
import { openModel, readModel } from './read.js';
import { MODEL_DEFAULTS, type ModelOptions, validateModelOptions } from './model-options.js';
import { textures, type TextureChoice, type TextureMode } from './textures.js';
import { KNOWN_UNSUPPORTED, validateModel, type ValidationSummary } from './validate.js';

const STAGE = 'model';

export { MODEL_DEFAULTS, type ModelOptions, validateModelOptions } from './model-options.js';

export interface ModelReport {
  version: 1;
  generator: string;
  input: string;
  output: string;
  options: ModelOptions;
  bytes: { input: number; output: number; geometry: number; textures: number; other: number };
  /** Extra levels of detail, coarsest last. */
  lods: { file: string; triangles: number; bytes: number; maxError: number }[];
  before: ModelStats;
  after: ModelStats;
  validation: { input: ValidationSummary; output: ValidationSummary };
  /** What the merge stage joined to meet the draw-call limit (names folded away are in the GLB's scene extras). */
  merge: MergeResult;
  /** The geometry compression written and why ('auto' compares meshopt and Draco). */
  geometry: GeometryChoice;
  /** The texture formats: with 'auto', each texture's format and why (empty for a forced format). */
  textures: { mode: TextureMode; gpuBudget: number | null; choices: TextureChoice[] };
  budget: BudgetVerdict;
  timings: Record<string, number>;
  /** The render comparison of source and output (`xoay model --fidelity`, pipeline/render/fidelity.ts); absent without it. */
  fidelity?: ModelFidelity;
  /** The USDZ for AR Quick Look beside the GLB (`xoay model --usdz`, `xoay build`; pipeline/render/usdz.ts); absent without it. */
  usdz?: ModelUsdz;
}

/** model.json's `usdz`: the USDZ written beside the GLB, or why it could not be (the GLB is kept either way). */
export type ModelUsdz =
  | {
      /** File name, beside the GLB (model.usdz, or out.usdz beside out.glb). */
      file: string;
      bytes: number;
      /** Wall-clock seconds of the export (with the browser start when it started one). */
      seconds: number;
      /** Mesh and material prims of the USD layer (the glTF names, made USD identifiers). */
      meshes: string[];
      materials: string[];
      /** Texture files in the archive (PNG or JPEG), and how many of them were decoded from KTX2. */
      textures: number;
      decodedTextures: number;
      /** Bounding-box size, metres: the GLB's units, written with metersPerUnit = 1 (AR shows it at this size). */
      size: [number, number, number];
      /** What USD Preview Surface (as three's USDZExporter writes it) could not carry. */
      unsupported: string[];
    }
  | { error: string; seconds: number };

/** SSIM scores of a render comparison (R, G and B each, then averaged), rounded to 5 decimals. */
export interface FidelityScores {
  mean: number;
  worst: number;
}

/** model.json's `fidelity`: how the output renders against the source (filled in by pipeline/render/fidelity.ts). */
export interface ModelFidelity {
  /** The views compared, in order: a turn (degrees, counter-clockwise from above) and an elevation (90: from above). */
  views: { turnDeg: number; elevationDeg: number }[];
  /** Side of each rendered view, pixels. */
  size: number;
  /** The SSIM: per colour channel with scikit-image's 7×7 uniform window (pipeline/core/ssim.ts). */
  method: string;
  ssim: FidelityScores & { perView: number[] };
  threshold: FidelityScores;
  /** Mean and worst view both at or above the threshold. */
  pass: boolean;
  /** Wall-clock seconds of the renders and the comparison (the source's render overlaps the model's compression). */
  seconds: number;
  /** Each retry when the threshold was missed: what was changed and what it scored (empty when the first output passed). */
  backoff: FidelityBackoff[];
}

/** One retry of the backoff. */
export interface FidelityBackoff {
  /** The options changed for this retry, from → to. */
  changed: Partial<Record<keyof ModelOptions, { from: number; to: number }>>;
  /** Score of the output before this retry, and of the retry's. */
  before: FidelityScores;
  after: FidelityScores;
  pass: boolean;
  /** Output bytes before and after. */
  bytes: { before: number; after: number };
}

export type ModelEvent = { type: 'stage'; stage: string };

/** A GLB's bytes by kind: texture images, the JSON chunk and headers (other), the rest (geometry). */
function byteSplit(glb: Uint8Array, stats: ModelStats): { geometry: number; textures: number; other: number } {
  const jsonChunk = new DataView(glb.buffer, glb.byteOffset, glb.byteLength).getUint32(12, true);
  const textures = stats.textures.reduce((n, t) => n + t.bytes, 0);
  const other = 12 + 8 + jsonChunk + 8;
  return { geometry: Math.max(0, glb.length - textures - other), textures, other };
}

/** Relative difference of two boxes, as a fraction of the input's diagonal. */
function boundsError(a: ModelStats['bounds'], b: ModelStats['bounds']): number {
  if (!a || !b) return a === b ? 0 : Infinity;
  const diag = length(sub(a.max, a.min)) || 1;
  // The largest corner difference along any axis (Math.max is exact: the order does not matter).
  const e = Math.max(0, ...sub(a.min, b.min).map(Math.abs), ...sub(a.max, b.max).map(Math.abs));
  return e / diag;
}

export async function model(
  input: string,
  output: string,
  opts?: Partial<ModelOptions>,
  ctx: { onEvent?: (e: ModelEvent) => void; signal?: AbortSignal } = {},
): Promise<{ output: string; report: ModelReport }> {
  const o = withDefaults(MODEL_DEFAULTS, opts);
  validateModelOptions(o);
  configureSharp();
  // The signal is checked between stages (a reconstruction's model step; the CLI and the API run model() in a
  // worker, isolate.ts, which an abort terminates at once).
  const run = startRun<ModelEvent>(ctx.onEvent, ctx.signal);
  const { src, doc, before, validation } = await readInput(input, o, run);
  const target = path.resolve(output);
  return withOutput(target, { stage: STAGE, inputs: [src.file], force: o.force }, async (out) => {
    const limits = o.budget === 'none' ? null : BUDGETS[o.budget];
    run.stage('clean');
    await doc.transform(...clean());
    run.lap('clean');
    run.stage('merge');
    const merged = await merge(doc, { when: o.merge, drawCalls: limits?.drawCalls ?? 0 });
    run.lap('merge');
    run.stage('simplify');
    await doc.transform(...simplifyTo(doc, { triangles: o.triangles || limits?.triangles || 0, error: o.maxError }));
    run.lap('simplify');
    run.stage('textures');
    const choices: TextureChoice[] = [];
    const gpuBudget = limits?.gpuTextureBytes ?? Number.POSITIVE_INFINITY;
    const maxSize = Math.min(o.maxTextureSize, limits?.textureSize ?? Infinity);
    await doc.transform(
      ...textures({ mode: o.textures, maxSize, quality: o.textureQuality, ktx2Encoder: o.ktx2Encoder, gpuBudget, onChoice: (c) => choices.push(c) }),
    );
    run.lap('textures');
    // Levels of detail start from the cleaned, textured model (before its geometry is compressed).
    const lodSources = Array.from({ length: o.lods }, () => cloneDocument(doc));
    run.stage('geometry');
    await doc.transform(dedupAccessors());
    const { doc: packed, glb, choice } = await packGeometry(doc, o.geometry, o.quantizationVolume);
    run.lap('geometry');
    const io = await createIO();
    await out.write('model.glb', glb);
    const written = countTriangles(packed).triangles;
    const lods = await writeLods(lodSources, written, choice.mode, o, io, out, run);
    if (o.lods) run.lap('lods');
    const { after, validation: outputValidation } = await checkOutput(await out.file('model.glb'), glb, io, before, written, o, src.file, run);
    run.lap('check');
    const report: ModelReport = {
      version: 1,
      generator: `xoay ${VERSION}`,
      input: src.file,
      output: path.join(target, 'model.glb'),
      options: o,
      bytes: { input: await src.totalBytes(), output: glb.length, ...byteSplit(glb, after) },
      lods,
      before,
      after,
      validation: { input: validation, output: outputValidation },
      merge: merged,
      geometry: choice,
      textures: { mode: o.textures, gpuBudget: Number.isFinite(gpuBudget) ? gpuBudget : null, choices },
      budget: checkBudget(o.budget, after, glb.length, o.maxError, merged),
      timings: run.timings,
    };
    await out.write('model.json', JSON.stringify(report, null, 2) + '\n');
    return { output: target, report };
  });
}

/** Read and validate the input (glTF, GLB or OBJ) and refuse what cannot be optimised: no meshes, no real triangles. */
async function readInput(input: string, o: ModelOptions, run: Run<ModelEvent>) {
  run.stage('read');
  const src = await openModel(input, { maxDataUriBytes: o.maxDataUriBytes, maxFileBytes: o.maxFileBytes, trustedRoots: o.trustedRoots });
  run.stage('validate');
  const validation: ValidationSummary =
    src.format === 'obj' ? { errors: 0, warnings: 0, infos: 0, messages: ['OBJ input: the glTF-Validator checks the output only'] } : await validateModel(src);
  run.lap('validate');
  const doc: Document = await readModel(src);
  await checkImages(doc, src.file, { limitInputPixels: o.limitInputPixels });
  const before = inspect(doc);
  if (before.meshes === 0) throw new XoayError(STAGE, 'MODEL_INVALID', 'the model has no meshes', src.file);
  // Meshes that no node of a scene places are pruned by the clean stage: the output would be empty.
  let placed = 0;
  for (const scene of doc.getRoot().listScenes()) scene.traverse((n) => void (n.getMesh() && placed++));
  if (placed === 0)
    throw new XoayError(
      STAGE,
      'MODEL_INVALID',
      `no mesh is placed in a scene: the model's ${before.meshes} mesh${before.meshes > 1 ? 'es belong' : ' belongs'} to no node of ${doc.getRoot().listScenes().length ? 'its scenes' : 'a scene (it has none)'}`,
      src.file,
    );
  if (countRealTriangles(doc) === 0)
    throw new XoayError(STAGE, 'MODEL_INVALID', `no usable triangles: all ${before.triangles} are degenerate (zero area)`, src.file);
  run.lap('read');
  return { src, doc, before, validation };
}

/** LOD k: half the triangles of LOD k-1, within 5·2^k × --max-error; each written as model.lod<k>.glb and validated. */
async function writeLods(
  sources: Document[],
  base: number,
  codec: GeometryCodec,
  o: ModelOptions,
  io: Awaited<ReturnType<typeof createIO>>,
  out: OutputFolder,
  run: Run<ModelEvent>,
) {
  const lods: ModelReport['lods'] = [];
  for (let k = 1; k <= sources.length; k++) {
    run.stage(`lod${k}`);
    const lodDoc = sources[k - 1]!.setLogger(SILENT);
    const maxError = Math.min(1, o.maxError * 2 ** k * 5);
    await lodDoc.transform(
      ...simplifyTo(lodDoc, { triangles: Math.max(1, Math.round(base / 2 ** k)), error: maxError }),
      ...geometry(codec, o.quantizationVolume),
    );
    const bytes = await io.writeBinary(lodDoc);
    const file = `model.lod${k}.glb`;
    await out.write(file, bytes);
    await validateModel(await openModel(await out.file(file)), { ignore: KNOWN_UNSUPPORTED });
    lods.push({ file, triangles: countTriangles(await io.readBinary(bytes)).triangles, bytes: bytes.length, maxError });
  }
  return lods;
}

/** Check the output: validate it, decode it back with the real decoders, compare its triangles and bounds with the input's. */
async function checkOutput(
  glbPath: string,
  glb: Uint8Array,
  io: Awaited<ReturnType<typeof createIO>>,
  before: ModelStats,
  triangles: number,
  o: ModelOptions,
  file: string,
  run: Run<ModelEvent>,
): Promise<{ after: ModelStats; validation: ValidationSummary }> {
  run.stage('check');
  let validation: ValidationSummary;
  try {
    validation = await validateModel(await openModel(glbPath), { ignore: KNOWN_UNSUPPORTED });
  } catch (e) {
    // Named as the input's problem: the temporary output's path means nothing to the user.
    if (e instanceof XoayError)
      throw new XoayError(
        'check',
        e.code,
        `the written model does not pass its check: ${e.message.slice(e.message.indexOf(glbPath) + glbPath.length + 2)}`,
        file,
        {
          cause: e,
        },
      );
    throw e;
  }
  const after = inspect(await io.readBinary(glb));
  if (after.triangles !== triangles) {
    throw new XoayError('check', 'MODEL_INVALID', `the written model decodes to ${after.triangles} triangles, expected ${triangles}`, file);
  }
  const err = boundsError(before.bounds, after.bounds);
  if (err > Math.max(0.01, 2 * o.maxError))
    throw new XoayError('check', 'MODEL_INVALID', `the written model's bounds differ from the input's by ${(100 * err).toFixed(2)} % of its size`, file);
  return { after, validation };
}
