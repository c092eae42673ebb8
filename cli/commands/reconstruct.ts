/** `xoay reconstruct <shoot> -o <out>`: parses options and calls the reconstruction pipeline. */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { TEXTURE_MODES } from '../../pipeline/model/choices.js';
import { DEFAULT_ELEVATION } from '../../pipeline/reconstruct/cameras.js';
import { RECONSTRUCT_DEFAULTS } from '../../pipeline/reconstruct/reconstruct.js';
import { reconstruct } from '../../api/index.js';
import { RECONSTRUCT_CHECKS as C } from '../../api/checks.js';
import { common, required, runCommand } from '../run.js';
import { choicesOf, fromCheck, perRowFromCheck } from '../parse.js';

const EXAMPLES = `
Examples:
  $ npx xoay reconstruct shoots/stool -o out/stool-3d
  $ npx xoay reconstruct shoots/vase -o out/vase-3d --elevation 20 --fov 40 --distance 0.6
  $ npx xoay reconstruct shoots/two-rows -o out/3d --elevation 10,40 --preview --json   # --preview needs Chromium (XOAY_CHROMIUM)
`;

export function registerReconstruct(program: Command): void {
  const cmd = program
    .command('reconstruct')
    .description('turn a turntable shoot (a folder of frames on a plain backdrop, or of row sub-folders) into a textured, compressed 3D model')
    .usage('<shoot> -o <dir> [options]')
    .argument(
      '[shoot]',
      'folder of frames (one turn, equal steps; or one sub-folder per row) or of the images a calibration file names; an optional shoot.json in it gives elevations, fov, distance (required)',
    )
    .option('-o, --output <dir>', 'output folder (written atomically): model.glb, model.json, reconstruct.json (required)')
    .option('--cameras <file>', 'calibration file (Middlebury *_par.txt: per image K R t); default: the turntable model')
    .option('--reverse', 'the turntable turns clockwise seen from above', false)
    .option(
      '--elevation <deg>',
      `camera elevation above the turntable, degrees; one per row for several rows (10,40) (default: shoot.json, else ${DEFAULT_ELEVATION})`,
      perRowFromCheck('--elevation', C.elevation),
    )
    .option('--fov <deg>', 'horizontal field of view, degrees (default: shoot.json, else the 35 mm focal length from EXIF)', fromCheck('--fov', C.fov))
    .option(
      '--distance <m>',
      'camera distance from the point on the turntable axis it looks at, metres (sets the model scale); one for all rows or one per row (default: shoot.json)',
      perRowFromCheck('--distance', C.distance),
    )
    .option('--resolution <n>', 'voxels along the longest side', fromCheck('--resolution', C.resolution), RECONSTRUCT_DEFAULTS.resolution)
    .option(
      '--tolerance <n>',
      'views a voxel may fall outside of and be kept (imperfect masks)',
      fromCheck('--tolerance', C.tolerance),
      RECONSTRUCT_DEFAULTS.tolerance,
    )
    .option('--triangles <n>', 'triangle target', fromCheck('--triangles', C.triangles), RECONSTRUCT_DEFAULTS.triangles)
    .option('--size <px>', 'working resolution of the silhouettes (longest side)', fromCheck('--size', C.size), RECONSTRUCT_DEFAULTS.size)
    .option('--texture-size <px>', 'texture atlas size (square)', fromCheck('--texture-size', C.textureSize), RECONSTRUCT_DEFAULTS.textureSize)
    .addOption(new Option('--textures <mode>', 'texture format of model.glb').choices([...TEXTURE_MODES]).default(RECONSTRUCT_DEFAULTS.textures))
    .option(
      '--min-iou <x>',
      'the lowest silhouette IoU in any view for the result to be written (0: keep any)',
      fromCheck('--min-iou', C.minIou),
      RECONSTRUCT_DEFAULTS.minIoU,
    )
    .addOption(
      new Option(
        '--segment <how>',
        "how silhouettes are cut: auto (border, then plate when the border model finds no object, cuts most views at the frame edge or its shape misses the photos), border (a backdrop model fitted to each view's border) or plate (a clean plate from the turn itself)",
      )
        .choices(choicesOf(C.segment))
        .default(RECONSTRUCT_DEFAULTS.segment),
    )
    .option(
      '--clean-plate <image>',
      'a shot of the empty turntable (same camera, framing and size): the backdrop where the object always covers it (implies --segment plate)',
    )
    .option('--masks <dir>', 'one mask (white = object) or backlit-silhouette frame per view, in view order: used as the silhouettes')
    .option('--preview', 'also write preview.png: input views above a turntable render of the model (needs Chromium)', false)
    .option('--force', 'replace an existing output folder', false);
  common(cmd, { json: 'print the summary as one JSON document on stdout (errors too: {"error":{…}}); nothing else goes to stdout' })
    .addHelpText('after', EXAMPLES)
    .action(async (shoot: string | undefined, flags) =>
      runCommand(cmd, async (o, ctx) => {
        required('the shoot folder (xoay reconstruct <shoot> -o <dir>)', shoot);
        required('-o, --output <dir> (the output folder)', flags.output);
        const quiet = ctx.quiet;
        const started = Date.now();
        let last = started;
        let current = '';
        const result = await reconstruct(shoot!, flags.output, {
          ...o,
          onProgress: (e) => {
            if (e.type === 'warning') process.stderr.write(`warning: ${e.message}\n`);
            else if (!quiet) {
              const now = Date.now();
              if (current) process.stderr.write(`reconstruct: ${current} done in ${((now - last) / 1000).toFixed(1)} s\n`);
              process.stderr.write(`reconstruct: ${e.stage}…\n`);
              current = e.stage;
              last = now;
            }
          },
        });
        if (current && !quiet) process.stderr.write(`reconstruct: ${current} done in ${((Date.now() - last) / 1000).toFixed(1)} s\n`);
        const r = result.report;
        const summary = {
          output: result.output,
          model: path.join(result.output, 'model.glb'),
          report: path.join(result.output, 'reconstruct.json'),
          views: r.views.length,
          iou: r.iou,
          voxels: r.voxels.kept,
          triangles: r.triangles.final,
          colour: r.colour,
          bytes: result.model.bytes.output,
          units: r.units,
          warnings: r.warnings,
          seconds: (Date.now() - started) / 1000,
        };
        if (ctx.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else if (!flags.quiet) {
          process.stderr.write(
            [
              `reconstruct: ${r.views.length} views → ${r.triangles.final} triangles (${r.colour === 'texture' ? 'textured' : 'vertex colours'}), ${(summary.bytes / 1024).toFixed(0)} KiB in ${summary.seconds.toFixed(1)} s`,
              `  silhouette IoU min ${r.iou.min.toFixed(3)} mean ${r.iou.mean.toFixed(3)}`,
              `  model: ${summary.model}`,
              `  report: ${summary.report}`,
              '',
            ].join('\n'),
          );
        }
      }),
    );
}
