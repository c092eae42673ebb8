/**
 * `npm run bench:viewer`: the viewer benchmark (the viewer issue), in one Chromium run.
 *
 * 1. Makes the inputs in bench/.work/viewer/: `xoay spin samples/stool-turntable` (the committed 36-frame CC0 shoot)
 *    and `xoay model` of the painted wooden stool GLB; fetches the peers with `npm pack` into bench/.work/peers/
 *    (js-cloudimage-360-view 4.9.5 and @google/model-viewer 4.4.0: compared against, never dependencies).
 * 2. Time and bytes until the first drag turns the spin, network throttled by CDP (1.6 Mbps down and up, 150 ms
 *    latency, cache off), 640×480 CSS px at DPR 1 on a 1280×800 desktop page: `<xoay-viewer loading="eager">`
 *    against CI360 4.9.5 (documented `CI360.init(container, config)`), once on xoay's JPEG rendition of the width
 *    xoay itself shows in that box (same pixels, same box) and once on the 36 source JPEGs as shot. From navigation
 *    start, the page is dragged (a stroke across the element every ~100 ms) until the shown frame changes; the time
 *    is taken in the page when it does (xoay: `framechange`; CI360: `onSpin`), the bytes are what CDP saw arrive
 *    (Network.dataReceived / loadingFinished encodedDataLength, headers included) up to that moment. The runs
 *    alternate, `--rounds` times; medians and ratios.
 * 3. Bundle sizes, gzip level 9: the spin path (dist/viewer/xoay-viewer.js and what it imports statically) against
 *    CI360's bundle; spin + 3D (everything reachable from xoay-viewer.js, dynamic imports included; not the Draco and
 *    Basis decoders, which model-viewer also fetches separately) against model-viewer.min.js (three bundled).
 * 4. Frame time (requestAnimationFrame deltas, p50/p95) unthrottled during a 2 s drag on the spin and a 2 s orbit
 *    drag on the 3D model; CI360 and model-viewer (on the source GLB: it cannot decode xoay's KTX2/meshopt without
 *    its CDN decoders) as references.
 * Writes bench/results/viewer.md and prints it. Every server is on 127.0.0.1; requests elsewhere are blocked and
 * listed.
 *
 *   npm run bench:viewer                          # the full run (3 rounds)
 *   npm run bench:viewer -- --rounds 1 --reuse    # a quick look, re-using bench/.work/viewer if it is there
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import sharp from 'sharp';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../pipeline/core/chromium.js';
import { serveStatic, type StaticServer } from '../pipeline/core/static-server.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, 'bench/.work/viewer');
const PEERS = path.join(ROOT, 'bench/.work/peers');
const DATA = path.resolve(ROOT, process.env.XOAY_TEST_DATA ?? '../shared/data');
const CHROMIUM = DEFAULT_CHROMIUM;
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, reuse: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } },
});
const ROUNDS = Math.max(1, Number(values.rounds));

const CI360 = { name: 'js-cloudimage-360-view', version: '4.9.5', bundle: 'dist/js-cloudimage-360-view.min.js' };
const MV = { name: '@google/model-viewer', version: '4.4.0', bundle: 'dist/model-viewer.min.js' };
const THROTTLE = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 200_000 };
/** The element box, CSS px, at a fixed place on the page (no layout lookups while dragging). */
const BOX = { x: 40, y: 40, width: 640, height: 480 };
type Box = typeof BOX;
const GZIP_LEVEL = 9;
const RUN_TIMEOUT_MS = 90_000;

const log = (s: string) => process.stderr.write(`bench:viewer: ${s}\n`);
const rel = (p: string) => path.relative(ROOT, p) || '.';
const kB = (b: number) => (b / 1000).toFixed(1);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};

// --- inputs -------------------------------------------------------------------------------------------------------

const COMMANDS: string[] = [];

