/**
 * `renderTurntable`: a poster and a fallback spin for a product that has a model but no shoot. The GLB is drawn in
 * headless Chromium (WebGL 2 on SwiftShader) by the viewer's own 3D studio (viewer/core/three-scene.ts, through the
 * prebuilt page in dist/render/, source pipeline/render/page/), one browser and one page for all frames:
 * the model turns once about its vertical axis in front of a fixed camera, frame i at i·360°/frames
 * (counter-clockwise from above, like a turntable shoot), on a plain backdrop, fitted so it covers ~80 % of the frame
 * over the whole turn. The output is a plain folder of numbered PNGs (frame-000.png …) that `spin()` turns into a
 * spin. Deterministic: the same model and options on the same machine give the same frames.
 *
 * For many models (a catalogue) `openTurntableRenderer()` keeps one browser, page and studio for all of them: the
 * browser start and the environment light (seconds on a CPU) are paid once.
 *
 * The page is served from 127.0.0.1 (the model from memory) and every other request is refused: it works offline.
 * Frames are written into a temporary sibling of the output folder and renamed into place at the end; the browser,
 * the server and the temporary profile are closed and removed also when rendering fails.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { XoayError, isXoayError } from '../core/errors.js';
import { findChromium, launchChromium, withTimeout, type ChromiumSession } from '../core/chromium.js';
import { serveStatic, type StaticServer } from '../core/static-server.js';
import { openOutput, type OutputFolder } from '../core/fsout.js';
import { assertInteger, assertNumber, invalid, withDefaults } from '../core/options.js';
import type { Framing, RenderApi, RenderInfo, RenderSetup, RenderView } from './page/protocol.js';

export type { Framing, RenderView } from './page/protocol.js';

const STAGE = 'render';

export interface RenderOptions {
  /** Frames in one full turn (36: one every 10°). */
  frames: number;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Camera elevation above the horizontal, degrees (15: the viewer's starting view). */
  elevationDeg: number;
  /** Backdrop colour, CSS hex `#rrggbb` or `#rgb`; it comes out exactly (it is not lit or tone-mapped). */
  background: string;
  /** Chromium executable; default: $XOAY_CHROMIUM, else /usr/bin/chromium. */
  chromium?: string;
  /** Folder of the built render page (index.html, index.js, decoders/); default: dist/render of this package. */
  pageDir?: string;
  /**
   * Fixed views instead of a turn (`frames` and `elevationDeg` are then unused): frame i shows the model turned by
   * `views[i].turnDeg` seen from `views[i].elevationDeg` (90: from above), each view fitted on its own.
   */
  views?: RenderView[];
  /** The framing of an earlier render (`info.framing`), reused instead of fitting this model (same frames or views). */
  framing?: Framing;
}

export const RENDER_DEFAULTS: RenderOptions = { frames: 36, width: 1024, height: 1024, elevationDeg: 15, background: '#ffffff' };

export interface RenderResult {
  /** Absolute paths of the PNG frames, frame-000.png first, in turn order (counter-clockwise seen from above). */
  frames: string[];
  /** The 3/4 view: the frame nearest 30° of turn (one of `frames`, not a copy). */
  poster: string;
  /** Wall-clock seconds of the whole call (with a renderer from openTurntableRenderer: of this model, not its wait in the queue). */
  seconds: number;
  /** What the renderer found: triangles, model size, the frame share covered, three.js and GL renderer. */
  info: RenderInfo & { threeRevision: string; glRenderer: string };
}

/** Share of the frame (width or height, whichever binds) the object covers over the whole turn. */
const FILL = 0.8;
/** Angle of the poster's view, degrees of turn. */
const POSTER_DEG = 30;
/** The longest one browser step (start, page load, model setup, one frame) may take. */
const STEP_TIMEOUT_MS = 120_000;
/** Output file names: frame-000.png … */
const FRAME_NAME = /^frame-\d{3,}\.png$/;

