/**
 * `createModelViewer(el, options)`: a GLB in 3D, framework-free. three.js lives in `three-scene.ts`, imported here
 * only with a dynamic `import()` (a separate chunk: the spin path never downloads it), and only after a throwaway
 * canvas has shown that WebGL 2 is there. The GLB is fetched while that chunk loads.
 *
 * Sequence: the poster (if any) → WebGL check → chunk + GLB in parallel → decode (Draco, meshopt, KTX2) → the first
 * frame drawn → poster removed, `onLoad`, `ready` resolves. After that frames are drawn only when the view moves.
 */
import type { ModelStrings, ViewerLanguage } from './i18n.js';
import { modelStringsOf } from './i18n-3d.js';
import { resolvePath, ViewerError } from './manifest.js';
import { parseOrbit, parseSceneAttribute, SCENE_ATTRIBUTES, SCENE_DEFAULTS, type SceneAttribute, type SceneSettings } from './scene-settings.js';

export { SCENE_ATTRIBUTES, SCENE_DEFAULTS, type SceneAttribute, type SceneSettings } from './scene-settings.js';

/**
 * Scene settings from attribute text (`{ 'camera-orbit': '30deg 75deg 2m', exposure: '1.2' }`; null or '' for the
 * default). Throws an Error naming the first attribute that is not valid, what it expects and what it got.
 */
export function sceneFromAttributes(attributes: Partial<Record<SceneAttribute, string | null>>): Partial<SceneSettings> {
  const scene: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes) as [SceneAttribute, string | null][]) {
    if (!(name in SCENE_ATTRIBUTES)) throw new Error(`xoay-viewer: unknown scene attribute ${JSON.stringify(name)}`);
    scene[SCENE_ATTRIBUTES[name]] = parseSceneAttribute(name, value);
  }
  return scene as Partial<SceneSettings>;
}
import type { ThreeScene } from './three-scene.js';

export interface ModelViewerOptions {
  /** URL of the GLB, relative to `base`. */
  src: string;
  /** Base URL for `src` (default: the document's). */
  base: string;
  /** What the product is, for screen readers. */
  alt: string;
  /** The language of what it shows and speaks (default English) and strings to use instead (core/i18n.ts keys). */
  lang: ViewerLanguage;
  strings: Partial<ModelStrings>;
  /** Turn slowly until the first interaction (never under prefers-reduced-motion). */
  autoRotate: boolean;
  /**
   * Folder (URL) with draco_decoder.js/.wasm, draco_wasm_wrapper.js and basis_transcoder.js/.wasm; default: the
   * built viewer's `decoders/` (beside the `chunks/` folder this module is built into).
   */
  decoderPath: string;
  /** An image shown until the first frame is drawn (none by default). */
  poster: string;
  /**
   * What the page directs in the view: camera orbit, target and field of view, the file's camera, environment and
   * skybox images, exposure, tone mapping (scene-settings.ts; model-viewer's attribute names). Default SCENE_DEFAULTS.
   */
  scene: Partial<SceneSettings>;
  /**
   * The same as attribute text (`<xoay-viewer>` passes its attributes: `{ exposure: '1.2' }`), parsed here, in the 3D
   * chunk, one by one: an invalid one goes to `onSceneError` and leaves its setting at the default.
   */
  sceneAttributes: Partial<Record<SceneAttribute, string | null>>;
  /**
   * A `scene` setting given at creation could not be applied (an environment image that fails, an unknown glTF
   * camera): the model is shown with that setting's default, and this gets the message. Default: console.warn.
   */
  onSceneError: (message: string) => void;
  /** The model is drawn and can be turned. */
  onLoad: () => void;
  /**
   * A failure after `ready` has resolved (the WebGL context lost later): the viewer shows the message in place too.
   * Failures before that (no WebGL, a GLB that fails to fetch or decode, a context lost while loading) reject
   * `ready` instead, and the viewer removes itself so the caller can fall back (the element shows the spin).
   */
  onError: (message: string) => void;
}