async function sh(argv: string[], cwd = ROOT): Promise<string> {
  const shown = argv.map((a) => (a === process.execPath ? 'node' : /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  COMMANDS.push(shown);
  log(shown);
  const { stdout } = await run(argv[0]!, argv.slice(1), { cwd, maxBuffer: 64 << 20 });
  return stdout;
}

/** `npm pack` the peers (the registry's tarballs, exactly these versions) and extract their dist/. */
async function fetchPeers(): Promise<{ ci360: string; mv: string }> {
  const dir = (p: typeof CI360) => path.join(PEERS, `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}`);
  const ci360 = dir(CI360),
    mv = dir(MV);
  const packed = existsSync(path.join(ci360, 'package', CI360.bundle)) && existsSync(path.join(mv, 'package', MV.bundle));
  if (!packed) {
    await mkdir(PEERS, { recursive: true });
    await sh(['npm', 'pack', `${CI360.name}@${CI360.version}`, `${MV.name}@${MV.version}`, '--pack-destination', rel(PEERS)]);
    for (const d of [ci360, mv]) {
      await rm(d, { recursive: true, force: true });
      await mkdir(d, { recursive: true });
      // Only what the benchmark serves and checks (dist/, package.json): not the peers' sources and tests.
      await sh(['tar', 'xzf', `${rel(d)}.tgz`, '-C', rel(d), 'package/package.json', 'package/dist']);
    }
  } else {
    COMMANDS.push(`npm pack ${CI360.name}@${CI360.version} ${MV.name}@${MV.version} --pack-destination ${rel(PEERS)} (already there: re-used)`);
  }
  for (const [d, p] of [
    [ci360, CI360],
    [mv, MV],
  ] as const) {
    const v = JSON.parse(await readFile(path.join(d, 'package/package.json'), 'utf8')).version;
    if (v !== p.version) throw new Error(`bench:viewer: ${p.name} in ${d} is ${v}, not ${p.version}`);
  }
  return { ci360: path.join(ci360, 'package'), mv: path.join(mv, 'package') };
}

/** The committed sample product (its shoot and model linked from samples/), built into a site with `xoay build`. */
const SAMPLE_PRODUCT = 'samples/catalogue/ghe-dau-go-son';
const SAMPLE_ID = 'ghe-dau-go-son';

async function makeInputs(): Promise<{ spin: string; model: string; sourceModel: string; site: string }> {
  const spin = path.join(WORK, 'spin'),
    model = path.join(WORK, 'model');
  const sourceModel = path.join(DATA, 'models/painted_wooden_stool_1k.glb');
  if (!(values.reuse && existsSync(path.join(spin, 'spin.json')))) {
    await sh([process.execPath, 'bin/xoay.js', 'spin', 'samples/stool-turntable', '-o', rel(spin), '--force', '-q']);
  } else COMMANDS.push(`node bin/xoay.js spin samples/stool-turntable -o ${rel(spin)} --force -q (re-used)`);
  if (!(values.reuse && existsSync(path.join(model, 'model.glb')))) {
    await sh([process.execPath, 'bin/xoay.js', 'model', rel(sourceModel), '-o', rel(model), '--force', '-q']);
  } else COMMANDS.push(`node bin/xoay.js model ${rel(sourceModel)} -o ${rel(model)} --force -q (re-used)`);
  // Always rebuilt (the stage cache makes a rebuild quick): the site must carry this build's pages and viewer.
  const site = path.join(WORK, 'site');
  await rm(site, { recursive: true, force: true });
  await sh([
    process.execPath,
    'bin/xoay.js',
    'build',
    SAMPLE_PRODUCT,
    '-o',
    rel(site),
    '--cache',
    rel(path.join(WORK, 'build-cache')),
    '--allow-links-into',
    'samples',
    '--base-url',
    'http://127.0.0.1/',
    '-q',
  ]);
  return { spin, model, sourceModel, site };
}

// --- bundle sizes -------------------------------------------------------------------------------------------------

const gz = (b: Buffer) => gzipSync(b, { level: GZIP_LEVEL }).length;

/** Relative module specifiers a minified ES module imports: static (`import…from"./x.js"`, `export…from`, `import"./x.js"`) and dynamic (`import("./x.js")`). */
function importsOf(code: string): { static: string[]; dynamic: string[] } {
  const stat: string[] = [],
    dyn: string[] = [];
  for (const m of code.matchAll(/(?<![\w$.])(?:import|export)\s*(?:(?:[\w$*{}\s,])*?from\s*)?(["'`])(\.{1,2}\/[^"'`$]+?)\1/g)) stat.push(m[2]!);
  for (const m of code.matchAll(/(?<![\w$.])import\(\s*(["'`])(\.{1,2}\/[^"'`$]+?)\1\s*\)/g)) dyn.push(m[2]!);
  return { static: stat, dynamic: dyn };
}

/** The module graph from `entry`: static imports only, or dynamic ones too. Sizes raw and gzipped. */
async function graph(entry: string, withDynamic: boolean): Promise<{ files: { file: string; bytes: number; gzip: number }[]; bytes: number; gzip: number }> {
  const seen = new Map<string, { bytes: number; gzip: number }>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    const buf = await readFile(file);
    seen.set(file, { bytes: buf.length, gzip: gz(buf) });
    const { static: s, dynamic: d } = importsOf(buf.toString('utf8'));
    for (const spec of withDynamic ? [...s, ...d] : s) await visit(path.resolve(path.dirname(file), spec));
  };
  await visit(entry);
  const files = [...seen].map(([file, v]) => ({ file, ...v }));
  return { files, bytes: files.reduce((a, f) => a + f.bytes, 0), gzip: files.reduce((a, f) => a + f.gzip, 0) };
}

async function jsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsFiles(p)));
    else if (/\.m?js$/.test(e.name)) out.push(p);
  }
  return out;
}

// --- server -------------------------------------------------------------------------------------------------------

/** Static files on 127.0.0.1 (mount prefix → folder) with the project's server, text gzipped (level 9) as a production server would. */
function startServer(mounts: Record<string, string>): Promise<StaticServer> {
  return serveStatic({ mounts, gzip: GZIP_LEVEL });
}

// --- pages --------------------------------------------------------------------------------------------------------

const box = `position:absolute;left:${BOX.x}px;top:${BOX.y}px;width:${BOX.width}px;height:${BOX.height}px`;
const shell = (head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>bench</title>
<style>html,body{margin:0;background:#fff}</style>${head}</head><body>${body}</body></html>`;

/**
 * In-page probe: window.__b.first = performance.now() of the first frame change a drag makes on screen. Xoay: the
 * first `framechange` after `load` (draggable) away from the frame painted at `load` (framechange also fires for
 * drags before `load`, when nothing is drawn yet: those do not count). CI360: the first `onSpin` (it ignores drags
 * until every image is loaded).
 */
const PROBE = `<script>window.__b={first:null,ready:null,loaded:null,changes:0,errors:[]};addEventListener('error',e=>__b.errors.push(String(e.message||e)));</script>`;

/** The listeners on the page's first `<xoay-viewer>` (after it in the document, before the module script runs). */
const XOAY_LISTEN = `<script>const v=document.querySelector('xoay-viewer');
let base=null;v.addEventListener('load',()=>{__b.ready=performance.now();});
v.addEventListener('framechange',e=>{if(__b.ready===null)return;if(base===null){base=e.detail.frame;return;}__b.changes++;if(__b.first===null&&e.detail.frame!==base)__b.first=performance.now();});
v.addEventListener('error',e=>__b.errors.push(e.detail&&e.detail.message));</script>`;

const xoaySpinPage = () =>
  shell(
    `${PROBE}<script type="module" src="/viewer/xoay-viewer.js"></script>`,
    `<xoay-viewer id="v" src="/spin/spin.json" alt="Painted wooden stool" loading="eager" style="${box}"></xoay-viewer>
${XOAY_LISTEN}`,
  );

/**
 * The product page `xoay build` wrote, as built (its own `<head>`, the element with its default lazy loading, the
 * gallery, the story), with the probe put first in its `<head>` and the listeners last in its `<body>`.
 */
function productPageWithProbe(built: string): string {
  if (!built.includes('<head>') || !built.includes('</body>')) throw new Error('bench:viewer: the built product page has no <head> or </body>');
  return built.replace('<head>', `<head>${PROBE}`).replace('</body>', `${XOAY_LISTEN}</body>`);
}

/** CI360's documented programmatic init (README "Method 2"): the global instance's init(container, config). */
const ci360Page = (folder: string, filenameX: string) =>
  shell(
    `${PROBE}<script src="/ci360/js-cloudimage-360-view.min.js"></script>`,
    `<div id="v" style="${box}"></div>
<script>CI360.init(document.getElementById('v'),{folder:${JSON.stringify(folder)},filenameX:${JSON.stringify(filenameX)},amountX:36,indexZeroBase:3,
onReady:()=>{__b.ready=performance.now();},onLoad:()=>{__b.loaded=performance.now();},
onSpin:e=>{if(e.activeImageX!==0){__b.changes++;if(__b.first===null)__b.first=performance.now();}}});</script>`,
  );

const xoayModelPage = () =>
  shell(
    `${PROBE}<script type="module" src="/viewer/xoay-viewer.js"></script>`,
    `<xoay-viewer id="v" model="/model/model.glb" decoder-path="/viewer/decoders/" alt="Painted wooden stool" loading="eager" style="${box}"></xoay-viewer>
<script>const v=document.getElementById('v');v.addEventListener('load',()=>{__b.ready=performance.now();});
v.addEventListener('error',e=>{__b.errors.push(e.detail&&e.detail.message);__b.failed=true;});</script>`,
  );

const modelViewerPage = () =>
  shell(
    `${PROBE}<script type="module" src="/mv/model-viewer.min.js"></script>`,
    `<model-viewer id="v" src="/source-model/model.glb" alt="Painted wooden stool" camera-controls interaction-prompt="none" style="${box}"></model-viewer>
<script>const v=document.getElementById('v');v.addEventListener('load',()=>{__b.ready=performance.now();});
v.addEventListener('error',e=>{__b.errors.push(String(e.detail&&(e.detail.type||e.detail)));__b.failed=true;});</script>`,
  );

interface Probe {
  first: number | null;
  ready: number | null;
  loaded: number | null;
  changes: number;
  errors: string[];
  failed?: boolean;
}
const probe = (page: Page) => page.evaluate(() => (window as unknown as { __b: Probe }).__b);

// --- browser ------------------------------------------------------------------------------------------------------

/** Requests any page made to a host other than 127.0.0.1 (seen through CDP; there should be none). */
const FOREIGN: string[] = [];

async function launch(): Promise<{ ctx: BrowserContext; version: string; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-bench-chromium-'));
  // No Playwright request interception: it would put Node in the path of every request and skew the throttled timings.
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  });
  const version =
    ctx.browser()?.version() ??
    (await run(CHROMIUM, ['--version']).then(
      (r) => r.stdout.trim().replace(/^\D+/, ''),
      () => '?',
    ));
  return {
    ctx,
    version,
    async close() {
      await ctx.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface NetLog {
  /** Monotonic (CDP) seconds ↔ wall seconds of the document request. */
  docTs: number | null;
  docWall: number | null;
  chunks: { ts: number; bytes: number; id: string }[];
  finished: Map<string, { ts: number; bytes: number }>;
  urls: Map<string, string>;
  sent: Map<string, number>;
  /** Requests that failed (Network.loadingFailed): URL and Chromium's error, for the message of a run that fails. */
  failed: string[];
}

/** A page with a CDP session: network logged, cache off, throttled or not. */
async function openPage(ctx: BrowserContext, throttle: boolean): Promise<{ page: Page; cdp: CDPSession; net: NetLog; errors: string[] }> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await ctx.newCDPSession(page);
  const net: NetLog = { docTs: null, docWall: null, chunks: [], finished: new Map(), urls: new Map(), sent: new Map(), failed: [] };
  cdp.on('Network.requestWillBeSent', (e) => {
    net.urls.set(e.requestId, e.request.url);
    net.sent.set(e.requestId, e.timestamp);
    const u = new URL(e.request.url);
    if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '127.0.0.1')
      FOREIGN.push(u.href);
    if (e.type === 'Document' && net.docTs === null) {
      net.docTs = e.timestamp;
      net.docWall = e.wallTime;
    }
  });
  // responseReceived's encodedDataLength: the header bytes; dataReceived: each body chunk as it arrives.
  cdp.on('Network.responseReceived', (e) => net.chunks.push({ ts: e.timestamp, bytes: e.response.encodedDataLength ?? 0, id: e.requestId }));
  cdp.on('Network.dataReceived', (e) => net.chunks.push({ ts: e.timestamp, bytes: e.encodedDataLength, id: e.requestId }));
  cdp.on('Network.loadingFinished', (e) => net.finished.set(e.requestId, { ts: e.timestamp, bytes: e.encodedDataLength }));
  cdp.on('Network.loadingFailed', (e) =>
    net.failed.push(
      `${net.urls.get(e.requestId) ?? e.requestId}: ${e.errorText}${e.canceled ? ' (cancelled)' : ''}${e.blockedReason ? ` (${e.blockedReason})` : ''}`,
    ),
  );
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (throttle) await cdp.send('Network.emulateNetworkConditions', THROTTLE);
  return { page, cdp, net, errors };
}

type Kind = 'code' | 'sprite' | 'frames';
/** A sprite sheet → sprite; any other image (frames, poster) → frames; the rest (page, scripts, manifest) → code. */
const kindOf = (url: string): Kind => {
  const p = url.startsWith('http') ? new URL(url).pathname : url;
  if (/sprite\.\w+$/.test(p)) return 'sprite';
  return /\.(avif|webp|jpe?g|png|gif)$/i.test(p) ? 'frames' : 'code';
};

/** Bytes that had arrived by monotonic time `ts`: finished requests whole, the others as far as their chunks got. */
function bytesBy(log: NetLog, ts: number): { bytes: number; requests: number; kinds: Record<Kind, number> } {
  let bytes = 0,
    requests = 0;
  const kinds: Record<Kind, number> = { code: 0, sprite: 0, frames: 0 };
  const partial = new Map<string, number>();
  for (const c of log.chunks) if (c.ts <= ts) partial.set(c.id, (partial.get(c.id) ?? 0) + c.bytes);
  for (const [id, sum] of partial) {
    const f = log.finished.get(id);
    const got = f && f.ts <= ts ? Math.max(f.bytes, sum) : sum; // loadingFinished's total is authoritative
    if (f && f.ts <= ts) requests++;
    bytes += got;
    kinds[kindOf(log.urls.get(id) ?? '')] += got;
  }
  return { bytes, requests, kinds };
}

/** Page time (ms from its navigation start) → CDP monotonic seconds, through the document request's wall time. */
async function toMonotonic(page: Page, log: NetLog, pageMs: number): Promise<number> {
  const origin = await page.evaluate(() => performance.timeOrigin);
  if (log.docTs === null || log.docWall === null) throw new Error('bench:viewer: no document request seen');
  return log.docTs + ((origin + pageMs) / 1000 - log.docWall);
}

type MouseType = 'mousePressed' | 'mouseMoved' | 'mouseReleased';

/**
 * Real mouse input (CDP Input.dispatchMouseEvent) on a clock: event `k` at k × `everyMs`, sent without waiting for the
 * page to acknowledge the previous one (as a hand keeps moving while a page is busy; Playwright's mouse waits for
 * each ack, and a busy page then stretches a 100 ms stroke to seconds).
 */
function drive(cdp: CDPSession, everyMs: number, event: (k: number) => { type: MouseType; x: number; y: number }): { stop(): Promise<void>; sent(): number } {
  let k = 0,
    down = false,
    last = { x: 0, y: 0 };
  const send = (type: MouseType, x: number, y: number) =>
    cdp
      .send('Input.dispatchMouseEvent', {
        type,
        x,
        y,
        button: type === 'mouseMoved' && !down ? 'none' : 'left',
        buttons: down ? 1 : 0,
        clickCount: type === 'mouseMoved' ? 0 : 1,
      })
      .catch(() => {});
  const timer = setInterval(() => {
    const e = event(k++);
    if (e.type === 'mousePressed') down = true;
    if (e.type === 'mouseReleased') down = false;
    last = e;
    void send(e.type, e.x, e.y);
  }, everyMs);
  return {
    sent: () => k,
    async stop() {
      clearInterval(timer);
      if (down) {
        down = false;
        await send('mouseReleased', last.x, last.y);
      }
    },
  };
}

/** Strokes across the middle of the box, one every 200 ms: press at 20 %, moves to 40/60/80 %, release; back the other way. */
const STROKE_MS = 40;
function strokeEvent(k: number, box: Box = BOX): { type: MouseType; x: number; y: number } {
  const phase = k % 5,
    forward = Math.floor(k / 5) % 2 === 0;
  const at = [0.2, 0.4, 0.6, 0.8, 0.8][phase]!;
  const x = box.x + box.width * (forward ? at : 1 - at),
    y = box.y + box.height / 2;
  return { type: phase === 0 ? 'mousePressed' : phase === 4 ? 'mouseReleased' : 'mouseMoved', x, y };
}

type Side = 'xoay' | 'xoay-page' | 'ci360-same' | 'ci360-source';
/** What a first-drag run opens: a page served at `url` (its body given here, so the probe can be put in), dragged across `box`. */
interface Target {
  url: string;
  html: string;
  box: Box;
}
interface FirstDrag {
  side: Side;
  round: number;
  ms: number;
  bytes: number;
  requests: number;
  readyMs: number | null;
  kinds: Record<Kind, number>;
}

/** Navigation start → the first drag that changes the shown frame, throttled. */
async function firstDrag(
  ctx: BrowserContext,
  server: StaticServer,
  side: Side,
  round: number,
  pages: Record<Side, Target>,
  warmUp = false,
): Promise<FirstDrag> {
  server.reset();
  const target = pages[side];
  server.pages.set(target.url, target.html);
  const { page, cdp, net, errors } = await openPage(ctx, true);
  try {
    await page.goto(`${server.origin}${target.url}`, { waitUntil: 'commit' });
    const driver = drive(cdp, STROKE_MS, (k) => strokeEvent(k, target.box));
    const t0 = Date.now();
    let b: Probe | null = null;
    try {
      for (;;) {
        b = await probe(page).catch(() => null); // null while the document is not yet parsed
        if (b?.first != null) break;
        if (Date.now() - t0 > RUN_TIMEOUT_MS)
          throw new Error(
            `bench:viewer: ${side}: no frame change after ${RUN_TIMEOUT_MS} ms of dragging (${[...errors, ...(b?.errors ?? [])].join('; ')}; failed requests: ${net.failed.join('; ') || 'none'})`,
          );
        await page.waitForTimeout(50);
      }
    } finally {
      await driver.stop();
    }
    const cutoff = await toMonotonic(page, net, b.first!);
    const got = bytesBy(net, cutoff);
    const r: FirstDrag = { side, round, ms: b.first!, bytes: got.bytes, requests: got.requests, readyMs: b.ready, kinds: got.kinds };
    if (values.verbose) {
      const at = (ts: number) => ((ts - net.docTs!) * 1000).toFixed(0).padStart(6);
      for (const [id, url] of net.urls) {
        const f = net.finished.get(id);
        const u = new URL(url);
        log(
          `  ${at(net.sent.get(id)!)} → ${f ? at(f.ts) : '     …'} ms ${String(f?.bytes ?? '').padStart(8)} B ${u.protocol === 'data:' ? `data:${u.pathname.slice(0, 16)}…` : u.pathname}`,
        );
      }
      log(`  first drag turned it at ${at(cutoff)} ms (page time ${b.first!.toFixed(0)} ms)`);
    }
    log(
      `${warmUp ? '(warm-up) ' : ''}${side} round ${round + 1}: first drag turned it at ${r.ms.toFixed(0)} ms after ${(r.bytes / 1000).toFixed(1)} kB (${r.requests} responses complete; ready at ${r.readyMs?.toFixed(0) ?? '—'} ms)`,
    );
    return r;
  } finally {
    await page.close();
  }
}

interface FrameTime {
  label: string;
  p50: number | null;
  p95: number | null;
  max: number | null;
  frames: number;
  moves: number;
  changes: number | null;
  viewChanged: boolean | null;
  note: string;
}

/** rAF deltas during a 2 s drag (a sine sweep across the box, a move every 16 ms), unthrottled, after loading and a 0.5 s warm-up drag. */
async function frameTime(
  ctx: BrowserContext,
  server: StaticServer,
  label: string,
  html: string,
  settle: (page: Page) => Promise<string | null>,
): Promise<FrameTime> {
  server.reset();
  server.pages.set('/frametime.html', html);
  const { page, cdp, errors } = await openPage(ctx, false);
  try {
    await page.goto(`${server.origin}/frametime.html`);
    const skip = await settle(page);
    if (skip) return { label, p50: null, p95: null, max: null, frames: 0, moves: 0, changes: null, viewChanged: null, note: skip };
    const cx = BOX.x + BOX.width / 2,
      cy = BOX.y + BOX.height / 2;
    // A held drag: press, then a sine sweep (one back-and-forth a second), from phase `from`.
    const sweep = (from: number) => (k: number) => {
      const t = ((k + from) * 16) / 1000;
      return {
        type: (k === 0 ? 'mousePressed' : 'mouseMoved') as MouseType,
        x: cx + BOX.width * 0.35 * Math.sin(2 * Math.PI * t),
        y: cy + BOX.height * 0.05 * Math.sin(4 * Math.PI * t),
      };
    };
    // Warm-up: shaders, first decode of what the drag shows.
    const warm = drive(cdp, 16, sweep(0));
    await page.waitForTimeout(500);
    await warm.stop();
    await page.waitForTimeout(500);
    const clip = { x: BOX.x, y: BOX.y, width: BOX.width, height: BOX.height };
    const shotBefore = await page.screenshot({ clip });
    const before = (await probe(page)).changes;
    await page.evaluate(() => {
      const w = window as unknown as { __raf: number[]; __rafOn: boolean };
      w.__raf = [];
      w.__rafOn = true;
      let last = 0;
      const tick = (t: number) => {
        if (last) w.__raf.push(t - last);
        last = t;
        if (w.__rafOn) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const driver = drive(cdp, 16, sweep(0));
    await page.waitForTimeout(2000);
    const moves = driver.sent();
    await driver.stop();
    const deltas = await page.evaluate(() => {
      const w = window as unknown as { __raf: number[]; __rafOn: boolean };
      w.__rafOn = false;
      return w.__raf;
    });
    const after = await probe(page);
    await page.waitForTimeout(300);
    const shotAfter = await page.screenshot({ clip });
    if (errors.length) log(`${label}: page errors: ${errors.join('; ')}`);
    log(`${label}: ${deltas.length} frames, p50 ${percentile(deltas, 50).toFixed(1)} ms, p95 ${percentile(deltas, 95).toFixed(1)} ms`);
    return {
      label,
      p50: percentile(deltas, 50),
      p95: percentile(deltas, 95),
      max: Math.max(...deltas),
      frames: deltas.length,
      moves,
      changes: after.changes - before,
      viewChanged: !shotBefore.equals(shotAfter),
      note: '',
    };
  } finally {
    await page.close();
  }
}

/** Waits for the probe's `ready` (or `failed`); then for the network to go quiet, so that loading is not measured. */
async function settled(page: Page, what: string): Promise<string | null> {
  const t0 = Date.now();
  for (;;) {
    const b = await probe(page);
    if (b.failed || b.errors.length) return b.errors.filter(Boolean).join('; ') || `${what} failed`;
    if (b.ready != null) break;
    if (Date.now() - t0 > 60_000) return `${what}: not ready after 60 s`;
    await page.waitForTimeout(100);
  }
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(500);
  return null;
}

/** Where a page lays out its `<xoay-viewer>` in the 1280×800 window (loaded once, unthrottled), for the strokes. */
async function elementBox(ctx: BrowserContext, server: StaticServer, url: string, html: string): Promise<Box> {
  server.pages.set(url, html);
  const { page } = await openPage(ctx, false);
  try {
    await page.goto(`${server.origin}${url}`);
    const b = await page.locator('xoay-viewer').first().boundingBox();
    if (!b || b.width < 100 || b.height < 100 || b.y + b.height > 800)
      throw new Error(`bench:viewer: ${url}: the viewer is not in the first screen (${JSON.stringify(b)})`);
    return { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
  } finally {
    await page.close();
  }
}

// --- main ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  if (!existsSync(CHROMIUM)) throw new Error(`bench:viewer: needs Debian chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const peers = await fetchPeers();
  const inputs = await makeInputs();
  const manifest = JSON.parse(await readFile(path.join(inputs.spin, 'spin.json'), 'utf8')) as {
    width: number;
    height: number;
    widths: number[];
    rows: { sprite: { src: string; frameWidth: number; frameHeight: number } }[];
  };

  // Bundle sizes. dist/viewer is copied first, so that the run measures and serves one build throughout.
  const distViewer = path.join(WORK, 'dist-viewer');
  await rm(distViewer, { recursive: true, force: true });
  await cp(path.join(ROOT, 'dist/viewer'), distViewer, { recursive: true });
  const entry = path.join(distViewer, 'xoay-viewer.js');
  const spinPath = await graph(entry, false);
  const fullPath = await graph(entry, true);
  const notCounted = (await jsFiles(distViewer))
    .filter((f) => !fullPath.files.some((g) => g.file === f))
    .map((f) => path.relative(distViewer, f))
    .sort();
  const ci360Bundle = await readFile(path.join(peers.ci360, CI360.bundle));
  const mvBundle = await readFile(path.join(peers.mv, MV.bundle));
  const bundles = { ci360: { bytes: ci360Bundle.length, gzip: gz(ci360Bundle) }, mv: { bytes: mvBundle.length, gzip: gz(mvBundle) } };

  // Source frames for CI360, and xoay's JPEG rendition at the width xoay shows in the box (DPR 1).
  const sourceDir = path.join(ROOT, 'samples/stool-turntable');
  const sources = (await readdir(sourceDir)).filter((n) => /\.jpe?g$/i.test(n)).sort();
  const fitW = Math.min(BOX.width, (BOX.height * manifest.width) / manifest.height);
  const shownWidth = manifest.widths.find((w) => w >= Math.ceil(fitW)) ?? manifest.widths[manifest.widths.length - 1]!;
  const renditionDir = path.join(inputs.spin, 'row-1', String(shownWidth));
  const renditionJpegs = (await readdir(renditionDir)).filter((n) => n.endsWith('.jpg')).sort();
  const sumSizes = async (dir: string, names: string[]) =>
    (await Promise.all(names.map((n) => stat(path.join(dir, n)).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  const sourceBytes = await sumSizes(sourceDir, sources);
  const renditionBytes = await sumSizes(renditionDir, renditionJpegs);
  if (sources.length !== 36 || renditionJpegs.length !== 36)
    throw new Error(`bench:viewer: expected 36 frames, got ${sources.length} sources and ${renditionJpegs.length} renditions`);
  const spriteCell = `${manifest.rows[0]!.sprite.frameWidth}×${manifest.rows[0]!.sprite.frameHeight}`;
  const meta = await sharp(path.join(sourceDir, sources[0]!)).metadata();
  const sourceMeta = `${meta.width}×${meta.height}`;

  const modelDir = path.join(WORK, 'source-model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, 'model.glb'), await readFile(inputs.sourceModel));

  const server = await startServer({
    '/viewer/': distViewer,
    '/spin/': inputs.spin,
    '/src/': sourceDir,
    '/ci360/': path.join(peers.ci360, 'dist'),
    '/mv/': path.join(peers.mv, 'dist'),
    '/model/': inputs.model,
    '/source-model/': modelDir,
    '/site/': inputs.site,
  });
  const browser = await launch();
  const firstDrags: FirstDrag[] = [];
  const frameTimes: FrameTime[] = [];
  let pageBox: Box = BOX;
  try {
    const productUrl = `/site/${SAMPLE_ID}/first.html`;
    const productHtml = productPageWithProbe(await readFile(path.join(inputs.site, SAMPLE_ID, 'index.html'), 'utf8'));
    const pages: Record<Side, Target> = {
      xoay: { url: '/first.html', html: xoaySpinPage(), box: BOX },
      'xoay-page': { url: productUrl, html: productHtml, box: await elementBox(browser.ctx, server, productUrl, productHtml) },
      'ci360-same': { url: '/first.html', html: ci360Page(`/spin/row-1/${shownWidth}/`, '{index}.jpg'), box: BOX },
      'ci360-source': { url: '/first.html', html: ci360Page('/src/', sources[0]!.replace(/\d{3}(?=\.jpe?g$)/i, '{index}')), box: BOX },
    };
    pageBox = pages['xoay-page'].box;
    log(`product page: the viewer's box is ${JSON.stringify(pageBox)}`);
    // Warm-up (not counted): the first throttled navigation of a fresh browser is slower whatever it loads.
    for (const side of ['xoay', 'xoay-page', 'ci360-same'] as const) await firstDrag(browser.ctx, server, side, -1, pages, true);
    const modelKB = kB((await stat(path.join(inputs.model, 'model.glb'))).size);
    const sourceKB = kB((await stat(inputs.sourceModel)).size);
    const FT: { label: string; spin: boolean; html: string; settle: (p: Page) => Promise<string | null> }[] = [
      { label: 'xoay spin, drag', spin: true, html: pages.xoay.html, settle: (p) => settled(p, 'xoay spin') },
      {
        label: `CI360 ${CI360.version}, drag (reference, xoay's ${shownWidth}-px JPEGs)`,
        spin: true,
        html: pages['ci360-same'].html,
        settle: (p) => settled(p, 'CI360'),
      },
      {
        label: `xoay 3D, orbit drag (\`xoay model\` output, ${modelKB} kB)`,
        spin: false,
        html: xoayModelPage(),
        settle: async (p) => {
          const why = await settled(p, 'xoay 3D');
          if (why && /not available yet/i.test(why)) return 'not measured (3D not yet built)';
          return why ? `not measured (${why})` : null;
        },
      },
      {
        label: `model-viewer ${MV.version}, orbit drag (reference: the source GLB, ${sourceKB} kB)`,
        spin: false,
        html: modelViewerPage(),
        settle: async (p) => {
          const why = await settled(p, 'model-viewer');
          return why ? `not measured (${why})` : null;
        },
      },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['xoay', 'xoay-page', 'ci360-same', 'ci360-source'] : ['ci360-source', 'ci360-same', 'xoay-page', 'xoay'];
      for (const side of order) firstDrags.push(await firstDrag(browser.ctx, server, side, round, pages));
      for (const f of round % 2 === 0 ? FT : [...FT].reverse()) {
        const r = await frameTime(browser.ctx, server, f.label, f.html, f.settle);
        if (!f.spin) r.changes = null; // a spin figure
        frameTimes.push(r);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const totalSeconds = (performance.now() - t0) / 1000;

  // --- report -------------------------------------------------------------------------------------------------------
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  const ms = (x: number | null) => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(1));
  const SIDES: { side: Side; label: string }[] = [
    { side: 'xoay', label: `xoay \`<xoay-viewer loading="eager">\` (spin.json: AVIF/WebP/JPEG at ${manifest.widths.join('/')} px + an AVIF/WebP/JPEG sprite)` },
    {
      side: 'xoay-page',
      label: `xoay product page (\`xoay build ${SAMPLE_PRODUCT}\`: the page as built, its viewer ${pageBox.width}×${pageBox.height} CSS px, loading lazy)`,
    },
    { side: 'ci360-same', label: `CI360 ${CI360.version} on xoay's ${shownWidth}-px JPEG rendition (36 × ${shownWidth}², ${kB(renditionBytes)} kB)` },
    { side: 'ci360-source', label: `CI360 ${CI360.version} on the 36 source JPEGs (${sourceMeta}, ${kB(sourceBytes)} kB)` },
  ];
  const stats = (side: Side) => {
    const rs = firstDrags.filter((r) => r.side === side);
    return {
      rs,
      ms: median(rs.map((r) => r.ms)),
      bytes: median(rs.map((r) => r.bytes)),
      ready: rs.every((r) => r.readyMs != null) ? median(rs.map((r) => r.readyMs!)) : null,
    };
  };
  const x = stats('xoay');
  const dragTable = [
    '| run | ms to first drag that turns it (median) | kB received by then (median) | of which code / sprite / frames kB (medians) | vs xoay: bytes | vs xoay: time | ready (median ms) | all runs (ms / kB) |',
    '|---|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const { side, label } of SIDES) {
    const s = stats(side);
    dragTable.push(
      `| ${label} | ${s.ms.toFixed(0)} | ${kB(s.bytes)} | ${(['code', 'sprite', 'frames'] as const).map((k) => kB(median(s.rs.map((r) => r.kinds[k])))).join(' / ')} | ${side === 'xoay' ? '1×' : `${(s.bytes / x.bytes).toFixed(1)}×`} | ${side === 'xoay' ? '1×' : `${(s.ms / x.ms).toFixed(1)}×`} | ${s.ready?.toFixed(0) ?? '—'} | ${s.rs.map((r) => `${r.ms.toFixed(0)} / ${kB(r.bytes)}`).join(', ')} |`,
    );
  }

  // What xoay's first-drag bytes are made of: code and sprite are what `load` needs; frames are full frames its loader
  // fetched alongside the sprite.
  const xk = (k: Kind) => median(x.rs.map((r) => r.kinds[k]));
  const needed = xk('code') + xk('sprite');
  const same = stats('ci360-same');
  const xoayNote = `Of xoay's ${kB(x.bytes)} kB at its first drag (medians), ${kB(xk('frames'))} kB are the poster and full frames (frames are fetched only once the sprite is in); what \`load\` itself needs, code + sprite, is ${kB(needed)} kB, ${(same.bytes / needed).toFixed(1)}× less than CI360 on the same JPEGs.`;

  const targets: string[] = [];
  let allOk = true;
  const check = (ok: boolean, text: string) => {
    allOk &&= ok;
    targets.push(`- ${mark(ok)} ${text}`);
  };
  for (const side of ['ci360-same', 'ci360-source'] as const) {
    const s = stats(side);
    const what = side === 'ci360-same' ? `CI360 on the same ${shownWidth}-px JPEGs` : 'CI360 on the source JPEGs';
    check(
      s.bytes / x.bytes >= 5,
      `bytes until the first drag turns it: ${what} ${kB(s.bytes)} kB / xoay ${kB(x.bytes)} kB = **${(s.bytes / x.bytes).toFixed(1)}×** fewer for xoay (target ≥ 5×)`,
    );
    check(
      s.ms / x.ms >= 3,
      `time until the first drag turns it: ${what} ${s.ms.toFixed(0)} ms / xoay ${x.ms.toFixed(0)} ms = **${(s.ms / x.ms).toFixed(1)}×** sooner for xoay (target ≥ 3×)`,
    );
  }
  const productPage = stats('xoay-page');
  check(
    productPage.ms <= 1400,
    `time until the first drag turns it on the built product page: **${productPage.ms.toFixed(0)} ms** (target ≤ 1400 ms; requests complete by then: ${median(productPage.rs.map((r) => r.requests))})`,
  );
  check(
    spinPath.gzip <= 12_000,
    `spin path ${kB(spinPath.gzip)} kB (${(spinPath.gzip / 1024).toFixed(1)} KiB) gzip ≤ 12 kB (CI360 ${CI360.version}: ${kB(bundles.ci360.gzip)} kB, ${(bundles.ci360.gzip / 1024).toFixed(1)} KiB)`,
  );
  check(
    fullPath.gzip <= 0.8 * bundles.mv.gzip,
    `spin + 3D ${kB(fullPath.gzip)} kB gzip ≤ 0.8 × model-viewer ${MV.version} ${kB(bundles.mv.gzip)} kB = ${kB(0.8 * bundles.mv.gzip)} kB: **${((100 * fullPath.gzip) / bundles.mv.gzip).toFixed(0)} %** of it`,
  );

  const dv = (f: string) => `dist/viewer/${path.relative(distViewer, f)}`;
  const bundleTable = [
    '| bundle | files | bytes | gzip -9 (kB) |',
    '|---|---|---:|---:|',
    `| xoay spin path (xoay-viewer.js + static imports) | ${spinPath.files.map((f) => `${dv(f.file)} (${kB(f.gzip)})`).join(', ')} | ${spinPath.bytes} | **${kB(spinPath.gzip)}** |`,
    `| CI360 ${CI360.version} | ${CI360.bundle} | ${bundles.ci360.bytes} | ${kB(bundles.ci360.gzip)} |`,
    `| xoay spin + 3D (everything reachable, dynamic imports too) | ${fullPath.files.map((f) => `${dv(f.file)} (${kB(f.gzip)})`).join(', ')} | ${fullPath.bytes} | **${kB(fullPath.gzip)}** |`,
    `| @google/model-viewer ${MV.version} (three bundled) | ${MV.bundle} | ${bundles.mv.bytes} | ${kB(bundles.mv.gzip)} |`,
  ];

  const ftTable = [
    '| run | rAF p50 ms | rAF p95 ms | max ms | rAF callbacks in 2 s | pointer moves sent | spin frames shown | view changed | all rounds: p50 / p95 ms | note |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const label of [...new Set(frameTimes.map((f) => f.label))]) {
    const all = frameTimes.filter((f) => f.label === label);
    const ok = all.filter((f) => f.p50 != null);
    const med = (g: (f: FrameTime) => number) => (ok.length ? median(ok.map(g)) : null);
    const changes = ok.length && ok[0]!.changes != null ? String(median(ok.map((f) => f.changes!))) : '—';
    const changed = ok.length ? (ok.every((f) => f.viewChanged) ? 'yes' : ok.some((f) => f.viewChanged) ? 'in some rounds' : 'no') : '—';
    const notes = [...new Set(all.map((f) => f.note).filter(Boolean))].join('; ');
    ftTable.push(
      `| ${label} | ${ms(med((f) => f.p50!))} | ${ms(med((f) => f.p95!))} | ${ms(ok.length ? Math.max(...ok.map((f) => f.max!)) : null)} | ${med((f) => f.frames) ?? '—'} | ${med((f) => f.moves) ?? '—'} | ${changes} | ${changed} | ${ok.map((f) => `${ms(f.p50)} / ${ms(f.p95)}`).join(', ') || '—'} | ${notes} |`,
    );
  }

  const lines = [
    `## Viewer benchmark (first drag under a throttled network, bundle sizes, frame time)`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench:viewer${ROUNDS !== 3 ? ` -- --rounds ${ROUNDS}` : ''}\` (bench/viewer.ts) in ${totalSeconds.toFixed(0)} s: Node ${process.version}, Chromium ${browser.version} (Debian, headless, SwiftShader), playwright-core, ${os.availableParallelism()} cores. Peers from npm: ${CI360.name} ${CI360.version}, ${MV.name} ${MV.version} (\`npm pack\`, not dependencies).`,
    '',
    `### Time and bytes until the first drag turns the spin`,
    '',
    `One Chromium, a 1280×800 desktop page at DPR 1, the viewer in a ${BOX.width}×${BOX.height} CSS px box. Network throttled by CDP \`Network.emulateNetworkConditions\` (${(THROTTLE.downloadThroughput * 8) / 1e6} Mbps down and up, ${THROTTLE.latency} ms latency), cache disabled, keep-alive connections dropped between runs; the server is on 127.0.0.1 and gzips text (level ${GZIP_LEVEL}), images as they are. From navigation start the page is dragged with real mouse input (CDP \`Input.dispatchMouseEvent\` on a clock, not waiting for the page: a stroke of press, three moves across 60 % of the box and release every ${5 * STROKE_MS} ms, back and forth) until the shown frame changes: the time is taken in the page at that moment; the bytes are everything CDP saw arrive up to then (headers included; responses still in flight counted as far as they got). Xoay: the first \`framechange\` after \`load\` away from the frame drawn at \`load\` (the element reports frame changes from drags before \`load\` too, while only the poster is there: those do not count); CI360: the first \`onSpin\` (it takes no drag until every image is loaded). Xoay's first turns show the cells of its sprite (${spriteCell} px per frame, scaled up to the box) until full frames arrive; CI360 shows full frames from its first turn. A warm-up run of each (not counted) comes first. Same frames: the committed 36-frame shoot \`samples/stool-turntable\`. Xoay shows its ${shownWidth}-px rendition in this box (the image fits ${Math.round(fitW)} px); CI360 has no renditions, so it runs twice: on xoay's ${shownWidth}-px JPEGs (the same pixels in the same box, processed by xoay: the fair comparison) and on the source JPEGs as shot. CI360 is set up with its documented \`CI360.init(container, { folder, filenameX, amountX: 36, indexZeroBase: 3 })\`, defaults otherwise. The product page run opens the page \`xoay build\` wrote for the committed sample product (${SAMPLE_PRODUCT}: its shoot and model), as built but for the probe's two inline scripts, and drags across its viewer where the page lays it out (${pageBox.width}×${pageBox.height} CSS px at ${pageBox.x}, ${pageBox.y}; it loads lazily, the element's default): every round trip the page makes before the viewer can turn counts. Runs alternate, ${ROUNDS} rounds; medians.`,
    '',
    ...dragTable,
    '',
    xoayNote,
    '',
    `### Bundle sizes (gzip level ${GZIP_LEVEL}, node:zlib; kB = 1000 bytes)`,
    '',
    ...bundleTable,
    '',
    `The spin path is the module graph of dist/viewer/xoay-viewer.js through its static imports (what a page with the element downloads); the 3D path adds what it imports dynamically (three.js and the 3D viewer, loaded only when 3D is shown). Not counted: ${notCounted.length ? notCounted.map((f) => `\`${f}\``).join(', ') : 'nothing'} (the Draco/Basis decoders, fetched only for models that need them — model-viewer fetches its own from a CDN — and the bundler entry index.js).`,
    '',
    `### Frame time during a drag (unthrottled, after loading)`,
    '',
    `requestAnimationFrame deltas in the page during a 2 s drag (a pointer move every 16 ms, a sine sweep across 70 % of the box, after a 0.5 s warm-up drag), once per round; medians of the rounds' p50 and p95, max over all rounds; "view changed": a screenshot of the box differs before and after the drag. The spin (xoay on its own files; CI360 on xoay's ${shownWidth}-px JPEGs), and an orbit of the 3D model (xoay: \`<xoay-viewer model>\` on \`xoay model\`'s output, meshopt + KTX2, with \`decoder-path\` set to the build's decoders/ folder; model-viewer on the source GLB, which it can load without its CDN decoders). WebGL is SwiftShader on the CPU here: 3D frame times are the machine's, not a GPU's.`,
    '',
    ...ftTable,
    '',
    `### Targets: ${allOk ? 'all hold' : 'not all hold'}`,
    '',
    ...targets,
    '',
    `Requests to hosts other than 127.0.0.1: ${FOREIGN.length ? [...new Set(FOREIGN)].join(', ') : 'none'}.`,
    '',
    'Commands (run from the project root):',
    '',
    ...COMMANDS.map((c) => `- \`${c}\``),
    `- then Chromium through playwright-core against a static server on 127.0.0.1 serving dist/viewer/, ${rel(inputs.spin)}/, samples/stool-turntable/, ${rel(inputs.model)}/, the peers' dist/ folders and the source GLB.`,
    '',
  ];
  const text = lines.join('\n');
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench/results/viewer.md'), text);
  process.stdout.write(text + '\n');
}

await main();