function validate(o: RenderOptions): void {
  assertInteger(STAGE, 'frames', o.frames, 1, 720);
  assertInteger(STAGE, 'width', o.width, 16, 4096);
  assertInteger(STAGE, 'height', o.height, 16, 4096);
  assertNumber(STAGE, 'elevationDeg', o.elevationDeg, -80, 80);
  if (typeof o.background !== 'string' || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(o.background))
    throw invalid(STAGE, 'background', 'a CSS hex colour (#rrggbb or #rgb)', o.background);
  if (o.chromium !== undefined && (typeof o.chromium !== 'string' || !o.chromium))
    throw invalid(STAGE, 'chromium', 'the path of a Chromium executable', o.chromium);
  if (o.pageDir !== undefined && (typeof o.pageDir !== 'string' || !o.pageDir)) throw invalid(STAGE, 'pageDir', 'a folder', o.pageDir);
  if (o.views !== undefined) {
    const ok =
      Array.isArray(o.views) &&
      o.views.length >= 1 &&
      o.views.length <= 720 &&
      o.views.every(
        (v) =>
          v !== null &&
          typeof v === 'object' &&
          Number.isFinite(v.turnDeg) &&
          Number.isFinite(v.elevationDeg) &&
          Math.abs(v.turnDeg) <= 3600 &&
          Math.abs(v.elevationDeg) <= 90,
      );
    if (!ok) throw invalid(STAGE, 'views', 'a list of 1–720 { turnDeg, elevationDeg (−90…90) }', o.views);
  }
  if (o.framing !== undefined) {
    const f = o.framing;
    const nums = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((x) => Number.isFinite(x));
    const ok =
      f !== null &&
      typeof f === 'object' &&
      nums(f.centre, 3) &&
      Array.isArray(f.cameras) &&
      f.cameras.length === (o.views ? o.views.length : 1) &&
      f.cameras.every((c) => nums(c.position, 3) && nums(c.quaternion, 4) && c.near > 0 && c.far > c.near);
    if (!ok) throw invalid(STAGE, 'framing', "an earlier render's info.framing, for the same views", '(a framing that does not fit)');
  }
}

/** The built page: `pageDir`, else dist/render beside the compiled module (dist/pipeline/render/), else <root>/dist/render from the sources. */
function findPage(pageDir: string | undefined): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = pageDir ? [path.resolve(pageDir)] : [path.resolve(here, '../../render'), path.resolve(here, '../../dist/render')];
  const found = candidates.find((d) => existsSync(path.join(d, 'index.html')));
  if (!found) {
    throw new XoayError(
      STAGE,
      'MISSING_RESOURCE',
      `the render page is not built (no index.html in ${candidates.join(' or ')}): run \`npm run build\` (it runs \`vite build --mode render\`)`,
    );
  }
  return found;
}

