/** `xoay model <input> -o <out>`: parses options and calls the model pipeline. */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { GEOMETRY_MODES } from '../../pipeline/model/geometry.js';
import { MODEL_DEFAULTS, type ModelEvent, type ModelFidelity } from '../../pipeline/model/model.js';
import { modelWithFidelity } from '../../pipeline/render/fidelity.js';
import { ISOLATE_DEFAULTS, modelIsolated } from '../../pipeline/model/isolate.js';
import { int, num } from '../parse.js';
import { TEXTURE_MODES } from '../../pipeline/model/textures.js';
import { BUDGET_NAMES } from '../../pipeline/model/budget.js';
import { KTX2_ENCODER_CHOICES } from '../../pipeline/model/basisu.js';
import { MERGE_WHEN } from '../../pipeline/model/merge.js';
import { runCommand } from '../run.js';

export function registerModel(program: Command): void {
  program
    .command('model')
    .description('compress and validate a 3D model (.glb, .gltf or .obj with its files) for product pages')
    .argument('<input>', '.glb, .gltf with its .bin and textures, or .obj with its .mtl and textures (only files inside its folder are read)')
    .requiredOption('-o, --output <dir>', 'output folder: model.glb and model.json (written atomically)')
    .addOption(new Option('--geometry <mode>', 'geometry compression').choices([...GEOMETRY_MODES]).default(MODEL_DEFAULTS.geometry))
    .addOption(new Option('--textures <format>', 'texture format').choices([...TEXTURE_MODES]).default(MODEL_DEFAULTS.textures))
    .addOption(
      new Option('--ktx2-encoder <which>', 'KTX2 encoder: native basisu when installed, else the in-process WASM')
        .choices([...KTX2_ENCODER_CHOICES])
        .default(MODEL_DEFAULTS.ktx2Encoder),
    )
    .option('--max-texture-size <px>', 'largest texture side', int('--max-texture-size', 1, 16384), MODEL_DEFAULTS.maxTextureSize)
    .addOption(
      new Option('--budget <name>', 'Khronos 3D Commerce budget to meet (exit code 3 when a limit is not met; the model is still written)')
        .choices([...BUDGET_NAMES])
        .default(MODEL_DEFAULTS.budget),
    )
    .option('--triangles <n>', "triangle target (default: the budget's)", int('--triangles', 1))
    .option('--max-error <fraction>', 'largest simplification error, as a fraction of the mesh size', num('--max-error', 0, 1), MODEL_DEFAULTS.maxError)
    .option('--lods <n>', 'also write n coarser levels of detail (model.lod1.glb …), each half the triangles', int('--lods', 0, 6), 0)
    .addOption(
      new Option(
        '--merge [when]',
        "join meshes and merge identical materials to cut draw calls: 'auto' only as far as the budget's draw-call limit needs (folded names are kept in the GLB's extras), 'always' (also a palette), 'never' (every name kept)",
      )
        .choices([...MERGE_WHEN])
        .preset('always')
        .default(MODEL_DEFAULTS.merge),
    )
    .option(
      '--max-memory <MiB>',
      'memory cap of the worker that reads and compresses the model',
      int('--max-memory', 64, 1 << 20),
      ISOLATE_DEFAULTS.maxMemoryMb,
    )
    .option('--timeout <seconds>', 'time limit for the model (0: none)', int('--timeout', 0, 1e7), ISOLATE_DEFAULTS.timeoutSeconds)
    .option(
      '--fidelity',
      'also render source and output from 9 views in headless Chromium and compare them (SSIM; model.json gets `fidelity`); below 0.98 mean / 0.95 worst view it retries with a smaller --max-error and a higher texture quality; opt-in: it starts a browser, ≈ 10–25 s more',
      false,
    )
    .option('--force', 'replace an existing output folder', false)
    .option('--json', 'print the report as JSON on stdout', false)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (input: string, opts) =>
      runCommand('model', async () => {
        const quiet = opts.quiet || opts.json;
        const options = {
          geometry: opts.geometry,
          textures: opts.textures,
          maxTextureSize: opts.maxTextureSize,
          merge: opts.merge,
          force: opts.force,
          budget: opts.budget,
          triangles: opts.triangles ?? 0,
          maxError: opts.maxError,
          lods: opts.lods,
          ktx2Encoder: opts.ktx2Encoder,
        };
        const onEvent = (e: ModelEvent) => {
          if (!quiet) process.stderr.write(`${e.stage}…\n`);
        };
        const isolate = { maxMemoryMb: opts.maxMemory, timeoutSeconds: opts.timeout };
        const { report } = opts.fidelity
          ? await modelWithFidelity(input, opts.output, options, {
              run: (i, o, modelOptions, ev) => modelIsolated(i, o, modelOptions, { onEvent: ev, isolate }),
              onEvent,
            })
          : await modelIsolated(input, opts.output, options, { onEvent, isolate });
        if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
        else if (!opts.quiet) {
          const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
          process.stderr.write(
            [
              `model: ${kb(report.bytes.input)} → ${kb(report.bytes.output)}, ${report.after.triangles} triangles, ${report.after.drawCalls} draw calls, ${report.after.textures.length} textures (${opts.textures}), geometry ${opts.geometry}`,
              `  bytes: geometry ${kb(report.bytes.geometry)}, textures ${kb(report.bytes.textures)}, other ${kb(report.bytes.other)}${report.lods.length ? `; LODs: ${report.lods.map((l) => `${l.file} ${l.triangles} triangles ${kb(l.bytes)}`).join(', ')}` : ''}`,
              `  GPU texture memory: ${kb(report.after.textures.reduce((n, t) => n + t.gpuBytes, 0))} (as RGBA8: ${kb(report.before.textures.reduce((n, t) => n + t.gpuBytesRGBA8, 0))})`,
              `  validator: input ${report.validation.input.errors} errors / ${report.validation.input.warnings} warnings; output ${report.validation.output.errors} errors`,
              ...(report.merge.steps.length
                ? [
                    `  merged (${report.merge.steps.join(', ')}): ${report.merge.drawCalls.before} → ${report.merge.drawCalls.after} draw calls; folded names kept in the scene's extras.xoay.mergedNames`,
                  ]
                : []),
              `  budget ${report.budget.budget}: ${report.budget.ok ? 'met' : `NOT met: ${report.budget.failures.join('; ')}`}`,
              ...(report.fidelity ? [fidelityLine(report.fidelity)] : []),
              `  written: ${report.output} and ${path.join(path.dirname(report.output), 'model.json')}`,
              '',
            ].join('\n'),
          );
        }
        if (report.fidelity && !report.fidelity.pass) {
          if (opts.quiet && !opts.json) process.stderr.write(`xoay model: ${fidelityLine(report.fidelity).trim()}\n`);
          process.exitCode = 3;
        }
        if (!report.budget.ok) {
          if (opts.quiet && !opts.json) process.stderr.write(`xoay model: budget ${report.budget.budget} not met: ${report.budget.failures.join('; ')}\n`);
          process.exitCode = 3;
        }
      }),
    );
}

/** One line for the render comparison: scores, threshold, and what the backoff changed. */
function fidelityLine(f: ModelFidelity): string {
  const changes = f.backoff.map((b) =>
    Object.entries(b.changed)
      .map(([k, v]) => `${k} ${v.from} → ${v.to}`)
      .join(', '),
  );
  return `  fidelity: SSIM mean ${f.ssim.mean}, worst view ${f.ssim.worst} of ${f.views.length} (threshold ${f.threshold.mean} / ${f.threshold.worst}): ${f.pass ? 'passed' : 'NOT passed'}${changes.length ? `; backed off: ${changes.join('; then ')}` : ''}`;
}
