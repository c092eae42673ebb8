/**
 * Sample maker: renders a licence-clean "turntable photo shoot" of a CC0 glTF model, the kind of input
 * `xoay spin` is made for, into a folder of numbered JPEGs plus a SOURCE.txt.
 *
 *   npm run build && node dist/samples/make-turntable.js \
 *     [--model ../shared/data/models/painted_wooden_stool_1k.glb] [--out samples/stool-turntable] \
 *     [--frames 36] [--width 1200] [--height 900] [--prefix stool] [--seed 360] [--quality auto] \
 *     [--masks samples/stool-masks]
 *
 * `--masks <dir>` also writes each frame's ground-truth object mask (the model alone, flat white on black,
 * cut at half coverage: no shadow), `<prefix>_NNN.png`, to score segmentation and reconstruction against.
 *
 * How: a Vite dev server (127.0.0.1, random port) serves samples/turntable-page/page/, whose
 * render.browser.ts builds the studio in three.js; Debian Chromium (playwright-core, headless,
 * SwiftShader WebGL2) renders one frame per call and hands back a PNG; sharp/mozjpeg writes the JPEGs.
 * The model bytes and the page's HTML shell (the render stage's, pipeline/render/page/index.html: it only
 * loads ./render.browser.ts) are served to the page through Playwright routes, so Vite never needs
 * file-system access outside the page and node_modules.
 *
 * The shoot is deliberately imperfect, like a real one, so the spin pipeline has something to correct:
 * the model stands off the turntable axis (its centre orbits in the frames) and the exposure drifts
 * from frame to frame (a slow sine plus seeded jitter). Everything is deterministic: the same command
 * on the same machine gives the same frames.
 *
 * Output is written into a temporary sibling folder and renamed into place at the end (an existing
 * output folder is replaced). The server, the browser and the temporary profile are closed and
 * removed even when rendering fails.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createServer, type ViteDevServer } from 'vite';
import sharp from 'sharp';
import { openOutput, type OutputFolder } from '../pipeline/core/fsout.js';
import { mulberry32 } from '../pipeline/core/random.js';
import { assertInteger, invalid } from '../pipeline/core/options.js';
import { XoayError, isXoayError } from '../pipeline/core/errors.js';
import { findChromium, launchChromium, withTimeout as withTimeoutMs, type ChromiumSession } from '../pipeline/core/chromium.js';
import type { FrameRequest, TurntableApi, TurntableInfo, TurntableSetup } from './turntable-page/protocol.js';

const STAGE = 'make-turntable';

/** `window` as the page sees it once render.browser.ts has run. */
type PageWindow = Window & { xoayTurntable?: TurntableApi };

// ---------------------------------------------------------------------------------------------------
// Fixed studio parameters (recorded in SOURCE.txt).

const STUDIO = {
  /** Seamless backdrop colour at exposure 1. */
  backdrop: '#d9d9d9',
  /** Camera elevation above the horizontal, degrees (looking slightly down). */
  elevationDeg: 12,
  /** Vertical field of view, degrees (a moderate telephoto, as product photographers use). */
  fovDeg: 28,
  /** Share of the frame height covered by the object's extent over the whole turn. */
  fill: 0.64,
  /** Off-axis placement: 7 % of the model's largest dimension, towards 30° from +X. */
  offAxis: 0.07,
  offAxisAngleDeg: 30,
} as const;

/** Exposure drift: 1 + A·sin(2π·cycles·i/N + phase) + uniform jitter in ±J. */
const DRIFT = { amplitude: 0.06, cycles: 3, phase: 0.7, jitter: 0.02 } as const;

/** JPEG budget: aim at about this many bytes for the whole shoot, never exceed the hard limit. */
const TARGET_TOTAL_BYTES = 2_100_000;
const MAX_TOTAL_BYTES = 3_000_000;
const QUALITY_MIN = 40;
const QUALITY_MAX = 95;

/** The longest a single browser step (page load, model setup, one frame) may take. */
const STEP_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------------------------------------------
// Command line

