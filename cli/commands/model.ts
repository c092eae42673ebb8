/** `xoay model <input> -o <out>`: parses options and calls the model pipeline. */
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { GEOMETRY_MODES } from '../../pipeline/model/geometry.js';
import { model, MODEL_DEFAULTS } from '../../pipeline/model/model.js';
import { TEXTURE_MODES } from '../../pipeline/model/textures.js';
import { runCommand } from '../run.js';

export function registerModel(program: Command): void {
  program
    .command('model')
    .description('compress and validate a glTF model (.glb or .gltf with its files) for product pages')
    .argument('<input>', '.glb, or .gltf with its .bin and textures (only files inside its folder are read)')
    .requiredOption('-o, --output <dir>', 'output folder: model.glb and model.json (written atomically)')
    .addOption(new Option('--geometry <mode>', 'geometry compression').choices([...GEOMETRY_MODES]).default(MODEL_DEFAULTS.geometry))
    .addOption(new Option('--textures <format>', 'texture format').choices([...TEXTURE_MODES]).default(MODEL_DEFAULTS.textures))
    .option('--max-texture-size <px>', 'largest texture side', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 16384) throw new InvalidArgumentError(`--max-texture-size must be an integer 1–16384, got ${JSON.stringify(v)}`);
      return n;
    }, MODEL_DEFAULTS.maxTextureSize)
    .option('--merge', 'join meshes, merge materials and flatten the scene (loses names and variants)', false)
    .option('--force', 'replace an existing output folder', false)
    .option('--json', 'print the report as JSON on stdout', false)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (input: string, opts) =>
      runCommand('model', async () => {
        const quiet = opts.quiet || opts.json;
        const { report } = await model(input, opts.output, { geometry: opts.geometry, textures: opts.textures, maxTextureSize: opts.maxTextureSize, merge: opts.merge, force: opts.force }, {
          onEvent: (e) => {
            if (!quiet) process.stderr.write(`${e.stage}…\n`);
          },
        });
        if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
        else if (!opts.quiet) {
          const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
          process.stderr.write(
            [
              `model: ${kb(report.bytes.input)} → ${kb(report.bytes.output)}, ${report.after.triangles} triangles, ${report.after.drawCalls} draw calls, ${report.after.textures.length} textures (${opts.textures}), geometry ${opts.geometry}`,
              `  validator: input ${report.validation.input.errors} errors / ${report.validation.input.warnings} warnings; output ${report.validation.output.errors} errors`,
              `  written: ${report.output} and ${path.join(path.dirname(report.output), 'model.json')}`,
              '',
            ].join('\n'),
          );
        }
      }),
    );
}
