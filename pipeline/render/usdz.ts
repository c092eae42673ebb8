/**
 * `usdz`: the USDZ for AR Quick Look (iPhone, iPad), made from the GLB that `xoay model` wrote. three's USDZExporter
 * (the exporter model-viewer uses) runs in the product renderer's page (render.ts, headless Chromium: the GLB is
 * decoded there with the viewer's loaders, Draco, meshopt and KTX2 included, and KTX2 textures are drawn to PNG;
 * page/usdz.browser.ts). Node writes the archive: stored, each file's data 64-byte aligned, model.usda first
 * (pipeline/core/zip.ts), as the USDZ spec requires.
 *
 * Scale: glTF is in metres and the USD layer says `metersPerUnit = 1`, so Quick Look places the product at the size of
 * the GLB (model.json's `usdz.size`). What USD Preview Surface cannot carry is listed in `usdz.unsupported`.
 *
 * `addUsdz` is what `xoay model --usdz` and `xoay build` call: it writes the USDZ beside the GLB and puts the `usdz`
 * entry into the report; a failed export is reported there (`usdz.error`) and never removes the GLB.
 *
 * Cost here (2 shared cores, SwiftShader): a browser start (≈ 3–9 s, shared with the build's renders) and ≈ 0.3–3 s a
 * model (the text USD layer grows with the vertices).
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XoayError } from '../core/errors.js';
import { assertInteger, withDefaults } from '../core/options.js';
import { storedZip } from '../core/zip.js';
import type { ModelReport, ModelUsdz } from '../model/model.js';
import type { RenderApi, UsdzPageResult } from './page/protocol.js';
import { openTurntableRenderer, type RendererOptions, type TurntableRenderer } from './render.js';

const STAGE = 'usdz';

export interface UsdzOptions {
  /** Largest texture side written (Quick Look decodes every texture in full: 2048 keeps a phone comfortable). */
  maxTextureSize: number;
  /** The longest the export of one model may take, milliseconds. */
  timeoutMs: number;
}

export const USDZ_DEFAULTS: UsdzOptions = { maxTextureSize: 2048, timeoutMs: 180_000 };

export type UsdzReport = Exclude<ModelUsdz, { error: string }>;

/** Exports `glb` as USDZ in `renderer`'s page; returns the archive and its report (`file` left for the caller). */
export async function exportUsdz(
  glb: Uint8Array,
  renderer: TurntableRenderer,
  options?: Partial<UsdzOptions>,
): Promise<{ bytes: Uint8Array; report: Omit<UsdzReport, 'file'> }> {
  const o = withDefaults(USDZ_DEFAULTS, options);
  assertInteger(STAGE, 'maxTextureSize', o.maxTextureSize, 16, 16384);
  assertInteger(STAGE, 'timeoutMs', o.timeoutMs, 1000, 3_600_000);
  const started = performance.now();
  const result: UsdzPageResult = await renderer.withModel(glb, async (page, modelUrl) => {
    const decoderPath = new URL('decoders/', modelUrl).href;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new XoayError(STAGE, 'RENDER_FAILED', `the export took longer than ${o.timeoutMs / 1000} s`)), o.timeoutMs);
    });
    try {
      return await Promise.race([
        page.evaluate(
          async (s) => {
            const api = (window as Window & { xoayRender?: RenderApi }).xoayRender!;
            api.init();
            return api.usdz(s);
          },
          { modelUrl, decoderPath, maxTextureSize: o.maxTextureSize },
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  });
  if (!result.ok) throw new XoayError(STAGE, result.kind === 'model' ? 'MODEL_INVALID' : 'RENDER_FAILED', `the USDZ could not be made: ${result.message}`);
  const files = result.files.map((f) => ({ name: f.name, data: new Uint8Array(Buffer.from(f.base64, 'base64')) }));
  // Quick Look reads the first file as the stage.
  files.sort((a, b) => Number(b.name === 'model.usda') - Number(a.name === 'model.usda'));
  const bytes = storedZip(files, 64);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    bytes,
    report: {
      bytes: bytes.length,
      seconds: Math.round(performance.now() - started) / 1000,
      meshes: result.meshes,
      materials: result.materials,
      textures: files.filter((f) => /\.(png|jpe?g)$/i.test(f.name)).length,
      decodedTextures: result.decodedTextures,
      size: result.size.map(round) as [number, number, number],
      unsupported: result.unsupported,
    },
  };
}

/** Writes a file beside its final name, then renames it into place. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes the USDZ of `glbFile` beside it (model.glb → model.usdz) and writes the `usdz` entry into the report
 * `reportFile` (model.json). Never throws for the export itself: a failure is the entry `{ error, seconds }` (and no
 * USDZ); the GLB stays as it is. A renderer may be given (a build shares one); otherwise one is opened and closed.
 */
export async function addUsdz(
  glbFile: string,
  reportFile: string,
  ctx: { renderer?: TurntableRenderer; rendererOptions?: Partial<RendererOptions>; options?: Partial<UsdzOptions> } = {},
): Promise<ModelUsdz> {
  const started = performance.now();
  const usdzFile = glbFile.replace(/\.glb$/i, '') + '.usdz';
  let entry: ModelUsdz;
  let renderer = ctx.renderer;
  try {
    renderer ??= await openTurntableRenderer(ctx.rendererOptions);
    const { bytes, report } = await exportUsdz(new Uint8Array(await readFile(glbFile)), renderer, ctx.options);
    await writeAtomic(usdzFile, bytes);
    entry = { file: path.basename(usdzFile), ...report, seconds: Math.round(performance.now() - started) / 1000 };
  } catch (e) {
    await rm(usdzFile, { force: true });
    const message = e instanceof Error ? e.message : String(e);
    entry = { error: message.startsWith(`${STAGE}:`) ? message : `${STAGE}: ${message}`, seconds: Math.round(performance.now() - started) / 1000 };
  } finally {
    if (!ctx.renderer) await renderer?.close();
  }
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as ModelReport;
  await writeAtomic(reportFile, JSON.stringify({ ...report, usdz: entry }, null, 2) + '\n');
  return entry;
}
