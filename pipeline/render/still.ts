/**
 * `renderStill`: one picture of a model (`xoay render`), the very picture `<xoay-viewer>`'s `toBlob` gives for the same
 * settings, because it is that: the built viewer (dist/viewer/xoay-viewer.js) is opened in headless Chromium (WebGL 2
 * on SwiftShader) at `width` × `height` CSS pixels (device pixel ratio 1) with the scene attributes given
 * (`camera-orbit`, `environment-image`, `exposure`, `background` …), and `toBlob` encodes it as PNG, JPEG or WebP.
 *
 * Served from 127.0.0.1 only: the viewer, the model's folder (a .gltf's buffers and textures) and the environment
 * image's folder; every other request is refused. The file is written to a temporary sibling and renamed into place;
 * the browser, the server and the profile are removed also when rendering fails.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, launchChromium, withTimeout, type ChromiumSession } from '../core/chromium.js';
import { XoayError, isXoayError } from '../core/errors.js';
import { tmpName } from '../core/fsout.js';
import { assertInteger, assertNumber, invalid } from '../core/options.js';
import { serveStatic, type StaticServer } from '../core/static-server.js';

const STAGE = 'render';
/** The longest one browser step (start, page load, model, picture) may take. */
const STEP_TIMEOUT_MS = 120_000;

export interface StillOptions {
  /** Picture width, pixels (16–4096). */
  width: number;
  /** Picture height, pixels (16–4096). */
  height: number;
  /** The view, as `camera-orbit` writes it (`"30deg 75deg 105%"`); default: the viewer's starting view. */
  cameraOrbit?: string;
  /** A camera of the glTF file, by name or index (as `gltf-camera`). */
  gltfCamera?: string;
  /** Vertical field of view (as `field-of-view`, e.g. `30deg`). */
  fieldOfView?: string;
  /** An equirectangular image file (.hdr, .exr, JPEG, PNG, WebP) lighting the model; default: the studio room. */
  environmentImage?: string;
  /** As `environment-rotation` (e.g. `90deg`). */
  environmentRotation?: string;
  /** Exposure of the tone mapping, 0–100 (1). */
  exposure?: number;
  /** `neutral` (default), `aces`, `agx`, `linear`. */
  toneMapping?: string;
  /** As `shadow-intensity` (0–10; 0: none). */
  shadowIntensity?: number;
  /** A CSS colour behind the model; default none (transparent) for PNG and WebP, white for JPEG. */
  background?: string;
  /** JPEG/WebP quality 0–1 (the browser's default otherwise). */
  quality?: number;
  /** Chromium executable; default: $XOAY_CHROMIUM, else /usr/bin/chromium. */
  chromium?: string;
  /** Folder of the built viewer (xoay-viewer.js, chunks/, decoders/); default: dist/viewer of this package. */
  viewerDir?: string;
  /** Replace an existing output file. */
  force?: boolean;
}

export const STILL_DEFAULTS = { width: 1024, height: 1024 } as const;

export interface StillResult {
  /** Absolute path of the file written. */
  output: string;
  width: number;
  height: number;
  mimeType: string;
  bytes: number;
  seconds: number;
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

/** The scene attribute each option sets. */
const ATTRIBUTE: Partial<Record<keyof StillOptions, string>> = {
  cameraOrbit: 'camera-orbit',
  gltfCamera: 'gltf-camera',
  fieldOfView: 'field-of-view',
  environmentRotation: 'environment-rotation',
  exposure: 'exposure',
  toneMapping: 'tone-mapping',
  shadowIntensity: 'shadow-intensity',
  background: 'background',
};

function validate(o: StillOptions): void {
  assertInteger(STAGE, 'width', o.width, 16, 4096);
  assertInteger(STAGE, 'height', o.height, 16, 4096);
  if (o.exposure !== undefined) assertNumber(STAGE, 'exposure', o.exposure, 0, 100);
  if (o.shadowIntensity !== undefined) assertNumber(STAGE, 'shadowIntensity', o.shadowIntensity, 0, 10);
  if (o.quality !== undefined) assertNumber(STAGE, 'quality', o.quality, 0, 1);
  for (const k of [
    'cameraOrbit',
    'gltfCamera',
    'fieldOfView',
    'environmentImage',
    'environmentRotation',
    'toneMapping',
    'background',
    'chromium',
    'viewerDir',
  ] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || !v.trim())) throw invalid(STAGE, k, 'a non-empty string', v);
  }
}

