/** `xoay spin <input> -o <out>`: maps its flags to the API's spin() options (api/index.ts) and prints the summary. */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { spin } from '../../api/index.js';
import { SPIN_CHECKS } from '../../api/checks.js';
import { SPIN_FORMATS } from '../../pipeline/spin/choices.js';
import { SPIN_DEFAULTS } from '../../pipeline/spin/spin.js';
import { createProgress } from '../progress.js';
import { common, required, runCommand } from '../run.js';
import { choicesOf, formatList, fromCheck, widthList } from '../parse.js';

const EXAMPLES = `
Examples:
  $ npx xoay spin shoots/stool -o site/stool/spin
  $ npx xoay spin shoots/vase -o out/vase --shadow remove --widths 512,1024 --formats avif,jpeg
  $ npx xoay spin shoots/two-rows --rows 2 -o out/rows --json > summary.json
`;

export function registerSpin(program: Command): void {
  const cmd = program
    .command('spin')
    .description('turn a turntable shoot (a folder of frames, or one sub-folder per row) into an optimised 360° spin')
    .usage('<input> -o <dir> [options]')
    .argument('[input]', 'folder of frames (JPEG, PNG, TIFF, WebP, AVIF), or of row sub-folders (required)')
    .option('-o, --output <dir>', 'output folder, written atomically (required)')
    .option(
      '--rows <n>',
      'split one folder of N×M frames (in order) into N rows (default: 0, one row, or one sub-folder per row)',
      fromCheck('--rows', SPIN_CHECKS.rows),
    )
    .option('--reverse', 'reverse the frame order (clockwise shoots)', false)
    .option('--no-recentre', 'do not remove the orbit of an off-axis object')
    .option('--no-exposure', 'do not match exposure and white balance between frames')
    .option('--margin <percent>', 'margin around the object, % of its size', fromCheck('--margin', SPIN_CHECKS.margin), SPIN_DEFAULTS.margin * 100)
    .option('--aspect <w:h|keep>', 'output aspect ratio', `${SPIN_DEFAULTS.aspect}:1`)
    .addOption(
      new Option('--background <mode>', 'backdrop: white (pure #FFFFFF), transparent, keep')
        .choices(choicesOf(SPIN_CHECKS.background))
        .default(SPIN_DEFAULTS.background),
    )
    .addOption(
      new Option('--shadow <mode>', 'contact shadow: keep (soft grey) or remove')
        .choices(choicesOf(SPIN_CHECKS.shadow))
        .default(SPIN_DEFAULTS.shadowRemove ? 'remove' : 'keep'),
    )
    .addOption(
      new Option(
        '--segment <how>',
        "how the object is told from the backdrop: plate (a clean plate from the turn itself: shadows, cloth, glossy floors), border (a backdrop model fitted to each frame's border, shadows kept), or auto: plate where a row's backdrop stands still over at least 8 frames, else border",
      )
        .choices(choicesOf(SPIN_CHECKS.segment))
        .default(SPIN_DEFAULTS.segment),
    )
    .option(
      '--clean-plate <image>',
      'a shot of the empty turntable (same camera, framing and size): the backdrop where the object always covers it (implies --segment plate)',
    )
    .option('--masks <dir>', 'one mask (white = object) or backlit-silhouette frame per frame, in frame order: used as the masks (implies --segment plate)')
    .option('--debug-masks', 'also write masks/: one 8-bit PNG per frame (255 = object, full frame size) and the plate', false)
    .addOption(
      new Option('--widths <list>', 'width ladder, comma-separated')
        .argParser((v) => widthList(v))
        .default(SPIN_DEFAULTS.widths, SPIN_DEFAULTS.widths.join(',')),
    )
    .addOption(
      new Option('--formats <list>', `formats, comma-separated (${SPIN_FORMATS.join(', ')})`)
        .argParser((v) => formatList(v, SPIN_FORMATS))
        .default(SPIN_DEFAULTS.formats, SPIN_DEFAULTS.formats.join(',')),
    )
    .option(
      '--limit-input-pixels <n>',
      'refuse inputs with more pixels than this (decompression-bomb guard)',
      fromCheck('--limit-input-pixels', SPIN_CHECKS.limitInputPixels),
      SPIN_DEFAULTS.limitInputPixels,
    )
    .option('--concurrency <n>', 'frames processed in parallel', fromCheck('--concurrency', SPIN_CHECKS.concurrency), SPIN_DEFAULTS.concurrency)
    .option('--force', 'replace an existing output folder', false);
  common(cmd, { json: 'print the summary as one JSON document on stdout (errors too: {"error":{…}}); nothing else goes to stdout' })
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, flags) =>
      runCommand(cmd, async (o, ctx) => {
        required('the input folder (xoay spin <input> -o <dir>)', input);
        required('-o, --output <dir> (the output folder)', flags.output);
        const progress = createProgress({ quiet: ctx.quiet });
        const result = await spin(input!, flags.output, { ...o, onProgress: (e) => progress.onEvent(e) });
        progress.done();
        const { qa, manifest } = result;
        const summary = {
          output: result.output,
          manifest: path.join(result.output, 'spin.json'),
          qaPage: path.join(result.output, 'qa.html'),
          frames: qa.frames,
          rows: manifest.rows.length,
          size: [manifest.width, manifest.height],
          widths: manifest.widths,
          formats: manifest.formats,
          orbit: qa.orbit,
          jitter: qa.jitter,
          flicker: qa.flicker,
          purity: qa.purity,
          firstInteractionBytes: qa.firstInteractionBytes,
          warnings: qa.warnings,
          seconds: Object.values(qa.timings).reduce((s, t) => s + t, 0),
        };
        if (ctx.json) {
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else if (!ctx.quiet) {
          const num = (v: number | null) => (v !== null && Number.isFinite(v) ? `${v.toFixed(2)} %` : 'n/a');
          const pct = (m: { before: number | null; after: number | null }) => `${num(m.before)} → ${num(m.after)}`;
          process.stderr.write(
            [
              `spin: ${qa.frames} frames (${manifest.rows.length} row${manifest.rows.length > 1 ? 's' : ''}) → ${manifest.width}×${manifest.height}, widths ${manifest.widths.join('/')}, ${manifest.formats.join('/')} in ${summary.seconds.toFixed(1)} s`,
              `  orbit ${pct(qa.orbit)} of width, jitter ${pct(qa.jitter)}, flicker ${pct(qa.flicker)}, background purity ${pct(qa.purity)}`,
              `  first interaction: ${(qa.firstInteractionBytes / 1024).toFixed(0)} KiB (poster + sprite)`,
              `  manifest: ${summary.manifest}`,
              `  look at it: open ${summary.qaPage} in a browser`,
              '',
            ].join('\n'),
          );
        }
      }),
    );
}