interface Options {
  /** The GLB to render (absolute). */
  model: string;
  /** Output folder (absolute). */
  out: string;
  frames: number;
  width: number;
  height: number;
  /** File name prefix: `<prefix>_001.jpg` … */
  prefix: string;
  /** Seed of the exposure jitter. */
  seed: number;
  /** JPEG quality, or undefined to choose it from the size budget. */
  quality: number | undefined;
  /** Also write each frame's object mask here (`<prefix>_NNN.png`, 255 = object), or null. */
  masks: string | null;
  /** The arguments as given, for SOURCE.txt. */
  argv: string[];
}

const USAGE = `usage: node dist/samples/make-turntable.js [--model <glb>] [--out <dir>] [--frames 36]
       [--width 1200] [--height 900] [--prefix stool] [--seed 360] [--quality auto|1-100] [--masks <dir>]`;

function parseInteger(option: string, raw: string, min: number, max: number): number {
  const v = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (Number.isNaN(v)) throw invalid(STAGE, option, `an integer between ${min} and ${max}`, raw);
  assertInteger(STAGE, option, v, min, max);
  return v;
}

export function parseOptions(argv: string[], cwd = process.cwd()): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string', default: '../shared/data/models/painted_wooden_stool_1k.glb' },
      out: { type: 'string', default: 'samples/stool-turntable' },
      frames: { type: 'string', default: '36' },
      width: { type: 'string', default: '1200' },
      height: { type: 'string', default: '900' },
      prefix: { type: 'string', default: 'stool' },
      seed: { type: 'string', default: '360' },
      quality: { type: 'string', default: 'auto' },
      masks: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(values.prefix)) throw invalid(STAGE, '--prefix', 'letters, digits, "_" or "-"', values.prefix);
  return {
    model: path.resolve(cwd, values.model),
    out: path.resolve(cwd, values.out),
    frames: parseInteger('--frames', values.frames, 8, 720),
    width: parseInteger('--width', values.width, 64, 4096),
    height: parseInteger('--height', values.height, 64, 4096),
    prefix: values.prefix,
    seed: parseInteger('--seed', values.seed, 0, 0xffffffff),
    quality: values.quality === 'auto' ? undefined : parseInteger('--quality', values.quality, 1, 100),
    masks: values.masks === undefined ? null : path.resolve(cwd, values.masks),
    argv,
  };
}

// ---------------------------------------------------------------------------------------------------
// Deterministic exposure drift