export interface ModelViewer {
  /** Resolves when the first frame is drawn; rejects with a ViewerError (no WebGL, a GLB that fails to decode …). */
  readonly ready: Promise<void>;
  /** Frames drawn so far (for tests: it stays put while the view is still). */
  readonly renders?: number;
  /** Whether a frame is scheduled (damping or auto-rotate still moving the view). */
  readonly animating?: boolean;
  /**
   * Changes what `scene` set (the rest stays). Resolves once drawn; before the model is shown the settings wait for
   * it. Rejects with a ViewerError naming the setting when it cannot be applied (an environment image that fails, an
   * unknown glTF camera), and the view keeps its last good state.
   */
  setScene?(scene: Partial<SceneSettings>): Promise<void>;
  /** `setScene` from one attribute's text (null: its default); rejects with a ViewerError naming it when it is not valid. */
  setSceneAttribute?(name: SceneAttribute, value: string | null): Promise<void>;
  /**
   * The view as an image (model-viewer's `toBlob`): drawn off-screen at the size asked (default: the view's own size in
   * CSS pixels) through the current camera, or through `camera` (`camera-orbit` text); PNG by default. Rejects with a
   * ViewerError naming the option that is not valid, or when the model is not shown.
   */
  toBlob?(options?: ToBlobOptions): Promise<Blob>;
  destroy(): void;
}

export interface ToBlobOptions {
  /** Pixels (1–4096; default: the view's width in CSS pixels). */
  width?: number;
  /** Pixels (1–4096; default: the view's height in CSS pixels). */
  height?: number;
  /** A view as `camera-orbit` writes it (`"30deg 60deg 150%"`, `auto` for any part); default: the current view. */
  camera?: string;
  /** `image/png` (default), `image/jpeg` or `image/webp` (a transparent background is black in a JPEG). */
  mimeType?: string;
  /** 0–1, for JPEG and WebP (the browser's default otherwise). */
  quality?: number;
}

/** The largest side toBlob draws. */
export const MAX_BLOB_SIDE = 4096;
const BLOB_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

export const MODEL_VIEWER_DEFAULTS: Omit<ModelViewerOptions, 'src'> = {
  base: typeof document !== 'undefined' ? document.baseURI : 'http://localhost/',
  alt: '',
  lang: 'en',
  strings: {},
  autoRotate: false,
  decoderPath: '',
  poster: '',
  scene: {},
  sceneAttributes: {},
  onSceneError: (message) => console.warn(message),
  onLoad: () => {},
  onError: () => {},
};

const STYLE = `
.xoay-3d{position:absolute;inset:0;overflow:hidden;outline:none;-webkit-tap-highlight-color:transparent}
.xoay-3d:focus-visible{box-shadow:inset 0 0 0 3px #1a73e8}
.xoay-3d>canvas{position:absolute;inset:0;width:100%;height:100%;display:block;opacity:0}
.xoay-3d.ready>canvas{opacity:1}
.xoay-3d>img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain;pointer-events:none}
.xoay-3d .xoay-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.xoay-3d .xoay-msg{position:absolute;inset:auto 0 0 0;margin:0;padding:.5em .75em;background:#fff8e1;color:#5d4037;font:14px/1.4 system-ui,sans-serif;pointer-events:none}
`;

/** WebGL 2 (what three.js needs), WebGL 1 only, or none; the throwaway context is released at once. */
export function webglSupport(): 'webgl2' | 'webgl' | null {
  if (typeof document === 'undefined') return null;
  for (const kind of ['webgl2', 'webgl'] as const) {
    try {
      const gl = document.createElement('canvas').getContext(kind) as WebGLRenderingContext | null;
      if (gl) {
        gl.getExtension('WEBGL_lose_context')?.loseContext();
        return kind;
      }
    } catch {
      // a browser that throws instead of returning null has no usable WebGL either
    }
  }
  return null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A GLB starts with `glTF`; a .gltf is JSON (`{` after any whitespace or a BOM). */
function looksLikeGltf(bytes: ArrayBuffer): boolean {
  const b = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64));
  if (b[0] === 0x67 && b[1] === 0x6c && b[2] === 0x54 && b[3] === 0x46) return true;
  for (const c of b) {
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b;
  }
  return false;
}