/** The built viewer: `viewerDir`, else dist/viewer beside the compiled module (dist/pipeline/render/), else <root>/dist/viewer. */
function findViewer(viewerDir: string | undefined): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = viewerDir ? [path.resolve(viewerDir)] : [path.resolve(here, '../../viewer'), path.resolve(here, '../../dist/viewer')];
  const found = candidates.find((d) => existsSync(path.join(d, 'xoay-viewer.js')));
  if (!found)
    throw new XoayError(STAGE, 'MISSING_RESOURCE', `the viewer is not built (no xoay-viewer.js in ${candidates.join(' or ')}): run \`npm run build\``);
  return found;
}

/** A GLB starts with `glTF`; a .gltf is JSON. */
async function checkModel(file: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new XoayError(STAGE, 'INPUT_MISSING', 'no such file', file);
  }
  if (!info.isFile()) throw new XoayError(STAGE, 'NOT_A_FILE', 'is not a file (give a .glb or .gltf)', file);
  if (!info.size) throw new XoayError(STAGE, 'EMPTY_FILE', 'is empty', file);
  const head = Buffer.alloc(64);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 64, 0);
  } finally {
    await fh.close();
  }
  const text = head
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart();
  if (!(head.toString('latin1', 0, 4) === 'glTF' || text.startsWith('{'))) throw new XoayError(STAGE, 'MODEL_INVALID', 'is not a GLB or glTF file', file);
}