/** Per-frame `toneMappingExposure`: a slow sine (three cycles per turn) plus seeded jitter. */
export function exposureDrift(frames: number, seed: number): number[] {
  const random = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < frames; i++) {
    const wave = DRIFT.amplitude * Math.sin(((2 * Math.PI * i) / frames) * DRIFT.cycles + DRIFT.phase);
    const jitter = (random() * 2 - 1) * DRIFT.jitter;
    out.push(Math.round((1 + wave + jitter) * 1e4) / 1e4); // 4 decimals, as recorded in SOURCE.txt
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** The folder `rel` (from the package root, e.g. samples/turntable-page/page) holding `file`, found from this module (source or dist). */
async function findUp(rel: string, file: string): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, rel);
    try {
      if ((await stat(path.join(candidate, file))).isFile()) return candidate;
    } catch {
      /* keep walking up */
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${rel}/${file} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const withTimeout = <T>(what: string, promise: Promise<T>): Promise<T> => withTimeoutMs(what, promise, STEP_TIMEOUT_MS);

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Encodes frames as baseline mozjpeg JPEGs (4:2:0, no metadata). */
function encodeJpeg(png: Buffer, quality: number): Promise<Buffer> {
  return sharp(png).jpeg({ quality, mozjpeg: true }).toBuffer();
}

/**
 * The highest quality whose estimated total stays within TARGET_TOTAL_BYTES, estimated from a few
 * evenly spaced frames (binary search over the quality).
 */
async function chooseQuality(pngs: Buffer[]): Promise<number> {
  const probeCount = Math.min(pngs.length, 6);
  const probes = Array.from({ length: probeCount }, (_, k) => pngs[Math.floor((k * pngs.length) / probeCount)]!);
  const estimate = async (q: number) => {
    const sizes = await Promise.all(probes.map(async (p) => (await encodeJpeg(p, q)).length));
    return (sizes.reduce((a, b) => a + b, 0) / probeCount) * pngs.length;
  };
  let lo = QUALITY_MIN;
  let hi = QUALITY_MAX;
  if ((await estimate(lo)) > TARGET_TOTAL_BYTES) return lo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await estimate(mid)) <= TARGET_TOTAL_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------------
// The run

interface RenderResult {
  info: TurntableInfo;
  pngs: Buffer[];
  /** The object masks (PNG, white on black, soft edges), when asked for. */
  masks: Buffer[];
  userAgent: string;
}

/** Starts Vite + Chromium, renders every frame to PNG and closes both (also on failure). */
async function renderFrames(opts: Options, exposures: number[], workDir: string): Promise<RenderResult> {
  const pageDir = await findUp('samples/turntable-page/page', 'render.browser.ts');
  const pageHtml = await readFile(path.join(await findUp('pipeline/render/page', 'index.html'), 'index.html'));
  const modelBytes = await readFile(opts.model);
  let server: ViteDevServer | undefined;
  let session: ChromiumSession | undefined;
  try {
    server = await createServer({
      configFile: false,
      root: pageDir,
      cacheDir: path.join(workDir, 'vite-cache'), // keep the pre-bundled deps out of node_modules/.vite
      logLevel: 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
      optimizeDeps: {
        include: ['three', 'three/addons/loaders/GLTFLoader.js', 'three/addons/environments/RoomEnvironment.js'],
      },
    });
    await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a TCP address');
    const origin = `http://127.0.0.1:${address.port}`;

    // Headless Chromium with SwiftShader WebGL 2, a temporary profile and no network (shared with the product renderer).
    session = await launchChromium({
      stage: STAGE,
      executable: findChromium(STAGE),
      viewport: { width: opts.width, height: opts.height },
      profilePrefix: 'xoay-turntable-profile-',
      logConsole: true,
    });
    const { page, pageErrors } = session;

    // The model is handed to the page from memory: no file-system access for the dev server.
    const modelUrl = `${origin}/__xoay_model__/${encodeURIComponent(path.basename(opts.model))}`;
    await page.route(modelUrl, (route) => route.fulfill({ status: 200, contentType: 'model/gltf-binary', body: modelBytes }));
    // The render stage's page shell (it loads ./render.browser.ts, here the sample studio's, transformed by Vite).
    await page.route(`${origin}/index.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: pageHtml }));

    await withTimeout('loading the render page', page.goto(`${origin}/index.html`, { waitUntil: 'load' }));
    await withTimeout(
      'starting render.browser.ts',
      page.waitForFunction(() => (window as PageWindow).xoayTurntable !== undefined, undefined, { timeout: STEP_TIMEOUT_MS }),
    ).catch((e: unknown) => {
      throw new Error(`the render page did not start${pageErrors.length ? ` (${pageErrors.join('; ')})` : ''}`, { cause: e });
    });

    const setup: TurntableSetup = { modelUrl, frames: opts.frames, width: opts.width, height: opts.height, ...STUDIO };
    const info = await withTimeout(
      'setting up the studio',
      page.evaluate((s) => (window as PageWindow).xoayTurntable!.setup(s), setup),
    );
    const userAgent = await page.evaluate(() => navigator.userAgent);

    const pngs: Buffer[] = [],
      masks: Buffer[] = [];
    const render = async (request: FrameRequest) => {
      const what = `${request.mask ? 'the mask of ' : ''}frame ${request.index + 1}`;
      const dataUrl = await withTimeout(
        `rendering ${what}`,
        page.evaluate((r) => (window as PageWindow).xoayTurntable!.renderFrame(r), request),
      );
      const prefix = 'data:image/png;base64,';
      if (!dataUrl.startsWith(prefix)) throw new Error(`${what}: the page did not return a PNG data URL`);
      return Buffer.from(dataUrl.slice(prefix.length), 'base64');
    };
    for (let index = 0; index < opts.frames; index++) {
      pngs.push(await render({ index, exposure: exposures[index]! }));
      if (opts.masks) masks.push(await render({ index, exposure: 1, mask: true }));
      process.stderr.write(`\rrendered ${index + 1}/${opts.frames}`);
    }
    process.stderr.write('\n');
    if (pageErrors.length) throw new Error(`the render page reported errors: ${pageErrors.join('; ')}`);
    return { info, pngs, masks, userAgent };
  } finally {
    await session?.close();
    await server?.close().catch(() => undefined);
  }
}

/** Checks what the brief promises: exact size, and a border that is backdrop only. */
async function checkFrame(png: Buffer, opts: Options, n: number): Promise<void> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== opts.width || info.height !== opts.height)
    throw new Error(`frame ${n}: rendered ${info.width}×${info.height}, expected ${opts.width}×${opts.height}`);
  // Every pixel of a 4-pixel border band must be within a few levels of the band's first pixel.
  const band = 4;
  const ref = [data[0]!, data[1]!, data[2]!];
  let worst = 0;
  for (let y = 0; y < info.height; y++) {
    const edgeRow = y < band || y >= info.height - band;
    for (let x = 0; x < info.width; x++) {
      if (!edgeRow && x >= band && x < info.width - band) {
        x = info.width - band - 1;
        continue;
      }
      const o = (y * info.width + x) * info.channels;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[o + c]! - ref[c]!));
    }
  }
  if (worst > 3)
    throw new Error(
      `frame ${n}: the frame border is not plain backdrop (a border pixel differs by ${worst} levels); the object or its shadow touches the edge`,
    );
}

function sourceText(opts: Options, r: RenderResult, exposures: number[], quality: number, names: string[], sizes: number[]): string {
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const given = ['node', 'dist/samples/make-turntable.js', ...opts.argv].map(quoteArg).join(' ');
  const full = [
    'node',
    'dist/samples/make-turntable.js',
    '--model',
    rel(opts.model),
    '--out',
    rel(opts.out),
    '--frames',
    String(opts.frames),
    '--width',
    String(opts.width),
    '--height',
    String(opts.height),
    '--prefix',
    opts.prefix,
    '--seed',
    String(opts.seed),
    '--quality',
    opts.quality === undefined ? 'auto' : String(opts.quality),
    ...(opts.masks ? ['--masks', rel(opts.masks)] : []),
  ]
    .map(quoteArg)
    .join(' ');
  const total = sizes.reduce((a, b) => a + b, 0);
  const f = (v: number, d = 3) => v.toFixed(d);
  const { info } = r;
  const largest = Math.max(...info.size);
  const offsetLength = Math.hypot(info.offset[0], info.offset[1]);
  const isStool = path.basename(opts.model).startsWith('painted_wooden_stool');
  const origin = isStool
    ? [
        'Model:    Poly Haven "painted_wooden_stool" (1k textures)',
        '          https://polyhaven.com/a/painted_wooden_stool',
        'Licence:  CC0 1.0 (public domain dedication), https://polyhaven.com/license',
        '          No attribution required; credit "Poly Haven" as a courtesy.',
        `Obtained: ${rel(opts.model)} (from ../shared/data/models; see its SOURCE-polyhaven.txt:`,
        '          GitHub RobotLocomotion/models, tutorials/models/assets/, commit',
        '          4723170e1c8ee8bc59c342bb5c491ab8f263f1fb, repacked losslessly into one GLB).',
      ]
    : [`Model:    ${rel(opts.model)} (check its licence before publishing these frames)`];
  const lines = [
    `Turntable sample shoot: ${names.length} frames, ${opts.width}×${opts.height}, ${names[0]} … ${names[names.length - 1]}`,
    '',
    ...origin,
    '',
    'These frames are a computer rendering, not photographs. They were made by samples/make-turntable.ts',
    '(browser side: samples/turntable-page/page/render.browser.ts) with:',
    '',
    `  npm run build   # or: npx tsc -p tsconfig.build.json`,
    `  ${given}`,
    '',
    'which, with every parameter spelled out, is:',
    '',
    `  ${full}`,
    '',
    'The same command on the same machine gives the same frames (no clocks or unseeded randomness).',
    `Renderer: three.js r${r.info.threeRevision} (WebGL2) in ${r.userAgent}`,
    `          GL: ${r.info.glRenderer}`,
    '',
    'Studio',
    `  Backdrop:  plain seamless ${STUDIO.backdrop} (unlit, tone-mapped, so it follows the exposure); an`,
    '             invisible floor (ShadowMaterial) adds only the soft shadows.',
    '  Lights:    RoomEnvironment (PMREM) image-based light; directional key (front-left, high, soft VSM',
    '             shadow falling back-right), top (overhead, very soft contact shadow), fill (right, cool)',
    '             and rim (behind). PBR Neutral tone mapping, sRGB output.',
    `  Camera:    ${STUDIO.fovDeg}° vertical field of view, ${STUDIO.elevationDeg}° above the horizontal, looking at the turntable axis`,
    `             from ${f(info.cameraDistance)} m; the object covers ${f(info.fillMin * 100, 1)}–${f(info.fillMax * 100, 1)} % of the frame height;`,
    `             smallest margins over the turn: left ${f(info.marginPx.left, 0)} px, right ${f(info.marginPx.right, 0)} px, top ${f(info.marginPx.top, 0)} px,`,
    `             bottom ${f(info.marginPx.bottom, 0)} px. Antialiased, device pixel ratio 1.`,
    `  Model:     ${info.size.map((v) => f(v)).join(' × ')} m (x × y × z), ${info.triangles} triangles; centred with its`,
    '             bounding box, base on the floor (y = 0).',
    `  Turntable: frame i is turned by i·360°/${opts.frames} about the vertical axis, counter-clockwise seen from above;`,
    `             frame 1 (${names[0]}) is at 0°, each following frame ${f(360 / opts.frames, 2)}° further.`,
    '',
    'Deliberate imperfections (for the spin pipeline to correct)',
    `  Off-axis:  the model's centre stands ${f(offsetLength)} m (${f(STUDIO.offAxis * 100, 1)} % of its largest dimension, ${f(largest)} m) from the`,
    `             turntable axis, towards ${STUDIO.offAxisAngleDeg}° from +X (x ${f(info.offset[0])}, z ${f(info.offset[1])} m at 0°), so its centre`,
    '             orbits in the frames (a first harmonic over the turn) and its size breathes slightly.',
    `  Exposure:  renderer.toneMappingExposure = 1 + ${DRIFT.amplitude}·sin(2π·${DRIFT.cycles}·i/${opts.frames} + ${DRIFT.phase}) + jitter, jitter uniform in`,
    `             ±${DRIFT.jitter} from mulberry32(seed ${opts.seed}); per frame:`,
    ...names.map((n, i) => `               ${n}  exposure ${exposures[i]!.toFixed(4)}  ${sizes[i]} bytes`),
    '',
    `JPEG: sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), mozjpeg, quality ${quality}${opts.quality === undefined ? ` (auto: the highest quality up to ${QUALITY_MAX} whose total stays within about ${mb(TARGET_TOTAL_BYTES)})` : ''}, 4:2:0, no metadata.`,
    `Total: ${total} bytes.`,
    '',
  ];
  return lines.join('\n');
}

async function run(opts: Options): Promise<void> {
  const started = performance.now();
  sharp.concurrency(os.availableParallelism());
  const modelStat = await stat(opts.model).catch(() => undefined);
  if (!modelStat?.isFile()) throw new XoayError(STAGE, 'INPUT_MISSING', 'the model file does not exist', opts.model);

  const exposures = exposureDrift(opts.frames, opts.seed);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'xoay-turntable-'));
  // Last resort on Ctrl-C (Playwright turns SIGINT into process.exit): drop the browser profile.
  const dropWorkDir = () => rmSync(workDir, { recursive: true, force: true });
  process.once('exit', dropWorkDir);
  let out: OutputFolder | undefined, maskOut: OutputFolder | undefined;
  try {
    out = await openOutput(opts.out, { stage: STAGE, inputs: [opts.model], force: true });
    if (opts.masks) maskOut = await openOutput(opts.masks, { stage: STAGE, inputs: [opts.model, opts.out], force: true });
    const rendered = await renderFrames(opts, exposures, workDir);
    const renderSeconds = (performance.now() - started) / 1000;
    await Promise.all(rendered.pngs.map((png, i) => checkFrame(png, opts, i + 1)));

    let quality = opts.quality ?? (await chooseQuality(rendered.pngs));
    let jpegs: Buffer[];
    for (;;) {
      const q = quality;
      jpegs = await Promise.all(rendered.pngs.map((png) => encodeJpeg(png, q)));
      const total = jpegs.reduce((a, j) => a + j.length, 0);
      if (total <= MAX_TOTAL_BYTES || opts.quality !== undefined || quality <= QUALITY_MIN) break;
      quality = Math.max(QUALITY_MIN, quality - 4); // the estimate was optimistic: step down
    }
    const digits = Math.max(3, String(opts.frames).length);
    const names = jpegs.map((_, i) => `${opts.prefix}_${String(i + 1).padStart(digits, '0')}.jpg`);
    await Promise.all(jpegs.map((j, i) => out!.write(names[i]!, j)));
    const sizes = jpegs.map((j) => j.length);
    await out.write('SOURCE.txt', sourceText(opts, rendered, exposures, quality, names, sizes));
    if (maskOut) {
      // Cut at half coverage (the renderer's MSAA edge), as the seg sets' gt/ masks are.
      const pngMasks = await Promise.all(
        rendered.masks.map((m) => sharp(m).removeAlpha().extractChannel(0).threshold(128).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer()),
      );
      await Promise.all(pngMasks.map((m, i) => maskOut!.write(names[i]!.replace(/\.jpg$/, '.png'), m)));
      await maskOut.write(
        'SOURCE.txt',
        `Object masks of ${path.basename(opts.out)}/ (255 = object: the model alone, no shadow), one per frame, same names as .png.\nRendered with its frames by samples/make-turntable.ts (--masks): the same camera and turntable, the model drawn flat white on black, cut at half coverage. CC0, as the frames.\n`,
      );
      await maskOut.commit();
    }
    await out.commit();

    const total = sizes.reduce((a, b) => a + b, 0);
    const { info } = rendered;
    process.stdout.write(
      [
        `wrote ${names.length} frames + SOURCE.txt to ${path.relative(process.cwd(), opts.out) || '.'}${opts.masks ? ` and their masks to ${path.relative(process.cwd(), opts.masks)}` : ''}`,
        `  total ${total} bytes (${mb(total)}), JPEG quality ${quality}, ${Math.round(total / names.length / 1000)} KB per frame`,
        `  object fills ${(info.fillMin * 100).toFixed(1)}–${(info.fillMax * 100).toFixed(1)} % of the height; margins L ${info.marginPx.left.toFixed(0)} R ${info.marginPx.right.toFixed(0)} T ${info.marginPx.top.toFixed(0)} B ${info.marginPx.bottom.toFixed(0)} px`,
        `  exposure ${Math.min(...exposures).toFixed(3)}–${Math.max(...exposures).toFixed(3)}`,
        `  render ${renderSeconds.toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s (${info.glRenderer})`,
        '',
      ].join('\n'),
    );
    if (total > MAX_TOTAL_BYTES) process.stderr.write(`warning: the frames total ${mb(total)}, above the ${mb(MAX_TOTAL_BYTES)} budget\n`);
  } catch (e) {
    await maskOut?.abort();
    await out?.abort();
    throw e;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    process.removeListener('exit', dropWorkDir);
  }
}

async function main(): Promise<void> {
  let opts: Options | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    await run(opts);
  } catch (e) {
    // Expected failures print one line; anything else also prints its stack (first lines only).
    const message = isXoayError(e) ? e.message : `${STAGE}: ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 6).join('\n') : String(e)}`;
    process.stderr.write(`\n${message}\n`);
    process.exitCode = 1;
  }
}

// Run when executed directly (not when imported, e.g. by a test for exposureDrift/parseOptions).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
