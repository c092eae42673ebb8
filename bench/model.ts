/**
 * `npm run bench:model`: the model benchmark (issue 3), side by side in one run on each
 * `$XOAY_TEST_DATA/models/*.glb` (default `../shared/data`, relative to the project root).
 *
 * Times, each as its own process under /usr/bin/time (wall time and peak RSS, children included):
 *   (0) `xoay model` (the defaults: `--geometry auto --textures auto`);
 *   (1) `xoay model --geometry meshopt --textures ktx2` (meshopt + KTX2);
 *   (2) `xoay model --geometry meshopt --textures webp` (meshopt + WebP: issue 3's row);
 *   (2w) `xoay model --textures webp` (WebP forced, the geometry left to its default, auto: issue 15's "with WebP");
 *   (3) `gltfpack -cc` (npm WASM build: geometry only, textures copied as they are);
 *   (4) `gltf-transform optimize --compress meshopt --texture-compress webp`.
 * Then the same default `xoay model` on the model given in other encodings (issue 15: "same result whatever the input
 * encoding"): Draco- and meshopt-compressed GLBs written by `gltf-transform draco` / `gltf-transform meshopt` (not
 * timed), and any `.gltf` + `.bin` variant in a sub-folder of the models folder (`sofa_03_gltf/sofa_03_1k.gltf` for
 * `sofa_03_1k.glb`): each output within 3 % of the plain GLB's.
 * Each output is read back with xoay's own I/O (all codecs registered) and inspected: bytes,
 * triangles, textures and estimated GPU texture memory (KTX2 as transcoded; WebP/PNG/JPEG as RGBA8,
 * all with mips). The default run's output and gltf-transform's are then rendered against their source
 * (pipeline/render/fidelity.ts: 9 views at 512 px with the source's framing, one browser for all models, ≈ 9 s to start
 * and a few seconds per model) and scored by per-channel SSIM, mean and worst view (`--skip-ssim` leaves it out).
 * Then checks the issue's targets. Writes bench/results/model.md and prints it.
 *
 *   npm run bench:model                       # each run twice, the faster one shown
 *   npm run bench:model -- --repeat 1 --keep  # a quick look, outputs kept in bench/.work/model
 *   npm run bench:model -- --scale            # only the scale rows (issue 19), into bench/results/model-scale.md
 *
 * Scale rows (also at the end of a full run): generated scenes (bench/scenes.ts) of 1,000 / 10,000 / 50,000 nodes,
 * "shared" (every node at one place, one triangle: the hostile reproducer's shape) and "distinct" (a mesh and
 * primitive per node, a material per 10 nodes, a hierarchy), each through `xoay model --textures webp` under
 * /usr/bin/time: wall time, peak RSS, and the outcome (built, or the one-line refusal).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createIO } from '../pipeline/model/codecs.js';
import { inspect } from '../pipeline/model/inspect.js';
import { openFidelity } from '../pipeline/render/fidelity.js';
import { type SceneKind, writeScene } from './scenes.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, 'bench/.work/model');
const DATA = path.resolve(ROOT, process.env.XOAY_TEST_DATA ?? '../shared/data');
const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    'skip-ssim': { type: 'boolean', default: false },
  },
});
const REPEAT = Math.max(1, Number(values.repeat));
const NODE = process.execPath;

type RunId = 'xoay-auto' | 'xoay-ktx2' | 'xoay-webp' | 'xoay-webp-auto' | 'gltfpack' | 'gltf-transform';
const RUNS: { id: RunId; label: string }[] = [
  { id: 'xoay-auto', label: '(0) xoay model (defaults: geometry and textures auto)' },
  { id: 'xoay-ktx2', label: '(1) xoay model, meshopt + KTX2' },
  { id: 'xoay-webp', label: '(2) xoay model, meshopt + WebP' },
  { id: 'xoay-webp-auto', label: '(2w) xoay model --textures webp (geometry auto)' },
  { id: 'gltfpack', label: '(3) gltfpack -cc (npm)' },
  { id: 'gltf-transform', label: '(4) gltf-transform optimize, meshopt + WebP' },
];

/** The command line of a run and the GLB it writes. */
function command(id: RunId, input: string, outDir: string): { argv: string[]; glb: string } {
  const rel = (p: string) => path.relative(ROOT, p);
  switch (id) {
    case 'xoay-auto':
      return { argv: [NODE, 'bin/xoay.js', 'model', rel(input), '-o', rel(outDir), '-q', '--force'], glb: path.join(outDir, 'model.glb') };
    case 'xoay-webp-auto':
      return {
        argv: [NODE, 'bin/xoay.js', 'model', rel(input), '-o', rel(outDir), '--textures', 'webp', '-q', '--force'],
        glb: path.join(outDir, 'model.glb'),
      };
    case 'xoay-ktx2':
    case 'xoay-webp':
      return {
        argv: [
          NODE,
          'bin/xoay.js',
          'model',
          rel(input),
          '-o',
          rel(outDir),
          '--geometry',
          'meshopt',
          '--textures',
          id === 'xoay-ktx2' ? 'ktx2' : 'webp',
          '-q',
          '--force',
        ],
        glb: path.join(outDir, 'model.glb'),
      };
    case 'gltfpack':
      return {
        argv: [NODE, 'node_modules/gltfpack/cli.js', '-i', rel(input), '-o', rel(path.join(outDir, 'out.glb')), '-cc'],
        glb: path.join(outDir, 'out.glb'),
      };
    case 'gltf-transform':
      return {
        argv: [
          NODE,
          'node_modules/@gltf-transform/cli/bin/cli.js',
          'optimize',
          rel(input),
          rel(path.join(outDir, 'out.glb')),
          '--compress',
          'meshopt',
          '--texture-compress',
          'webp',
        ],
        glb: path.join(outDir, 'out.glb'),
      };
  }
}

