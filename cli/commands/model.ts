/** `xoay model <input> -o <out>`: maps its flags to the API's model() options (api/index.ts) and prints the report. */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { model } from '../../api/index.js';
import { MODEL_CHECKS } from '../../api/checks.js';
import { BUDGET_NAMES, GEOMETRY_MODES, KTX2_ENCODER_CHOICES, MERGE_WHEN, QUANTIZATION_VOLUMES, TEXTURE_MODES } from '../../pipeline/model/choices.js';
import { ISOLATE_DEFAULTS } from '../../pipeline/model/isolate.js';
import type { ModelFidelity, ModelUsdz } from '../../pipeline/model/model.js';
import { MODEL_DEFAULTS } from '../../pipeline/model/model-options.js';
import { EXIT } from '../errors.js';
import { fromCheck } from '../parse.js';
import { common, required, runCommand } from '../run.js';

const EXAMPLES = `
Examples:
  $ npx xoay model chair.glb -o site/chair/model        # a folder: model.glb and model.json
  $ npx xoay model chair.glb -o chair.web.glb           # a file: chair.web.glb and chair.web.json beside it
  $ npx xoay model scan.obj -o out/scan --textures webp --budget desktop --json
`;

export function registerModel(program: Command): void {
  const cmd = program
    .command('model')
    .description('compress and validate a 3D model (.glb, .gltf or .obj with its files) for product pages')
    .usage('<input> -o <dir|file.glb> [options]')
    .argument('[input]', '.glb, .gltf with its .bin and textures, or .obj with its .mtl and textures (only files inside its folder are read) (required)')
    .option(
      '-o, --output <dir|file.glb>',
      'output folder (model.glb and model.json), or a file ending in .glb (its report .json beside it); written atomically (required)',
    )
    .addOption(new Option('--geometry <mode>', 'geometry compression').choices([...GEOMETRY_MODES]).default(MODEL_DEFAULTS.geometry))
    .addOption(
      new Option('--quantization-volume <volume>', "positions on one grid per mesh (glTF Transform's default) or for the whole scene (as gltfpack: smaller)")
        .choices([...QUANTIZATION_VOLUMES])
        .default(MODEL_DEFAULTS.quantizationVolume),
    )
    .addOption(new Option('--textures <format>', 'texture format').choices([...TEXTURE_MODES]).default(MODEL_DEFAULTS.textures))
    .addOption(
      new Option('--ktx2-encoder <which>', 'KTX2 encoder: native basisu when installed, else the in-process WASM')
        .choices([...KTX2_ENCODER_CHOICES])
        .default(MODEL_DEFAULTS.ktx2Encoder),
    )
    .option('--max-texture-size <px>', 'largest texture side', fromCheck('--max-texture-size', MODEL_CHECKS.maxTextureSize), MODEL_DEFAULTS.maxTextureSize)
    .addOption(
      new Option('--budget <name>', 'Khronos 3D Commerce budget to meet (exit code 3 when a limit is not met; the model is still written)')
        .choices([...BUDGET_NAMES])
        .default(MODEL_DEFAULTS.budget),
    )
    .option('--triangles <n>', "triangle target (default: the budget's)", fromCheck('--triangles', MODEL_CHECKS.triangles))
    .option(
      '--max-error <fraction>',
      'largest simplification error, as a fraction of the mesh size',
      fromCheck('--max-error', MODEL_CHECKS.maxError),
      MODEL_DEFAULTS.maxError,
    )
    .option(
      '--lods <n>',
      'also write n coarser levels of detail (model.lod1.glb …), each half the triangles',
      fromCheck('--lods', MODEL_CHECKS.lods),
      MODEL_DEFAULTS.lods,
    )
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
      fromCheck('--max-memory', MODEL_CHECKS.maxMemory),
      ISOLATE_DEFAULTS.maxMemoryMb,
    )
    .option('--timeout <seconds>', 'time limit for the model (0: none)', fromCheck('--timeout', MODEL_CHECKS.timeout), ISOLATE_DEFAULTS.timeoutSeconds)
    .option(
      '--fidelity',
      'also render source and output from 9 views in headless Chromium and compare them (SSIM; the report gets `fidelity`); below 0.98 mean / 0.95 worst view it retries with a smaller --max-error and a higher texture quality (exit code 3 if it still misses); opt-in: it starts a browser, ≈ 10–25 s more',
      false,
    )
    .option(
      '--usdz',
      "also write model.usdz (AR Quick Look on iPhone and iPad) beside model.glb with three's USDZExporter in headless Chromium: textures as PNG/JPEG, metres; the report gets `usdz` (size, what USDZ could not carry, or the error: the GLB is kept); opt-in: it starts a browser, ≈ 5–15 s more",
    )
    .option('--no-usdz', 'do not write the USDZ (overrides a config file)')
    .option('--force', 'replace an existing output', false);
  common(cmd, { json: 'print the report (model.json) as one JSON document on stdout (errors too: {"error":{…}})' })
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, flags) =>
      runCommand(cmd, async (o, ctx) => {
        required('the model file (xoay model <input> -o <dir|file.glb>)', input);
        required('-o, --output <dir|file.glb> (the output folder or .glb file)', flags.output);
        const { output, report } = await model(input!, flags.output, {
          ...o,
          onProgress: (e) => {
            if (!ctx.quiet) process.stderr.write(`${e.stage}…\n`);
          },
        });
        const reportFile = /\.glb$/i.test(output) ? output.replace(/\.glb$/i, '.json') : path.join(output, 'model.json');
        if (ctx.json) process.stdout.write(JSON.stringify(report) + '\n');
        else if (!ctx.quiet) {
          const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
          process.stderr.write(
            [
              `model: ${kb(report.bytes.input)} → ${kb(report.bytes.output)}, ${report.after.triangles} triangles, ${report.after.drawCalls} draw calls, ${report.after.textures.length} textures (${report.options.textures}), geometry ${report.options.geometry}`,
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
              ...(report.usdz ? [usdzLine(report.usdz)] : []),
              `  written: ${report.output} and ${reportFile}`,
              '',
            ].join('\n'),
          );
        }
        if (report.fidelity && !report.fidelity.pass) {
          if (flags.quiet && !ctx.json) process.stderr.write(`xoay model: ${fidelityLine(report.fidelity).trim()}\n`);
          process.exitCode = EXIT.budget;
        }
        if (!report.budget.ok) {
          if (flags.quiet && !ctx.json) process.stderr.write(`xoay model: budget ${report.budget.budget} not met: ${report.budget.failures.join('; ')}\n`);
          process.exitCode = EXIT.budget;
        }
      }),
    );
}

/** One line for the USDZ: its size and time, what it could not carry, or why it is missing. */
function usdzLine(u: ModelUsdz): string {
  if ('error' in u) return `  usdz: NOT written (${u.error}); model.glb is complete`;
  const dropped = u.unsupported.length ? `; not carried: ${u.unsupported.join('; ')}` : '';
  return `  usdz: ${u.file} ${(u.bytes / 1024).toFixed(0)} KiB in ${u.seconds} s, ${u.size.map((v) => v.toFixed(3)).join(' × ')} m${dropped}`;
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
