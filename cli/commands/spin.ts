/** `xoay spin <input> -o <out>`: parses options and calls the spin pipeline. */
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { parseAspect } from '../../pipeline/spin/crop.js';
import { SPIN_FORMATS, type SpinFormat } from '../../pipeline/spin/encode.js';
import { spin, SPIN_DEFAULTS } from '../../pipeline/spin/spin.js';
import { createProgress } from '../progress.js';
import { runCommand } from '../run.js';
import { formatList, int, percent, widthList } from '../parse.js';

export function registerSpin(program: Command): void {
  program
    .command('spin')
    .description('turn a turntable shoot (a folder of frames, or one sub-folder per row) into an optimised 360° spin')
    .argument('<input>', 'folder of frames (JPEG, PNG, TIFF, WebP, AVIF), or of row sub-folders')
    .requiredOption('-o, --output <dir>', 'output folder (written atomically)')
    .option('--rows <n>', 'split one folder of N×M frames (in order) into N rows', int('--rows', 1))
    .option('--reverse', 'reverse the frame order (clockwise shoots)', false)
    .option('--no-recentre', 'do not remove the orbit of an off-axis object')
    .option('--no-exposure', 'do not match exposure and white balance between frames')
    .option('--margin <percent>', 'margin around the object, % of its size', percent('--margin'))
    .option('--aspect <w:h|keep>', 'output aspect ratio', '1:1')
    .addOption(
      new Option('--background <mode>', 'backdrop: white (pure #FFFFFF), transparent, keep').choices(['white', 'transparent', 'keep']).default('white'),
    )
    .addOption(new Option('--shadow <mode>', 'contact shadow: keep (soft grey) or remove').choices(['keep', 'remove']).default('keep'))
    .addOption(
      new Option(
        '--segment <how>',
        "how the object is told from the backdrop: plate (a clean plate from the turn itself: shadows, cloth, glossy floors), border (a backdrop model fitted to each frame's border, shadows kept), or auto: plate where a row's backdrop stands still over at least 8 frames, else border",
      )
        .choices(['auto', 'border', 'plate'])
        .default('auto'),
    )
    .option(
      '--clean-plate <image>',
      'a shot of the empty turntable (same camera, framing and size): the backdrop where the object always covers it (implies --segment plate)',
    )
    .option('--masks <dir>', 'one mask (white = object) or backlit-silhouette frame per frame, in frame order: used as the masks (implies --segment plate)')
    .option('--debug-masks', 'also write masks/: one 8-bit PNG per frame (255 = object, full frame size) and the plate', false)
    .option('--widths <list>', 'width ladder, comma-separated', SPIN_DEFAULTS.widths.join(','))
    .option('--formats <list>', `formats, comma-separated (${SPIN_FORMATS.join(', ')})`, SPIN_DEFAULTS.formats.join(','))
    .option(
      '--limit-input-pixels <n>',
      'refuse inputs with more pixels than this (decompression-bomb guard)',
      int('--limit-input-pixels', 1),
      SPIN_DEFAULTS.limitInputPixels,
    )
    .option('--concurrency <n>', 'frames processed in parallel', int('--concurrency', 1), os.availableParallelism())
    .option('--force', 'replace an existing output folder', false)
    .option('--json', 'print the summary as JSON on stdout (nothing else goes to stdout)', false)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (input: string, opts) =>
      runCommand('spin', async () => {
        const widths = widthList(opts.widths);
        const formats = formatList(opts.formats, SPIN_FORMATS);
        const progress = createProgress({ quiet: opts.quiet || opts.json });
        const result = await spin(
          input,
          opts.output,
          {
            rows: opts.rows ?? 0,
            reverse: opts.reverse,
            recentre: opts.recentre,
            exposure: opts.exposure,
            margin: opts.margin,
            aspect: parseAspect(opts.aspect),
            background: opts.background,
            shadowRemove: opts.shadow === 'remove',
            widths,
            formats: formats as SpinFormat[],
            limitInputPixels: opts.limitInputPixels,
            concurrency: opts.concurrency,
            force: opts.force,
            segment: opts.segment,
            debugMasks: opts.debugMasks,
            cleanPlate: opts.cleanPlate ?? null,
            masks: opts.masks ?? null,
          },
          { onEvent: (e) => progress.onEvent(e) },
        );
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
        if (opts.json) {
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else if (!opts.quiet) {
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