interface Timed {
  command: string;
  seconds: number;
  peakMiB: number;
}

async function timed(label: string, argv: string[], opts: { allowFailure?: boolean } = {}): Promise<Timed & { stderr: string; code: number }> {
  const command = argv.map((a) => (a === NODE ? 'node' : /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  process.stderr.write(`bench: ${label}: ${command}\n`);
  let stderr: string,
    code = 0;
  try {
    ({ stderr } = await run('/usr/bin/time', ['-f', 'XOAY_TIME %e %M', ...argv], { cwd: ROOT, maxBuffer: 64 << 20 }));
  } catch (e) {
    if (!opts.allowFailure) throw e;
    ({ stderr } = e as { stderr: string });
    code = (e as { code: number }).code;
  }
  const m = /XOAY_TIME ([\d.]+) (\d+)/.exec(stderr);
  if (!m) throw new Error(`bench: ${label}: no timing in output:\n${stderr}`);
  return {
    command,
    seconds: Number(m[1]),
    peakMiB: Number(m[2]) / 1024,
    stderr: stderr
      .replace(/^.*XOAY_TIME.*$/m, '')
      .replace(/^Command exited.*$/m, '')
      .trim(),
    code,
  };
}

/** The scale rows: generated scenes through `xoay model --textures webp`, one process each. */
async function scaleRows(): Promise<string[]> {
  const SIZES = [1000, 10_000, 50_000];
  const KINDS: SceneKind[] = ['shared', 'distinct'];
  const dir = path.join(WORK, 'scale');
  await mkdir(dir, { recursive: true });
  const table = ['| scene | nodes | primitives | wall s | peak RSS MiB | outcome |', '|---|---:|---:|---:|---:|---|'];
  let command = '';
  for (const kind of KINDS) {
    for (const n of SIZES) {
      const input = path.join(dir, `${kind}-${n}.glb`);
      await writeScene(input, n, kind);
      const out = path.join(dir, `${kind}-${n}-out`);
      await rm(out, { recursive: true, force: true });
      const t = await timed(
        `scale ${kind} ${n}`,
        [NODE, 'bin/xoay.js', 'model', path.relative(ROOT, input), '-o', path.relative(ROOT, out), '--textures', 'webp', '-q'],
        { allowFailure: true },
      );
      command ||= t.command;
      let outcome: string;
      if (t.code === 0 || t.code === 3) {
        const report = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')) as {
          after: { triangles: number; drawCalls: number };
          timings: Record<string, number>;
        };
        const stages = Object.entries(report.timings)
          .filter(([, v]) => v >= 0.05)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ');
        outcome = `built: ${report.after.triangles} triangles, ${report.after.drawCalls} draw call(s) (${stages})`;
      } else
        outcome = `refused (exit ${t.code}): \`${t.stderr
          .split('\n')[0]!
          .replace(/^.*?: error: /, '')
          .replace(dir + '/', '')}\``;
      table.push(`| ${kind} | ${n} | ${kind === 'shared' ? 1 : n} | ${t.seconds.toFixed(2)} | ${t.peakMiB.toFixed(0)} | ${outcome} |`);
    }
  }
  return [
    `## Scale: generated scenes (issue 19; ${os.availableParallelism()} cores, ${new Date().toISOString().slice(0, 10)})`,
    '',
    `\`npm run bench:model -- --scale\` (bench/model.ts, scenes from bench/scenes.ts): "shared" is n nodes at one place sharing one triangle (the hostile reproducer's shape), "distinct" a mesh of its own per node (a tetrahedron, one primitive), a material per 10 nodes (half of them identical to another), in a hierarchy of up to 8 children per node. Each run: \`${command.replaceAll('shared-1000', '<scene>')}\` under \`/usr/bin/time -f "%e %M"\`; stage times (s) from model.json.`,
    '',
    ...table,
    '',
  ];
}

interface Figures {
  bytes: number;
  triangles: number;
  drawCalls: number;
  /** "3× webp 1024²" and the like. */
  textures: string;
  textureBytes: number;
  gpuBytes: number;
  gpuBytesRGBA8: number;
  /** The geometry compression written: draco, meshopt or none. */
  geometry: string;
}

async function figures(glb: string): Promise<Figures> {
  const io = await createIO();
  const doc = await io.read(glb);
  const stats = inspect(doc);
  const used = doc
    .getRoot()
    .listExtensionsUsed()
    .map((e) => e.extensionName);
  const kinds = new Map<string, number>();
  for (const t of stats.textures) {
    const k = `${t.mimeType.replace('image/', '')} ${t.width === t.height ? `${t.width}²` : `${t.width}×${t.height}`}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const sum = (f: (t: (typeof stats.textures)[number]) => number) => stats.textures.reduce((a, t) => a + f(t), 0);
  return {
    bytes: (await stat(glb)).size,
    triangles: stats.triangles,
    drawCalls: stats.drawCalls,
    textures: kinds.size ? [...kinds].map(([k, n]) => `${n}× ${k}`).join(', ') : '—',
    textureBytes: sum((t) => t.bytes),
    gpuBytes: sum((t) => t.gpuBytes),
    gpuBytesRGBA8: sum((t) => t.gpuBytesRGBA8),
    geometry: used.includes('KHR_draco_mesh_compression') ? 'draco' : used.some((e) => /meshopt_compression$/.test(e)) ? 'meshopt' : 'none',
  };
}

interface Row extends Figures {
  id: RunId;
  best: Timed;
  all: number[];
  /** Render SSIM against the source (rows in SSIM_RUNS only). */
  ssim?: { mean: number; worst: number; pass: boolean };
}

/** The runs whose output is rendered against the source. */
const SSIM_RUNS: RunId[] = ['xoay-auto', 'gltf-transform'];

/** An input re-encoded by the peer tool as a user would have received it; `gltf` variants are found, not made. */
type Encoding = 'draco' | 'meshopt' | 'gltf';
interface EncodingRow {
  model: string;
  encoding: Encoding;
  input: string;
  inputBytes: number;
  outBytes: number;
  seconds: number;
  command: string;
}

/** Files of a .gltf variant: the .gltf, its buffers and images (bytes.input counts them all). */
async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += (await stat(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))).size;
  return n;
}

async function encodingRows(modelsDir: string, models: string[]): Promise<EncodingRow[]> {
  const rows: EncodingRow[] = [];
  const variants = new Map<string, string>();
  for (const e of await readdir(modelsDir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    for (const f of await readdir(path.join(modelsDir, e.name)))
      if (f.toLowerCase().endsWith('.gltf')) variants.set(f.replace(/\.gltf$/i, ''), path.join(modelsDir, e.name, f));
  }
  for (const name of models) {
    const model = name.replace(/\.glb$/i, '');
    const dir = path.join(WORK, model, 'encodings');
    await mkdir(dir, { recursive: true });
    const inputs: { encoding: Encoding; file: string; bytes: number }[] = [];
    for (const codec of ['draco', 'meshopt'] as const) {
      const file = path.join(dir, `${model}.${codec}.glb`);
      await run(NODE, ['node_modules/@gltf-transform/cli/bin/cli.js', codec, path.join(modelsDir, name), file], { cwd: ROOT, maxBuffer: 64 << 20 });
      inputs.push({ encoding: codec, file, bytes: (await stat(file)).size });
    }
    const gltf = variants.get(model);
    if (gltf) inputs.push({ encoding: 'gltf', file: gltf, bytes: await folderBytes(path.dirname(gltf)) });
    for (const i of inputs) {
      const out = path.join(dir, `${i.encoding}-out`);
      const t = await timed(`${model} xoay model (defaults) on the ${i.encoding} input`, [
        NODE,
        'bin/xoay.js',
        'model',
        path.relative(ROOT, i.file),
        '-o',
        path.relative(ROOT, out),
        '-q',
        '--force',
      ]);
      rows.push({
        model,
        encoding: i.encoding,
        input: i.file,
        inputBytes: i.bytes,
        outBytes: (await stat(path.join(out, 'model.glb'))).size,
        seconds: t.seconds,
        command: t.command,
      });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  if (values.scale) {
    await rm(WORK, { recursive: true, force: true });
    const text = (await scaleRows()).join('\n');
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench/results/model-scale.md'), text);
    process.stdout.write(text + '\n');
    if (!values.keep) await rm(WORK, { recursive: true, force: true });
    return;
  }
  const modelsDir = path.join(DATA, 'models');
  const models = (await readdir(modelsDir)).filter((n) => n.toLowerCase().endsWith('.glb')).sort();
  if (models.length === 0) throw new Error(`bench: no .glb in ${modelsDir} (set XOAY_TEST_DATA to the shared data folder)`);
  await rm(WORK, { recursive: true, force: true });
  const t0 = performance.now();

  const results: { model: string; input: Figures; rows: Row[] }[] = [];
  for (const name of models) {
    const input = path.join(modelsDir, name);
    const model = name.replace(/\.glb$/i, '');
    const times = new Map<RunId, Timed[]>(RUNS.map((r) => [r.id, []]));
    // The runs alternate, REPEAT rounds (the machine is noisy); the faster of each run's rounds counts.
    for (let k = 0; k < REPEAT; k++) {
      for (const r of RUNS) {
        const outDir = path.join(WORK, model, r.id);
        await rm(outDir, { recursive: true, force: true });
        await mkdir(outDir, { recursive: true });
        const { argv } = command(r.id, input, outDir);
        times.get(r.id)!.push(await timed(`${model} ${r.label}`, argv));
      }
    }
    const rows: Row[] = [];
    for (const r of RUNS) {
      const all = times.get(r.id)!;
      const best = all.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      rows.push({ id: r.id, best, all: all.map((t) => t.seconds), ...(await figures(command(r.id, input, path.join(WORK, model, r.id)).glb)) });
    }
    results.push({ model, input: await figures(input), rows });
  }
  const encodings = await encodingRows(modelsDir, models);
  const runSeconds = (performance.now() - t0) / 1000;
  // Render SSIM: one browser for every model; each source rendered once.
  const t1 = performance.now();
  if (!values['skip-ssim']) {
    const session = await openFidelity();
    try {
      for (const rs of results) {
        const ref = await session.reference(path.join(modelsDir, `${rs.model}.glb`));
        for (const r of rs.rows.filter((x) => SSIM_RUNS.includes(x.id))) {
          const f = await session.compare(ref, command(r.id, '', path.join(WORK, rs.model, r.id)).glb);
          r.ssim = { mean: f.ssim.mean, worst: f.ssim.worst, pass: f.pass };
        }
      }
    } finally {
      await session.close();
    }
  }
  const ssimSeconds = (performance.now() - t1) / 1000;
  const totalSeconds = (performance.now() - t0) / 1000;

  const KiB = (b: number) => (b / 1024).toFixed(0);
  const MiB = (b: number) => (b / 1048576).toFixed(1);
  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(0)} %` : '—');
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  const label = (id: RunId) => RUNS.find((r) => r.id === id)!.label;
  const row = (rs: (typeof results)[number], id: RunId) => rs.rows.find((r) => r.id === id)!;

  const table: string[] = [
    '| model | run | KiB | vs input | textures KiB | other KiB | wall s | peak RSS MiB | triangles | draw calls | textures | GPU tex MiB | GPU vs RGBA8 | SSIM mean / worst |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const rs of results) {
    const i = rs.input;
    table.push(
      `| **${rs.model}** | input | ${KiB(i.bytes)} | — | ${KiB(i.textureBytes)} | ${KiB(i.bytes - i.textureBytes)} | — | — | ${i.triangles} | ${i.drawCalls} | ${i.textures} | ${MiB(i.gpuBytes)} | ${pct(i.gpuBytes, i.gpuBytesRGBA8)} | — |`,
    );
    for (const r of rs.rows) {
      table.push(
        `| | ${label(r.id)} | ${KiB(r.bytes)} | ${pct(r.bytes, i.bytes)} | ${KiB(r.textureBytes)} | ${KiB(r.bytes - r.textureBytes)} | ${r.best.seconds.toFixed(2)} | ${r.best.peakMiB.toFixed(0)} | ${r.triangles} | ${r.drawCalls} | ${r.textures} | ${MiB(r.gpuBytes)} | ${pct(r.gpuBytes, r.gpuBytesRGBA8)} | ${r.ssim ? `${r.ssim.mean.toFixed(5)} / ${r.ssim.worst.toFixed(5)}` : '—'} |`,
      );
    }
  }

  // Targets (issue 3, "Benchmark"; issue 15 for the 0.97).
  const targets: string[] = [];
  let allOk = true;
  const check = (ok: boolean, text: string) => {
    allOk &&= ok;
    targets.push(`- ${mark(ok)} ${text}`);
  };
  // Issue 3: each model's meshopt + WebP output against the smaller of the two peers.
  const versus = results.map((rs) => {
    const p = row(rs, 'gltfpack'),
      g = row(rs, 'gltf-transform');
    return { model: rs.model, w: row(rs, 'xoay-webp'), wa: row(rs, 'xoay-webp-auto'), peer: p.bytes <= g.bytes ? p : g };
  });
  for (const { model, w, peer } of versus)
    check(
      w.bytes <= peer.bytes,
      `${model}: xoay (meshopt + WebP) ${KiB(w.bytes)} KiB ≤ smaller peer ${KiB(peer.bytes)} KiB (${peer.id}): ${pct(w.bytes, peer.bytes)} of it`,
    );
  // Issue 15: with WebP (the geometry xoay's default), 3 % under the smaller peer, in bytes.
  for (const { model, wa, peer } of versus)
    check(
      wa.bytes <= 0.97 * peer.bytes,
      `${model}: xoay (--textures webp, geometry auto: ${wa.geometry}) ${wa.bytes} bytes ≤ 0.97 × smaller peer ${peer.bytes} bytes (${peer.id}) = ${Math.floor(0.97 * peer.bytes)}: ${((100 * wa.bytes) / peer.bytes).toFixed(1)} % of it`,
    );
  // Not a target: meshopt forced, for comparison at the same codec (2CylinderEngine's mobile draw-call merge copies the
  // instanced parts it cannot keep instanced under 20 draw calls; gltfpack keeps every node and draw call).
  for (const { model, w, peer } of versus)
    targets.push(
      `- (${model}: meshopt + WebP ${w.bytes} bytes = ${((100 * w.bytes) / peer.bytes).toFixed(1)} % of ${peer.id}, ${w.drawCalls} draw calls against its ${peer.drawCalls})`,
    );
  // Issue 15: the default never grows the file, is never above the smaller peer, and takes ≤ 2× gltf-transform's time.
  for (const rs of results) {
    const a = row(rs, 'xoay-auto'),
      g = row(rs, 'gltf-transform'),
      p = row(rs, 'gltfpack');
    const peer = p.bytes <= g.bytes ? p : g;
    check(
      a.bytes <= rs.input.bytes,
      `${rs.model}: xoay (defaults) ${KiB(a.bytes)} KiB ≤ input ${KiB(rs.input.bytes)} KiB: ${pct(a.bytes, rs.input.bytes)} of it`,
    );
    check(
      a.bytes <= peer.bytes,
      `${rs.model}: xoay (defaults) ${KiB(a.bytes)} KiB ≤ smaller peer ${KiB(peer.bytes)} KiB (${peer.id}): ${pct(a.bytes, peer.bytes)} of it`,
    );
    check(
      a.best.seconds <= 2 * g.best.seconds,
      `${rs.model}: xoay (defaults) ${a.best.seconds.toFixed(2)} s ≤ 2 × gltf-transform optimize ${g.best.seconds.toFixed(2)} s: ${(a.best.seconds / g.best.seconds).toFixed(2)}×`,
    );
  }
  // Issue 15: the default output renders like its source.
  for (const rs of results) {
    const a = row(rs, 'xoay-auto');
    if (a.ssim)
      check(a.ssim.pass, `${rs.model}: xoay (defaults) render SSIM mean ${a.ssim.mean.toFixed(5)} ≥ 0.98 and worst view ${a.ssim.worst.toFixed(5)} ≥ 0.95`);
  }
  for (const rs of results) {
    const k = row(rs, 'xoay-ktx2');
    if (k.gpuBytesRGBA8 === 0) targets.push(`- ✓ ${rs.model}: KTX2 GPU texture memory: no textures (nothing to hold)`);
    else
      check(
        k.gpuBytes <= 0.25 * k.gpuBytesRGBA8,
        `${rs.model}: KTX2 GPU texture memory ${MiB(k.gpuBytes)} MiB = ${pct(k.gpuBytes, k.gpuBytesRGBA8)} of RGBA8 ${MiB(k.gpuBytesRGBA8)} MiB (≤ 25 %; vs the input's RGBA8: ${pct(k.gpuBytes, rs.input.gpuBytesRGBA8)})`,
      );
  }
  // Issue 15: the same result whatever the input encoding (within 3 % of the plain GLB's default output).
  const encTable = ["| model | input | input KiB | output KiB | vs plain GLB's output | wall s |", '|---|---|---:|---:|---:|---:|'];
  for (const e of encodings) {
    const plain = row(results.find((r) => r.model === e.model)!, 'xoay-auto');
    const ratio = e.outBytes / plain.bytes;
    const what = {
      draco: 'Draco GLB (gltf-transform draco)',
      meshopt: 'meshopt GLB (gltf-transform meshopt)',
      gltf: `.gltf + .bin (${path.relative(DATA, e.input)})`,
    }[e.encoding];
    encTable.push(`| ${e.model} | ${what} | ${KiB(e.inputBytes)} | ${KiB(e.outBytes)} | ${(100 * ratio).toFixed(1)} % | ${e.seconds.toFixed(2)} |`);
    check(
      Math.abs(ratio - 1) <= 0.03,
      `${e.model}: default output of the ${what} input ${e.outBytes} bytes within 3 % of the plain GLB's ${plain.bytes}: ${(100 * ratio).toFixed(1)} %`,
    );
  }
  let sumW = 0,
    sumG = 0;
  for (const rs of results) {
    const w = row(rs, 'xoay-webp'),
      g = row(rs, 'gltf-transform');
    sumW += w.best.seconds;
    sumG += g.best.seconds;
    check(
      w.best.seconds <= 1.5 * g.best.seconds,
      `${rs.model}: xoay (WebP) ${w.best.seconds.toFixed(2)} s ≤ 1.5 × gltf-transform optimize ${g.best.seconds.toFixed(2)} s: ${(w.best.seconds / g.best.seconds).toFixed(2)}×`,
    );
  }
  targets.push(`- (all models: xoay (WebP) ${sumW.toFixed(1)} s vs gltf-transform ${sumG.toFixed(1)} s = ${(sumW / sumG).toFixed(2)}×)`);

  const firstModel = results[0]!;
  const lines = [
    `## Model benchmark (${results.length} models, ${os.availableParallelism()} cores)`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench:model${REPEAT !== 2 ? ` -- --repeat ${REPEAT}` : ''}\` (bench/model.ts) in ${totalSeconds.toFixed(0)} s: Node ${process.version}, gltfpack 1.3.0 (npm WASM, geometry only), @gltf-transform/cli 4.5.1. Each run is its own process under \`/usr/bin/time -f "%e %M"\` (wall time, peak RSS); the six runs alternate ${REPEAT}× per model and the faster of each is shown. Outputs are read back with xoay's I/O and inspect(): "textures KiB" is the sum of the embedded images, "other" the rest (geometry, JSON); GPU memory is estimated with mips, KTX2 as transcoded (ETC1S 0.5 B/px, UASTC 1 B/px), WebP/PNG/JPEG as RGBA8 (4 B/px). ${values['skip-ssim'] ? 'Render SSIM left out (`--skip-ssim`).' : `"SSIM mean / worst": the output and its source rendered by the product renderer (the viewer's studio, headless Chromium, SwiftShader) from 9 views (8 around at 15°, 1 from above) at 512 px with the source's framing, scored by SSIM per R, G, B channel (scikit-image's 7×7 uniform window), mean over the views and the worst view (pipeline/render/fidelity.ts); ${ssimSeconds.toFixed(0)} s of the run, one browser for all models, after the ${runSeconds.toFixed(0)} s of timed runs.`}`,
    '',
    ...table,
    '',
    '### The same model in other encodings (defaults)',
    '',
    `Each input written once by the peer tool (\`node node_modules/@gltf-transform/cli/bin/cli.js draco|meshopt <model>.glb <out>\`, not timed), or found as a \`.gltf\` + \`.bin\` variant beside the GLBs; then \`${encodings[0]?.command.replace(/\S+\.(draco|meshopt)\.glb/, '<input>').replace(/\S+encodings\/\S+-out/, '<out>') ?? ''}\` once.`,
    '',
    ...encTable,
    '',
    `### Targets: ${allOk ? 'all hold' : 'not all hold'}`,
    '',
    ...targets,
    '',
    `All times (s, in order): ${results.map((rs) => `${rs.model}: ${rs.rows.map((r) => `${r.id} ${r.all.map((s) => s.toFixed(2)).join('/')}`).join(', ')}`).join('; ')}.`,
    '',
    `Commands (shown for ${firstModel.model}; the same for each model, run from the project root):`,
    '',
    ...firstModel.rows.map((r) => `- ${label(r.id)}: \`${r.best.command}\``),
    '',
    ...(await scaleRows()),
  ];
  const text = lines.join('\n');
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench/results/model.md'), text);
  process.stdout.write(text + '\n');
  if (!values.keep) await rm(WORK, { recursive: true, force: true });
}

await main();
