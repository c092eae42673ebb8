/**
 * The package as a user gets it: packed with `npm pack` (dist/ as the test set-up built it), installed into an empty
 * project, imported by its name from a Node ESM script, and type-checked in a TypeScript file. Each API function writes
 * what the CLI writes for the same inputs and options: the same files, byte for byte, but for the timings in the
 * reports (`timings` in qa.json, model.json and reconstruct.json, the only fields that depend on the clock):
 * `spin` on the committed sample shoot, `model` on a shared model, `reconstruct` on the committed sample shoot and
 * `build` on the committed sample product with a shoot and a model (samples/catalogue/ghe-dau-go-son; its sibling has
 * only a model and its spin would be rendered in Chromium, ≈ 100 s). Every file of the built site is compared byte for
 * byte: a site holds nothing time-dependent; only build's result differs, in its `seconds` (per product and in total).
 *
 * The install is `npm ci` with a lockfile made from the project's own (the tarball, then every package the project
 * installs that is not a development one, at the same versions and places): the tarballs come from npm's cache that
 * the project's own `npm ci` filled, so it needs no network (`--prefer-offline` fetches only what the cache lacks).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ssimRgb } from '../../pipeline/core/ssim.js';
import { chromiumReason, hasChromium } from '../helpers/browser.js';
import { dataSet, ROOT } from '../helpers/data.js';

const run = promisify(execFile);
const SHOOT = path.join(ROOT, 'samples/stool-turntable');
const table = dataSet('models/wooden_table_02_1k.glb');
const PRODUCT = path.join(ROOT, 'samples/catalogue/ghe-dau-go-son');
// The sample product's spin/ and model.glb are links to the committed shoot and model.
const LINKS = [path.join(ROOT, 'samples/stool-turntable'), path.join(ROOT, 'samples/stool-model')];

let tmp: string;
let project: string;

interface LockEntry {
  dev?: boolean;
  [key: string]: unknown;
}

/** The consumer project's package.json and package-lock.json: the tarball and the project's production packages. */
async function writeProject(dir: string, tarball: string): Promise<void> {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = lock.packages['']!;
  const bytes = await readFile(path.join(dir, tarball));
  const xoay: LockEntry = { version: root.version, resolved: `file:${tarball}`, integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` };
  for (const k of ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'])
    if (k in root) xoay[k] = root[k];
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { xoay: `file:${tarball}` } },
    'node_modules/xoay': xoay,
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k && !v.dev) packages[k] = v;
  const pkg = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { xoay: `file:${tarball}` } };
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await writeFile(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 1),
  );
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-package-'));
  project = path.join(tmp, 'consumer');
  const t0 = performance.now();
  // --ignore-scripts: `prepare` would build again; the set-up has just built dist/.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 1 << 26 });
  const { filename } = (JSON.parse(stdout) as { filename: string }[])[0]!;
  await run('mkdir', [project]);
  await run('mv', [path.join(tmp, filename), project]);
  await writeProject(project, filename);
  const t1 = performance.now();
  await run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, maxBuffer: 1 << 26 });
  console.log(`package test: npm pack ${((t1 - t0) / 1000).toFixed(1)} s, npm ci ${((performance.now() - t1) / 1000).toFixed(1)} s`);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Every file under `dir` (relative, sorted). */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** A report without its timings (at any depth), with the output folder written as `<out>`. */
async function report(file: string, out: string): Promise<unknown> {
  return withoutKeys(JSON.parse((await readFile(file, 'utf8')).split(out).join('<out>')), ['timings']);
}

/** `v` without the given keys, at any depth. */
function withoutKeys(v: unknown, keys: string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutKeys(x, keys));
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (keys.includes(k) ? [] : [[k, withoutKeys(x, keys)]])));
}

/** Two output folders hold the same files, byte for byte, except `reports` (compared without timings). */
async function expectSameOutput(api: string, cli: string, reports: string[]): Promise<void> {
  const names = await files(api);
  expect(names).toEqual(await files(cli));
  for (const name of names) {
    if (reports.includes(name)) expect(await report(path.join(api, name), api), name).toEqual(await report(path.join(cli, name), cli));
    else expect((await readFile(path.join(api, name))).equals(await readFile(path.join(cli, name))), name).toBe(true);
  }
}

const CONSUMER_JS = `import { spin, model, XoayError } from 'xoay';
const [shoot, glb, out] = process.argv.slice(2);
const progress = [];
const s = await spin(shoot, out + '/spin', { widths: [256, 400], formats: ['webp', 'jpeg'], margin: 8, shadow: 'remove', onProgress: (e) => progress.push(e) });
const m = glb ? await model(glb, out + '/model', { textures: 'webp', budget: 'desktop' }) : null;
let bad;
try { await spin(shoot, out + '/bad', { margin: '8' }); } catch (e) { bad = { isXoayError: e instanceof XoayError, code: e.code, message: e.message }; }
process.stdout.write(JSON.stringify({ spin: s, model: m, progress, bad }));
`;

/** reconstruct and build, from the package, with the options the CLI run below gets as flags. */
const CONSUMER2_JS = `import { build, reconstruct } from 'xoay';
const [shoot, product, links, out] = process.argv.slice(2);
const r = await reconstruct(shoot, out + '/reconstruct', { fov: 36.77, elevation: 12, resolution: 64, triangles: 2000, size: 512, textureSize: 256, textures: 'webp', minIou: 0.85 });
const events = [];
const b = await build([product], out + '/site', { baseUrl: 'https://ocop.example.vn/san-pham/', cache: out + '/cache', jobs: 1, widths: [256], formats: ['webp'], textures: 'webp', allowLinksInto: links.split(','), onProgress: (e) => events.push(e.type) });
process.stdout.write(JSON.stringify({ reconstruct: r, build: b, events }));
`;

/** render, from the package: one picture of the committed sample model. */
const CONSUMER3_JS = `import { render } from 'xoay';
const [glb, out] = process.argv.slice(2);
const r = await render(glb, out, { width: 256, height: 192, cameraOrbit: '40deg 70deg 110%', exposure: 1.2 });
process.stdout.write(JSON.stringify(r));
`;

describe('the packed package, installed into an empty project', () => {
  it.skipIf(!hasChromium)(`render draws what \`xoay render\` draws for the same model and settings ${chromiumReason}`, { timeout: 300_000 }, async () => {
    const glb = path.join(ROOT, 'samples/catalogue/ghe-dau-go-son/model.glb');
    const apiPng = path.join(tmp, 'render-api.png');
    const cliPng = path.join(tmp, 'render-cli.png');
    await writeFile(path.join(project, 'run3.mjs'), CONSUMER3_JS);
    await run(process.execPath, ['run3.mjs', glb, apiPng], { cwd: project, maxBuffer: 1 << 26 });
    const cli = await run(
      process.execPath,
      [
        path.join(ROOT, 'bin/xoay.js'),
        'render',
        glb,
        '-o',
        cliPng,
        '--width',
        '256',
        '--height',
        '192',
        '--camera-orbit',
        '40deg 70deg 110%',
        '--exposure',
        '1.2',
        '--json',
      ],
      { cwd: ROOT, maxBuffer: 1 << 26 },
    );
    expect(JSON.parse(cli.stdout)).toMatchObject({ output: cliPng });
    const raw = async (f: string) => {
      const { data, info } = await sharp(f).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: 3 as const };
    };
    const [a, b] = await Promise.all([raw(apiPng), raw(cliPng)]);
    expect([a.width, a.height]).toEqual([256, 192]);
    expect(ssimRgb(a, b)).toBeGreaterThan(0.99);
  });

  it('holds the API entry, its declarations and what the pipeline reads at run time', async () => {
    const pkg = path.join(project, 'node_modules/xoay');
    for (const f of [
      'dist/api/index.js',
      'dist/api/index.d.ts',
      'dist/pipeline/spin/spin.d.ts',
      'dist/pipeline/model/model-worker.js',
      'dist/viewer/xoay-viewer.js',
    ])
      expect(await readFile(path.join(pkg, f)).then(() => f)).toBe(f);
    const manifest = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string }> };
    expect(manifest.exports['.']).toEqual({ types: './dist/api/index.d.ts', import: './dist/api/index.js' });
  });

  it.skipIf(!table.present)(`spin and model write what the CLI writes for the same inputs and options ${table.reason}`, async () => {
    const apiOut = path.join(tmp, 'api');
    const cliOut = path.join(tmp, 'cli');
    await writeFile(path.join(project, 'run.mjs'), CONSUMER_JS);
    const cli = (args: string[]) => run(process.execPath, [path.join(ROOT, 'bin/xoay.js'), ...args, '--json'], { cwd: ROOT, maxBuffer: 1 << 26 });
    const [api] = await Promise.all([
      run(process.execPath, ['run.mjs', SHOOT, table.dir, apiOut], { cwd: project, maxBuffer: 1 << 26 }),
      cli(['spin', SHOOT, '-o', path.join(cliOut, 'spin'), '--widths', '256,400', '--formats', 'webp,jpeg', '--margin', '8', '--shadow', 'remove']),
      cli(['model', table.dir, '-o', path.join(cliOut, 'model'), '--textures', 'webp', '--budget', 'desktop']),
    ]);
    const r = JSON.parse(api.stdout);
    // The files: the same bytes (spin.json, the frames, sprites, qa.html; model.glb), the reports but for timings.
    await expectSameOutput(path.join(apiOut, 'spin'), path.join(cliOut, 'spin'), ['qa.json']);
    await expectSameOutput(path.join(apiOut, 'model'), path.join(cliOut, 'model'), ['model.json']);
    // What the calls returned is what they wrote.
    expect(r.spin.output).toBe(path.join(apiOut, 'spin'));
    expect(r.spin.manifest).toEqual(JSON.parse(await readFile(path.join(apiOut, 'spin/spin.json'), 'utf8')));
    expect(r.spin.qa).toEqual(JSON.parse(await readFile(path.join(apiOut, 'spin/qa.json'), 'utf8')));
    expect(r.spin.manifest.widths).toEqual([256, 400]);
    expect(r.model.report).toEqual(JSON.parse(await readFile(path.join(apiOut, 'model/model.json'), 'utf8')));
    expect(r.model.report.options.textures).toBe('webp');
    // onProgress: each stage, then a progress event per frame analysed and per frame rendered.
    const frames = r.spin.qa.frames as number;
    expect(frames).toBe(36);
    const progress = r.progress as { type: string; stage: string; done?: number; total?: number }[];
    for (const step of ['analyse', 'render'])
      expect(progress.filter((e) => e.type === 'progress' && e.stage === step).map((e) => e.done)).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
    expect(progress.filter((e) => e.type === 'stage').map((e) => e.stage)).toEqual(['ingest', 'analyse', 'render']);
    // A wrong option type, from the package: a XoayError with its code, naming the option; nothing written.
    expect(r.bad).toEqual({ isXoayError: true, code: 'BAD_OPTION', message: 'spin: expected a number between 0 and 100 for option margin but received "8"' });
    expect(await readdir(apiOut)).toEqual(['model', 'spin']);
  });

  it('reconstruct and build write what the CLI writes for the same inputs and options (the committed samples)', { timeout: 300_000 }, async () => {
    const apiOut = path.join(tmp, 'api2');
    const cliOut = path.join(tmp, 'cli2');
    await writeFile(path.join(project, 'run2.mjs'), CONSUMER2_JS);
    const cli = (args: string[]) => run(process.execPath, [path.join(ROOT, 'bin/xoay.js'), ...args, '--json'], { cwd: ROOT, maxBuffer: 1 << 26 });
    const recon = ['--fov', '36.77', '--elevation', '12', '--resolution', '64', '--triangles', '2000', '--size', '512', '--texture-size', '256'];
    const [api, cliRecon, cliBuild] = await Promise.all([
      run(process.execPath, ['run2.mjs', SHOOT, PRODUCT, LINKS.join(','), apiOut], { cwd: project, maxBuffer: 1 << 26 }),
      cli(['reconstruct', SHOOT, '-o', path.join(cliOut, 'reconstruct'), ...recon, '--textures', 'webp', '--min-iou', '0.85']),
      cli([
        'build',
        PRODUCT,
        '-o',
        path.join(cliOut, 'site'),
        '--base-url',
        'https://ocop.example.vn/san-pham/',
        '--cache',
        path.join(cliOut, 'cache'),
        '--jobs',
        '1',
        '--widths',
        '256',
        '--formats',
        'webp',
        '--textures',
        'webp',
        '--allow-links-into',
        ...LINKS,
      ]),
    ]);
    const r = JSON.parse(api.stdout);
    // reconstruct: model.glb the same bytes; model.json and reconstruct.json the same but for their timings.
    await expectSameOutput(path.join(apiOut, 'reconstruct'), path.join(cliOut, 'reconstruct'), ['model.json', 'reconstruct.json']);
    expect(r.reconstruct.output).toBe(path.join(apiOut, 'reconstruct'));
    expect(r.reconstruct.report).toEqual(JSON.parse(await readFile(path.join(apiOut, 'reconstruct/reconstruct.json'), 'utf8')));
    // The CLI's summary is drawn from the same report.
    const summary = JSON.parse(cliRecon.stdout);
    expect(summary).toMatchObject({ views: r.reconstruct.report.views.length, iou: r.reconstruct.report.iou, triangles: r.reconstruct.report.triangles.final });
    expect(summary.iou.min).toBeGreaterThanOrEqual(0.85);
    // build: every file of the two sites the same bytes (pages, spin, model, QR codes, the viewer); nothing excluded.
    await expectSameOutput(path.join(apiOut, 'site'), path.join(cliOut, 'site'), []);
    // What build() returned is the CLI's summary line but for the clock (`seconds`) and the site folder.
    const lines = cliBuild.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { type, ...cliResult } = lines.at(-1)!;
    expect(type).toBe('summary');
    const norm = (x: Record<string, unknown>, out: string) => withoutKeys(JSON.parse(JSON.stringify(x).split(out).join('<out>')), ['seconds']);
    expect(norm(r.build, apiOut)).toEqual(norm(cliResult, cliOut));
    expect(r.build).toMatchObject({ built: 1, reused: 0, failed: 0, jobs: 1 });
    expect(r.events).toContain('done');
  });

  it("its declarations type a consumer's calls and refuse a wrong option type", async () => {
    await writeFile(
      path.join(project, 'consumer.ts'),
      `import { build, model, reconstruct, spin, XoayError, type BuildResult, type ModelReport, type SpinOptions, type XoayErrorCode } from 'xoay';
const options: SpinOptions = { widths: [512, 1024], formats: ['avif', 'jpeg'], shadow: 'remove', signal: AbortSignal.timeout(60_000) };
const s = await spin('shoot', 'out', { ...options, onProgress: (e) => { if (e.type === 'progress') console.log(e.done / e.total); } });
const frames: number = s.qa.frames;
const w: number = s.manifest.width;
const m: ModelReport = (await model('in.glb', 'out', { textures: 'webp', lods: 1 })).report;
const ok: boolean = m.budget.ok;
const r = await reconstruct('shoot', 'out', { elevation: [10, 40], minIou: 0.8 });
const iou: number = r.report.iou.min;
const b: BuildResult = await build(['catalogue'], 'site', { baseUrl: 'https://ocop.example.vn/', reconstruct: true });
const failed: number = b.failed;
try { await spin('a', 'b'); } catch (e) { if (e instanceof XoayError) { const code: XoayErrorCode = e.code; console.log(code, e.stage, e.file); } }
// @ts-expect-error margin is a number (per cent), not a string
await spin('a', 'b', { margin: '5' });
// @ts-expect-error an unknown texture format
await model('a', 'b', { textures: 'png' });
// @ts-expect-error baseUrl is required
await build('a', 'b', {});
console.log(frames, w, ok, iou, failed);
`,
    );
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // A Node project has @types/node; the consumer takes the project's (it is not a dependency of xoay).
          typeRoots: [path.join(ROOT, 'node_modules/@types')],
          types: ['node'],
          lib: ['ES2023', 'DOM'],
          skipLibCheck: true,
        },
        files: ['consumer.ts'],
      }),
    );
    // The project's TypeScript, on the installed package's declarations (a failure prints tsc's errors).
    const tsc = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project }).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    expect(tsc).toBe('');
  });
});
