/**
 * `npm run bench:reconstruct`: time and peak memory of `xoay reconstruct` (issue 6), each run as its
 * own process under /usr/bin/time (wall time, peak RSS), per stage from its reconstruct.json:
 *   (1) the Middlebury dino (16 × 640×480) with its calibration file;
 *   (2) a synthetic 36 × 1024² shoot: the CC0 stool rendered by the product renderer (blue backdrop)
 *       with the renderer's exact cameras written as a calibration file;
 *   (3) the same shoot through the turntable model (no calibration: --fov 30 --elevation 15, the
 *       axis found from the silhouettes);
 *   (4) a two-row shoot, 2 × 36 × 1024²: the stool rendered at 10° and 40° (row-1/, row-2/), through the
 *       turntable model with a shoot.json (fov, each row's elevation, and its distance and aim height read
 *       off the renderer's camera, which frames each elevation anew).
 * `--only <text>`: only the runs whose name contains it (e.g. --only "two rows").
 * Targets: dino ≤ 30 s, 36 × 1024 ≤ 60 s (72 × 1024: 120 s, twice the views), peak RSS ≤ 2 GB. Writes bench/results/reconstruct.md.
 *
 *   npm run bench:reconstruct                 # each run once
 *   npm run bench:reconstruct -- --repeat 2   # the faster of two
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { renderTurntable } from '../pipeline/render/render.js';
import { calibrationText, renderAim, renderCamera } from '../pipeline/reconstruct/cameras.js';
import type { ReconstructReport } from '../pipeline/reconstruct/reconstruct.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, 'bench/.work/reconstruct');
const DATA = path.resolve(ROOT, process.env.XOAY_TEST_DATA ?? '../shared/data');
const { values } = parseArgs({
  options: { repeat: { type: 'string', default: '1' }, keep: { type: 'boolean', default: false }, only: { type: 'string', default: '' } },
});
const wanted = (name: string) => name.includes(values.only!);
const REPEAT = Math.max(1, Number(values.repeat));

interface Row {
  name: string;
  input: string;
  seconds: number;
  rssMB: number;
  report: ReconstructReport;
  bytes: number;
  target: number;
}

async function timed(args: string[]): Promise<{ seconds: number; rssMB: number }> {
  const { stderr } = await run('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, path.join(ROOT, 'bin/xoay.js'), ...args], { maxBuffer: 64 << 20 });
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
  if (!m) throw new Error(`no /usr/bin/time output: ${stderr.slice(-500)}`);
  return { seconds: Number(m[1]), rssMB: Number(m[2]) / 1024 };
}

async function bench(name: string, input: string, target: number, args: string[], out: string): Promise<Row> {
  let best: { seconds: number; rssMB: number } | undefined;
  for (let k = 0; k < REPEAT; k++) {
    const t = await timed(['reconstruct', ...args, '-o', out, '--force', '--json']);
    if (!best || t.seconds < best.seconds) best = t;
  }
  const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8')) as ReconstructReport;
  const model = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')) as { bytes: { output: number } };
  const row = { name, input, ...best!, report, bytes: model.bytes.output, target };
  console.error(`${name}: ${row.seconds} s, ${row.rssMB.toFixed(0)} MB, IoU min ${report.iou.min} mean ${report.iou.mean}, ${JSON.stringify(report.timings)}`);
  return row;
}

await mkdir(WORK, { recursive: true });
const rows: Row[] = [];
const loadBefore = os.loadavg()[0]!;
const dino = path.join(DATA, 'ring/dino-sparse-16');
if (!wanted('dino, calibration file')) {
  // not asked for
} else if (existsSync(dino)) {
  rows.push(await bench('dino, calibration file', '16 × 640×480', 30, [dino, '--cameras', path.join(dino, 'dinoSR_par.txt')], path.join(WORK, 'dino')));
} else console.error(`skipped the dino: ${dino} is missing`);

const shoot = path.join(WORK, 'stool-1024');
const par = path.join(WORK, 'stool_par.txt');
const STOOL = path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb');
let renderSeconds = NaN;
if (wanted('stool (synthetic), calibration file') || wanted('stool (synthetic), turntable model')) {
  if (!(values.keep && existsSync(par) && existsSync(path.join(shoot, 'frame-035.png')))) {
    // (with --keep, a shoot rendered by an earlier run is used again)
    const started = performance.now();
    const rendered = await renderTurntable(new Uint8Array(await readFile(STOOL)), shoot, { frames: 36, width: 1024, height: 1024, background: '#2040ff' });
    renderSeconds = (performance.now() - started) / 1000;
    const cams = rendered.frames.map((f, i) => renderCamera(rendered.info, i, 36, 1024, 1024, path.basename(f)));
    await writeFile(par, calibrationText(cams));
  }
  if (wanted('stool (synthetic), calibration file'))
    rows.push(await bench('stool (synthetic), calibration file', '36 × 1024²', 60, [shoot, '--cameras', par], path.join(WORK, 'stool-par')));
  if (wanted('stool (synthetic), turntable model'))
    rows.push(
      await bench('stool (synthetic), turntable model', '36 × 1024²', 60, [shoot, '--fov', '30', '--elevation', '15'], path.join(WORK, 'stool-turntable')),
    );
}

const twoRows = path.join(WORK, 'stool-2-rows');
let rowsRenderSeconds = NaN;
if (wanted('stool (synthetic), two rows')) {
  if (!(values.keep && existsSync(path.join(twoRows, 'shoot.json')))) {
    await rm(twoRows, { recursive: true, force: true });
    const started = performance.now();
    const glb = new Uint8Array(await readFile(STOOL));
    const meta = { fov: 30, rows: [] as object[] };
    for (const [r, elevationDeg] of [10, 40].entries()) {
      const rendered = await renderTurntable(glb, path.join(WORK, `stool-1024-${elevationDeg}`), {
        frames: 36,
        width: 1024,
        height: 1024,
        elevationDeg,
        background: '#2040ff',
      });
      await mkdir(path.join(twoRows, `row-${r + 1}`), { recursive: true });
      for (const f of rendered.frames) await symlink(f, path.join(twoRows, `row-${r + 1}`, path.basename(f)));
      meta.rows.push({ folder: `row-${r + 1}`, elevation: elevationDeg, ...renderAim(rendered.info) });
    }
    await writeFile(path.join(twoRows, 'shoot.json'), JSON.stringify(meta, null, 2));
    rowsRenderSeconds = (performance.now() - started) / 1000;
  }
  rows.push(
    await bench('stool (synthetic), two rows (10°, 40°), turntable model + shoot.json', '2 × 36 × 1024²', 120, [twoRows], path.join(WORK, 'stool-2-rows-out')),
  );
}

const loadAfter = os.loadavg()[0]!;
const stages = ['cameras', 'silhouettes', 'carve', 'surface', 'iou', 'texture', 'glb', 'model'];
const pass = (ok: boolean) => (ok ? 'yes' : '**no**');
const lines = [
  '# Reconstruction benchmark (issue 6)',
  '',
  `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}. Each run is one \`xoay reconstruct\` process under \`/usr/bin/time -f "%e %M"\`` +
    `${REPEAT > 1 ? ` (the faster of ${REPEAT})` : ''}; stage times from its reconstruct.json (the rest of the wall time is process start and module loading). ` +
    `Load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after: the machine is shared, so times are upper bounds. ` +
    `Defaults: 256 voxels along the longest side, 50k triangles, 1024² texture atlas, meshopt + KTX2.`,
  '',
  '| run | views | wall s | peak RSS MB | ' + stages.join(' | ') + ' | IoU min / mean | triangles | model.glb KiB | time target | RSS ≤ 2 GB |',
  '|' + ' --- |'.repeat(9 + stages.length),
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.input} | ${r.seconds.toFixed(1)} | ${r.rssMB.toFixed(0)} | ${stages.map((s) => (r.report.timings[s] ?? 0).toFixed(1)).join(' | ')} | ${r.report.iou.min.toFixed(3)} / ${r.report.iou.mean.toFixed(3)} | ${r.report.triangles.final} | ${(r.bytes / 1024).toFixed(0)} | ≤ ${r.target} s: ${pass(r.seconds <= r.target)} | ${pass(r.rssMB <= 2048)} |`,
  ),
  '',
  `The synthetic shoots are rendered first (not timed above${Number.isNaN(renderSeconds) ? '' : `: ${renderSeconds.toFixed(1)} s for 36 × 1024² in headless Chromium on SwiftShader`}${Number.isNaN(rowsRenderSeconds) ? '' : `${Number.isNaN(renderSeconds) ? ':' : ','} ${rowsRenderSeconds.toFixed(1)} s for the two rows`}). ` +
    'IoU is the silhouette IoU of the re-projected final mesh in the views it was carved from (held-out views: test/pipeline/reconstruct/reconstruct.test.ts and rows.test.ts).',
  '',
];
// A partial run (--only) is printed, not written over the full results.
if (!values.only) await writeFile(path.join(ROOT, 'bench/results/reconstruct.md'), lines.join('\n'));
console.log(lines.join('\n'));
if (!values.keep) await rm(WORK, { recursive: true, force: true });