async function fetchModel(url: string, signal: AbortSignal): Promise<ArrayBuffer> {
  let res: Response;
  let bytes: ArrayBuffer;
  try {
    res = await fetch(url, { signal, credentials: 'same-origin' });
    if (!res.ok) throw new ViewerError(`xoay-viewer: ${url}: could not be loaded (HTTP ${res.status})`);
    bytes = await res.arrayBuffer();
  } catch (e) {
    if (e instanceof ViewerError || (e as Error).name === 'AbortError') throw e;
    throw new ViewerError(`xoay-viewer: ${url}: could not be fetched (${message(e)})`);
  }
  if (!bytes.byteLength) throw new ViewerError(`xoay-viewer: ${url}: is empty`);
  if (!looksLikeGltf(bytes)) throw new ViewerError(`xoay-viewer: ${url}: is not a GLB or glTF file`);
  return bytes;
}

let ids = 0;

export function createModelViewer(el: HTMLElement, options: Partial<ModelViewerOptions> & { src: string }): ModelViewer {
  const o: ModelViewerOptions = {
    ...MODEL_VIEWER_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ModelViewerOptions;
  if (typeof o.src !== 'string' || !o.src) throw new ViewerError('xoay-viewer: option "src" must be the URL of a GLB');

  const style = document.createElement('style');
  style.textContent = STYLE;
  const box = document.createElement('div');
  box.className = 'xoay-3d';
  box.tabIndex = 0;
  box.setAttribute('role', 'img');
  const t = modelStringsOf(o.lang, o.strings);
  box.setAttribute('aria-roledescription', t.modelRole);
  box.setAttribute('aria-label', o.alt || t.modelLabel);
  const help = document.createElement('span');
  help.className = 'xoay-sr';
  help.id = `xoay-3d-help-${++ids}`;
  help.textContent = t.modelHelp;
  box.setAttribute('aria-describedby', help.id);
  const canvas = document.createElement('canvas');
  box.append(canvas, help);
  let poster: HTMLImageElement | null = null;
  if (o.poster) {
    try {
      poster = document.createElement('img');
      poster.alt = '';
      poster.setAttribute('aria-hidden', 'true');
      poster.src = resolvePath(o.poster, o.base, 'poster');
      box.append(poster);
    } catch {
      poster = null; // a poster that is not http(s) is simply not shown
    }
  }
  el.append(style, box);
  if (getComputedStyle(el).position === 'static') el.style.position = 'relative';

  const abort = new AbortController();
  let destroyed = false;
  let released = false;
  let settled = false;
  let scene: ThreeScene | null = null;
  let url = o.src;
  const fromAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(o.sceneAttributes) as [SceneAttribute, string | null][]) {
    try {
      if (value !== null) Object.assign(fromAttributes, sceneFromAttributes({ [name]: value }));
    } catch (e) {
      o.onSceneError(message(e));
    }
  }
  let settings: SceneSettings = { ...SCENE_DEFAULTS, ...fromAttributes, ...o.scene };
  let cancel: (e: Error) => void = () => {};
  const cancelled = new Promise<never>((_, reject) => (cancel = reject));
  cancelled.catch(() => {});

  /** Frees the GPU, the observers and the DOM; what is left is an inert object. */
  const release = () => {
    if (released) return;
    released = true;
    abort.abort();
    scene?.destroy();
    box.remove();
    style.remove();
  };

  const contextLost = () => {
    const msg = `xoay-viewer: ${url}: the WebGL context was lost`;
    if (!settled) return cancel(new ViewerError(msg));
    scene?.destroy();
    canvas.remove();
    const p = document.createElement('p');
    p.className = 'xoay-msg';
    p.setAttribute('role', 'alert');
    p.textContent = t.modelError; // the details go to onError
    box.append(p);
    o.onError(msg);
  };

  const run = async () => {
    url = resolvePath(o.src, o.base, 'model');
    const decoders = resolvePath(o.decoderPath || new URL(/* @vite-ignore */ '../decoders/', import.meta.url).href, o.base, 'decoderPath').replace(/\/?$/, '/');
    const gl = webglSupport();
    if (gl !== 'webgl2') throw new ViewerError(`xoay-viewer: ${url}: WebGL ${gl ? '2 ' : ''}is not available`);
    const [mod, bytes] = await Promise.all([
      import('./three-scene.js').catch((e: unknown) => {
        throw new ViewerError(`xoay-viewer: ${url}: the 3D module could not be loaded (${message(e)})`);
      }),
      fetchModel(url, abort.signal),
    ]);
    if (destroyed) throw new ViewerError('xoay-viewer: destroyed');
    try {
      scene = mod.createThreeScene(box, canvas, {
        decoderPath: decoders,
        // (autoplay.ts has the same test: it is a chunk of the spin's own, not shared with this one)
        autoRotate: o.autoRotate && !matchMedia('(prefers-reduced-motion: reduce)').matches,
        onContextLost: contextLost,
        scene: settings,
        base: o.base,
        onSceneError: (m) => o.onSceneError(`xoay-viewer: ${m}`),
      });
    } catch (e) {
      throw new ViewerError(`xoay-viewer: ${url}: WebGL is not available (${message(e)})`);
    }
    try {
      await scene.load(bytes, url);
    } catch (e) {
      throw new ViewerError(destroyed ? 'xoay-viewer: destroyed' : `xoay-viewer: ${url}: ${message(e)}`);
    }
  };

  const ready = Promise.race([run(), cancelled]).then(
    () => {
      settled = true;
      box.classList.add('ready');
      poster?.remove();
      o.onLoad();
    },
    (e: unknown) => {
      settled = true;
      release();
      throw e instanceof ViewerError || (e as Error)?.name === 'AbortError' ? e : new ViewerError(`xoay-viewer: ${url}: ${message(e)}`);
    },
  );
  ready.catch(() => {});

  return {
    ready,
    get renders() {
      return scene?.renders ?? 0;
    },
    get animating() {
      return !released && !!scene?.animating;
    },
    async setScene(next) {
      const merged = { ...settings, ...next };
      if (!scene) {
        settings = merged; // read when the 3D view is created
        return;
      }
      if (!settled) await ready.catch(() => {});
      if (released) throw new ViewerError('xoay-viewer: the 3D view is gone');
      try {
        await scene.setScene(merged);
      } catch (e) {
        throw new ViewerError(`xoay-viewer: ${message(e)}`);
      }
      settings = merged;
    },
    setSceneAttribute(name, value) {
      let next: Partial<SceneSettings>;
      try {
        next = sceneFromAttributes({ [name]: value });
      } catch (e) {
        return Promise.reject(new ViewerError(message(e)));
      }
      return this.setScene!(next);
    },
    async toBlob(options = {}) {
      const bad = (name: string, expected: string, v: unknown) =>
        new ViewerError(`xoay-viewer: toBlob: ${name} must be ${expected}; got ${JSON.stringify(v) ?? String(v)}`);
      const side = (name: 'width' | 'height', fallback: number) => {
        const v = options[name] ?? fallback;
        if (!Number.isInteger(v) || v < 1 || v > MAX_BLOB_SIDE) throw bad(name, `an integer from 1 to ${MAX_BLOB_SIDE}`, v);
        return v;
      };
      const width = side('width', Math.round(box.clientWidth));
      const height = side('height', Math.round(box.clientHeight));
      const mimeType = options.mimeType ?? 'image/png';
      if (!BLOB_TYPES.includes(mimeType)) throw bad('mimeType', BLOB_TYPES.join(', '), mimeType);
      const q = options.quality;
      if (q !== undefined && !(typeof q === 'number' && q >= 0 && q <= 1)) throw bad('quality', 'a number from 0 to 1', q);
      let orbit = null;
      if (options.camera !== undefined && options.camera !== null && String(options.camera).trim() !== '') {
        try {
          orbit = parseOrbit(String(options.camera), 'toBlob: camera');
        } catch (e) {
          throw new ViewerError(message(e));
        }
      }
      if (!settled) await ready.catch(() => {});
      if (released || !scene) throw new ViewerError('xoay-viewer: toBlob: the 3D view is gone');
      try {
        return await scene.toBlob({ width, height, orbit, mimeType, quality: q });
      } catch (e) {
        throw new ViewerError(`xoay-viewer: ${message(e)}`);
      }
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      cancel(new ViewerError('xoay-viewer: destroyed'));
      release();
    },
  };
}