/** `stage: problem` of anything thrown; XoayErrors pass unchanged. */
function fail(e: unknown, what: string): XoayError {
  if (isXoayError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new XoayError(STAGE, 'MISSING_RESOURCE', `${what} (${msg.split('\n')[0]})`, undefined, { cause: e });
}

/** An existing output folder is replaced only when it holds nothing but frames (a previous render). */
async function checkOutput(outDir: string): Promise<void> {
  let names: string[];
  try {
    if (!(await stat(outDir)).isDirectory()) throw new XoayError(STAGE, 'OUTPUT_EXISTS', 'a file stands where the output folder should be', outDir);
    names = await readdir(outDir);
  } catch (e) {
    if (isXoayError(e)) throw e;
    return; // not there yet
  }
  const other = names.filter((n) => !FRAME_NAME.test(n));
  if (other.length) {
    throw new XoayError(
      STAGE,
      'OUTPUT_EXISTS',
      `the output folder exists and holds other files than frames (${other.slice(0, 3).join(', ')}${other.length > 3 ? ' …' : ''}); refusing to replace it`,
      outDir,
    );
  }
}

/** The options a renderer is opened with (the rest are per model). */
export type RendererOptions = Pick<RenderOptions, 'chromium' | 'pageDir'>;

export interface TurntableRenderer {
  /**
   * Renders one model as `renderTurntable` does, in the browser and page this renderer keeps open (calls are queued:
   * one model at a time). After a failure that is not the model's (a crash, a timeout) the browser is started again
   * for the next call.
   */
  render(glb: Uint8Array, outDir: string, options?: Partial<Omit<RenderOptions, keyof RendererOptions>>): Promise<RenderResult>;
  /**
   * Runs `fn` in the page with `glb` served at `modelUrl` (queued with the renders; the studio is made first): for the
   * page's other functions (the USDZ export, usdz.ts). A throw from `fn` restarts the browser for the next call.
   */
  withModel<T>(glb: Uint8Array, fn: (page: Page, modelUrl: string) => Promise<T>): Promise<T>;
  /** Closes the browser and the server and removes the profile; safe to call more than once. */
  close(): Promise<void>;
}

/** A browser with the render page loaded and its studio made (WebGL checked, the environment light computed). */
interface Browser {
  session: ChromiumSession;
  server: StaticServer;
  /** The model bytes the server hands out, by URL path (its pages). */
  models: Map<string, string | Uint8Array>;
  threeRevision: string;
  glRenderer: string;
}

async function startBrowser(executable: string, pageDir: string): Promise<Browser> {
  const models = new Map<string, string | Uint8Array>();
  // Both start at once; whichever started is stopped again if the other fails.
  const starting = [
    serveStatic({ mounts: { '/': pageDir }, pages: models, cacheControl: 'no-store' }),
    launchChromium({ stage: STAGE, executable, viewport: { width: 256, height: 256 }, profilePrefix: 'xoay-render-profile-' }),
  ] as const;
  let server: StaticServer | undefined;
  let session: ChromiumSession | undefined;
  try {
    server = await starting[0];
    session = await starting[1];
    const { page, pageErrors } = session;
    try {
      await page.goto(`${server.origin}/index.html`, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
      await page.waitForFunction(() => (window as Window & { xoayRender?: RenderApi }).xoayRender !== undefined, undefined, { timeout: STEP_TIMEOUT_MS });
    } catch (e) {
      throw fail(e, `the render page in ${pageDir} did not start${pageErrorsNote(pageErrors)}`);
    }
    let init;
    try {
      init = await withTimeout(
        'making the studio',
        page.evaluate(() => (window as Window & { xoayRender?: RenderApi }).xoayRender!.init()),
        STEP_TIMEOUT_MS,
      );
    } catch (e) {
      throw fail(e, `the render page failed while making the studio${pageErrorsNote(pageErrors)}`);
    }
    if (!init.ok)
      throw new XoayError(
        STAGE,
        'RENDER_FAILED',
        `WebGL 2 is not available in Chromium (${executable}): ${init.message.replace(/\.$/, '')} (it renders on the CPU with SwiftShader, which this Chromium build or its flags may lack)`,
      );
    return { session, server, models, threeRevision: init.threeRevision, glRenderer: init.glRenderer };
  } catch (e) {
    await Promise.all([
      starting[0].then(
        (sv) => sv.close(),
        () => undefined,
      ),
      starting[1].then(
        (se) => se.close(),
        () => undefined,
      ),
    ]);
    throw e;
  }
}

function pageErrorsNote(pageErrors: string[]): string {
  return pageErrors.length ? ` (page errors: ${pageErrors.slice(0, 3).join('; ')})` : '';
}

/** Checks a GLB's header before a browser sees it. */
function checkGlb(glb: Uint8Array): void {
  if (!(glb instanceof Uint8Array) || glb.byteLength < 12)
    throw new XoayError(STAGE, 'MODEL_INVALID', `the model is empty or too short to be a GLB (${glb?.byteLength ?? 0} bytes)`);
  if (Buffer.from(glb.buffer, glb.byteOffset, 4).toString('latin1') !== 'glTF')
    throw new XoayError(STAGE, 'MODEL_INVALID', 'the model is not a binary glTF (GLB): it does not start with "glTF"');
}

/**
 * Opens a renderer for many models (a catalogue): the browser, the page and the studio's environment light are made
 * once (the browser itself on the first `render`). Close it when done.
 */
export async function openTurntableRenderer(options?: Partial<RendererOptions>): Promise<TurntableRenderer> {
  const o = withDefaults<RenderOptions>(RENDER_DEFAULTS, options);
  validate(o);
  const executable = findChromium(STAGE, o.chromium);
  const pageDir = findPage(o.pageDir);
  let browser: Promise<Browser> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  let models = 0;

  const stopBrowser = async () => {
    const b = await browser?.catch(() => undefined);
    browser = undefined;
    await b?.session.close();
    await b?.server.close();
  };

  const renderOne = async (glb: Uint8Array, outDir: string, opts: Partial<RenderOptions> | undefined): Promise<RenderResult> => {
    const started = performance.now();
    const r = withDefaults<RenderOptions>(o, opts);
    validate(r);
    checkGlb(glb);
    if (closed) throw new XoayError(STAGE, 'MISSING_RESOURCE', 'the renderer is closed');
    const target = path.resolve(outDir);
    await checkOutput(target);
    const b = await (browser ??= startBrowser(executable, pageDir)).catch((e: unknown) => {
      browser = undefined;
      throw e;
    });
    const job: Job = { browser: b, modelPath: `/model-${++models}.glb`, errorsBefore: b.session.pageErrors.length, healthy: true };
    b.models.set(job.modelPath, glb);
    let out: OutputFolder | undefined;
    try {
      out = await openOutput(target, { stage: STAGE, inputs: [], force: true });
      const info = await setupModel(job, r);
      const names = await renderFrames(job, r.views ? r.views.length : r.frames, out);
      checkPageErrors(job);
      await out.commit();
      const frames = names.map((n) => path.join(target, n));
      return {
        frames,
        poster: r.views ? frames[0]! : frames[Math.round((POSTER_DEG / 360) * r.frames) % r.frames]!,
        seconds: Math.round(performance.now() - started) / 1000,
        info: { ...info, threeRevision: b.threeRevision, glRenderer: b.glRenderer },
      };
    } catch (e) {
      await out?.abort();
      if (!job.healthy) await stopBrowser(); // the next model gets a fresh browser
      throw fail(e, 'rendering failed');
    } finally {
      b.models.delete(job.modelPath);
      const { page } = b.session;
      if (job.healthy && !page.isClosed())
        await page.evaluate(() => (window as Window & { xoayRender?: RenderApi }).xoayRender!.unload()).catch(() => undefined);
    }
  };

  const withModelOne = async <T>(glb: Uint8Array, fn: (page: Page, modelUrl: string) => Promise<T>): Promise<T> => {
    checkGlb(glb);
    if (closed) throw new XoayError(STAGE, 'MISSING_RESOURCE', 'the renderer is closed');
    const b = await (browser ??= startBrowser(executable, pageDir)).catch((e: unknown) => {
      browser = undefined;
      throw e;
    });
    const modelPath = `/model-${++models}.glb`;
    b.models.set(modelPath, glb);
    try {
      return await fn(b.session.page, `${b.server.origin}${modelPath}`);
    } catch (e) {
      await stopBrowser();
      throw e;
    } finally {
      b.models.delete(modelPath);
    }
  };

  return {
    withModel(glb, fn) {
      const run = queue.then(() => withModelOne(glb, fn));
      queue = run.catch(() => undefined);
      return run;
    },
    render(glb, outDir, opts) {
      const run = queue.then(() => renderOne(glb, outDir, opts));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      await queue;
      await stopBrowser();
    },
  };
}

/** One model's render in an open browser: what its steps share. */
interface Job {
  browser: Browser;
  /** The URL path the server hands the model out at. */
  modelPath: string;
  /** The page's errors before this model (later ones are its own). */
  errorsBefore: number;
  /** Whether the page is still fit for the next model (a step that leaves it unfit sets this to false). */
  healthy: boolean;
}

/** The page loads the model and fits the camera to it; what it found. */
async function setupModel(job: Job, r: RenderOptions): Promise<RenderInfo> {
  const { page, pageErrors } = job.browser.session;
  const setup: RenderSetup = {
    modelUrl: `${job.browser.server.origin}${job.modelPath}`,
    frames: r.frames,
    width: r.width,
    height: r.height,
    elevationDeg: r.elevationDeg,
    background: r.background,
    fill: FILL,
    ...(r.views ? { views: r.views } : {}),
    ...(r.framing ? { framing: r.framing } : {}),
  };
  let result;
  try {
    result = await withTimeout(
      'setting up the model',
      page.evaluate((s) => (window as Window & { xoayRender?: RenderApi }).xoayRender!.setup(s), setup),
      STEP_TIMEOUT_MS,
    );
  } catch (e) {
    job.healthy = false;
    throw fail(e, `the render page failed while setting up the model${pageErrorsNote(pageErrors.slice(job.errorsBefore))}`);
  }
  if (!result.ok) {
    if (result.kind === 'model') throw new XoayError(STAGE, 'MODEL_INVALID', `the model could not be loaded: ${result.message}`);
    job.healthy = false;
    throw new XoayError(STAGE, 'RENDER_FAILED', `the model could not be drawn: ${result.message}${pageErrorsNote(pageErrors.slice(job.errorsBefore))}`);
  }
  return result.info;
}

/** Renders every frame into `out` (each written while the next renders); returns the file names in turn order. */
async function renderFrames(job: Job, frames: number, out: OutputFolder): Promise<string[]> {
  const { page, pageErrors } = job.browser.session;
  const digits = Math.max(3, String(frames - 1).length);
  const names = Array.from({ length: frames }, (_, i) => `frame-${String(i).padStart(digits, '0')}.png`);
  const prefix = 'data:image/png;base64,';
  const writes: Promise<void>[] = [];
  try {
    for (let i = 0; i < frames; i++) {
      let url: string;
      try {
        url = await withTimeout(
          `rendering frame ${i}`,
          page.evaluate((index) => (window as Window & { xoayRender?: RenderApi }).xoayRender!.frame(index), i),
          STEP_TIMEOUT_MS,
        );
      } catch (e) {
        job.healthy = false;
        throw fail(e, `frame ${i} could not be rendered${pageErrorsNote(pageErrors.slice(job.errorsBefore))}`);
      }
      if (!url.startsWith(prefix) || url.length <= prefix.length)
        throw new XoayError(STAGE, 'RENDER_FAILED', `frame ${i}: the page returned no PNG (the canvas is empty or too large)`);
      // Written while the next frame renders (a failure is seen by the Promise.all below).
      const write = out.write(names[i]!, Buffer.from(url.slice(prefix.length), 'base64'));
      write.catch(() => undefined);
      writes.push(write);
    }
    await Promise.all(writes);
  } catch (e) {
    await Promise.allSettled(writes); // nothing may write into the temporary folder once it is removed
    throw e;
  }
  return names;
}

/** Errors the page reported while rendering this model fail it (and the page is not trusted with the next). */
function checkPageErrors(job: Job): void {
  const { pageErrors } = job.browser.session;
  if (pageErrors.length > job.errorsBefore) {
    job.healthy = false;
    throw new XoayError(STAGE, 'RENDER_FAILED', `the render page reported errors: ${pageErrors.slice(job.errorsBefore, job.errorsBefore + 3).join('; ')}`);
  }
}

/**
 * Renders `glb` (a binary glTF, as `xoay model` writes it: meshopt, Draco, KTX2 or WebP are fine) as `frames` PNGs
 * into `outDir` (created or replaced; an existing folder is replaced only if it holds frames alone), in a browser
 * started for this call and closed after it (see openTurntableRenderer for many models).
 * Errors are XoayErrors whose message starts with "render:".
 */
export async function renderTurntable(glb: Uint8Array, outDir: string, options?: Partial<RenderOptions>): Promise<RenderResult> {
  const started = performance.now();
  const o = withDefaults(RENDER_DEFAULTS, options);
  validate(o);
  checkGlb(glb);
  const renderer = await openTurntableRenderer({ chromium: o.chromium, pageDir: o.pageDir });
  try {
    const result = await renderer.render(glb, outDir, o);
    return { ...result, seconds: Math.round(performance.now() - started) / 1000 };
  } finally {
    await renderer.close();
  }
}