/** The page: the viewer at the picture's size, with the scene attributes given. */
function page(width: number, height: number, model: string, attributes: Record<string, string>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const attrs = Object.entries(attributes)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:transparent}</style>
<script>
window.xoayProblems = [];
for (const type of ['scene-error', 'error']) document.addEventListener(type, (e) => { if (e.detail && e.detail.message) window.xoayProblems.push(e.detail.message); }, true);
</script>
<script type="module" src="/viewer/xoay-viewer.js"></script></head><body>
<xoay-viewer id="v" mode="3d" loading="eager" model="${esc(model)}"${attrs} style="width:${width}px;height:${height}px;aspect-ratio:auto;background:transparent"></xoay-viewer>
</body></html>`;
}

/**
 * Renders `model` (.glb, or .gltf with its files) to `output` (.png, .jpg/.jpeg or .webp, by its extension). Throws a
 * XoayError naming the file and the problem: a missing or unreadable model, a bad option, an environment image that
 * fails, an output that exists (without `force`).
 */
export async function renderStill(model: string, output: string, options: Partial<StillOptions> = {}): Promise<StillResult> {
  const started = performance.now();
  const o: StillOptions = { ...STILL_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  validate(o);
  const out = path.resolve(output);
  const mimeType = TYPES[path.extname(out).toLowerCase()];
  if (!mimeType) throw new XoayError(STAGE, 'BAD_OPTION', 'the output must end in .png, .jpg, .jpeg or .webp', out);
  const input = path.resolve(model);
  await checkModel(input);
  let env: string | undefined;
  if (o.environmentImage !== undefined && o.environmentImage !== 'neutral') {
    env = path.resolve(o.environmentImage);
    if (!existsSync(env)) throw new XoayError(STAGE, 'INPUT_MISSING', 'no such environment image', env);
  }
  if (!o.force && existsSync(out)) throw new XoayError(STAGE, 'OUTPUT_EXISTS', 'the output already exists; pass --force (force: true) to replace it', out);
  if (!existsSync(path.dirname(out))) throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', 'its folder does not exist', out);
  const viewer = findViewer(o.viewerDir);
  const executable = findChromium(STAGE, o.chromium);

  const attributes: Record<string, string> = {};
  for (const [k, name] of Object.entries(ATTRIBUTE) as [keyof StillOptions, string][]) if (o[k] !== undefined) attributes[name] = String(o[k]);
  if (mimeType === 'image/jpeg' && o.background === undefined) attributes.background = '#ffffff';
  const mounts: Record<string, string> = { '/viewer/': viewer, '/model/': path.dirname(input) };
  if (env) {
    mounts['/environment/'] = path.dirname(env);
    attributes['environment-image'] = `/environment/${encodeURIComponent(path.basename(env))}`;
  } else if (o.environmentImage === 'neutral') attributes['environment-image'] = 'neutral';

  let server: StaticServer | undefined;
  let session: ChromiumSession | undefined;
  try {
    server = await serveStatic({ mounts, cacheControl: 'no-store' });
    server.pages.set('/render.html', page(o.width, o.height, `/model/${encodeURIComponent(path.basename(input))}`, attributes));
    session = await launchChromium({
      stage: STAGE,
      executable,
      viewport: { width: Math.max(o.width, 64), height: Math.max(o.height, 64) },
      profilePrefix: 'xoay-render-still-',
    });
    const { page: p } = session;
    await withTimeout('loading the page', p.goto(`${server.origin}/render.html`, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS }), STEP_TIMEOUT_MS);
    const result = await withTimeout(
      'drawing the model',
      p.evaluate(
        ({ mimeType, quality }) =>
          new Promise<{ base64?: string; error?: string; sceneErrors: string[] }>((resolve) => {
            // Scene errors and errors are recorded from the start (a script in the page's head, capturing).
            const sceneErrors = (window as unknown as { xoayProblems: string[] }).xoayProblems;
            const v = document.getElementById('v') as HTMLElement & { toBlob(o: unknown): Promise<Blob>; viewer?: { ready?: Promise<void> } };
            const done = async () => {
              try {
                const blob = await v.toBlob({ mimeType, quality });
                const bytes = new Uint8Array(await blob.arrayBuffer());
                let s = '';
                for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
                resolve({ base64: btoa(s), sceneErrors });
              } catch (e) {
                resolve({ error: (e as Error).message, sceneErrors });
              }
            };
            const wait = () => {
              const ready = v.viewer?.ready;
              if (!ready) return void setTimeout(wait, 20);
              ready.then(done, (e: Error) => resolve({ error: e?.message ?? String(e), sceneErrors }));
            };
            wait();
          }),
        { mimeType, quality: o.quality },
      ),
      STEP_TIMEOUT_MS,
    );
    // A setting that could not be applied (an environment image that fails, a camera the file lacks) is an error here:
    // the picture would not be what was asked for.
    const problem = result.sceneErrors[0] ?? result.error;
    if (problem || !result.base64) {
      const why = (problem ?? 'no picture').replace(/^xoay-viewer: /, '').replace(/^[^ ]*\/model\/[^:]*: /, '');
      const envProblem = env && /^environment-image /.test(why);
      throw new XoayError(STAGE, 'RENDER_FAILED', envProblem ? why.replace(/^environment-image \S+: /, '') : why, envProblem ? env : input);
    }
    const bytes = Buffer.from(result.base64, 'base64');
    const tmp = path.join(path.dirname(out), tmpName(out, randomBytes(4).toString('hex')));
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, out);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new XoayError(STAGE, 'OUTPUT_UNWRITABLE', `could not be written (${(e as Error).message})`, out, { cause: e });
    }
    return { output: out, width: o.width, height: o.height, mimeType, bytes: bytes.length, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    if (isXoayError(e)) throw e;
    throw new XoayError(STAGE, 'RENDER_FAILED', `the picture could not be rendered (${(e as Error)?.message?.split('\n')[0] ?? e})`, input, { cause: e });
  } finally {
    await session?.close();
    await server?.close();
  }
}
