/**
 * `<xoay-viewer>`: the embeddable element, a thin layer over the framework-free core. Every attribute maps to a
 * property through one table (ATTRIBUTES). Spin and 3D are separate core viewers; the element picks one (`mode`),
 * offers a toggle when both `src` and `model` are given, loads lazily (`loading`), and falls back to the spin (or the
 * poster) when 3D cannot run.
 *
 *   <script type="module" src="xoay-viewer.js"></script>
 *   <xoay-viewer src="spin/spin.json" model="model/model.glb" alt="Chè Shan tuyết, 100 g tin"></xoay-viewer>
 */
import { languageOfElement, type SpinStrings, stringsOf, type ViewerStrings } from '../core/i18n.js';
import { ViewerError } from '../core/manifest.js';
import type { ModelViewer, ToBlobOptions } from '../core/model-viewer.js';
import { SCENE_ATTRIBUTES, type SceneAttribute } from '../core/scene-attributes.js';
import { createSpinViewer, type SpinViewer } from '../core/spin-viewer.js';
import { createHint } from './hint.js';

export type ViewerMode = 'spin' | '3d';
export type LoadingMode = 'lazy' | 'eager' | 'interaction';

type Kind = 'string' | 'boolean' | 'enum';
interface AttributeSpec {
  /** The property it maps to. */
  prop:
    | 'src'
    | 'model'
    | 'mode'
    | 'autoplay'
    | 'loading'
    | 'alt'
    | 'decoderPath'
    | 'poster'
    | 'ar'
    | 'arModes'
    | 'iosSrc'
    | (typeof SCENE_ATTRIBUTES)[SceneAttribute];
  /** 'string' when absent. */
  kind?: Kind;
  values?: readonly string[];
  /** The property's value when the attribute is absent (or not one of `values`). */
  fallback?: string;
  /** Whether a change restarts the viewer (not when absent). */
  restart?: boolean;
}

/** The attribute table: attribute → property, type, and whether changing it restarts the viewer. */
export const ATTRIBUTES: Record<string, AttributeSpec> = {
  src: { prop: 'src', restart: true },
  model: { prop: 'model', restart: true },
  mode: { prop: 'mode', kind: 'enum', values: ['spin', '3d'], restart: true },
  autoplay: { prop: 'autoplay', kind: 'boolean' },
  loading: { prop: 'loading', kind: 'enum', values: ['lazy', 'eager', 'interaction'], fallback: 'lazy' },
  alt: { prop: 'alt' },
  'decoder-path': { prop: 'decoderPath', restart: true },
  poster: { prop: 'poster' },
  // AR (core/ar.ts, loaded with the 3D view when `ar` is set): an AR button when the device can.
  ar: { prop: 'ar', kind: 'boolean', restart: true },
  'ar-modes': { prop: 'arModes', restart: true },
  'ios-src': { prop: 'iosSrc', restart: true },
};
// The 3D view's scene attributes (core/scene-settings.ts: camera-orbit, environment-image, exposure …), strings as
// written; parsed and applied by the 3D chunk.
for (const [name, prop] of Object.entries(SCENE_ATTRIBUTES)) ATTRIBUTES[name] = { prop };

const STYLE = `
:host{display:block;position:relative;aspect-ratio:4/3;background:var(--xoay-background,#fff);color:#222;font:14px/1.4 system-ui,sans-serif}
:host([hidden]){display:none}
.stage{position:absolute;inset:0}
.poster{position:absolute;inset:0;width:100%;height:100%;object-fit:contain;pointer-events:none}
slot{display:block;position:absolute;inset:0;z-index:1;pointer-events:none;overflow:hidden}
.start{z-index:2;position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);padding:.6em 1.1em;border:0;border-radius:2em;background:#000b;color:#fff;font:inherit;cursor:pointer}
.modes{position:absolute;right:8px;top:8px;display:flex;gap:4px;z-index:2}
.modes button{padding:.3em .7em;border:1px solid #ccc;border-radius:1em;background:#fff;color:#222;font:inherit;cursor:pointer}
.modes button[aria-pressed="true"]{background:#222;color:#fff;border-color:#222}
.xoay-msg{z-index:2;position:absolute;inset:auto 0 0 0;margin:0;padding:.5em .75em;background:#fff8e1;color:#5d4037;font:14px/1.4 system-ui,sans-serif;pointer-events:none}
`;

/** The table-made properties (declared here, not as class fields: a field would shadow the accessor). */
export interface XoayViewerElement {
  src: string;
  model: string;
  autoplay: boolean;
  loading: LoadingMode;
  alt: string;
  poster: string;
  /** '' (the default): the `decoders/` folder the build puts beside the viewer's script. */
  decoderPath: string;
  /** An AR button in the 3D view when the device can (webxr, scene-viewer, quick-look: `ar-modes`, `ios-src`). */
  ar: boolean;
  arModes: string;
  iosSrc: string;
  /** The scene attributes (core/scene-settings.ts), as text: '' when absent. */
  cameraOrbit: string;
  cameraTarget: string;
  fieldOfView: string;
  minCameraOrbit: string;
  maxCameraOrbit: string;
  environmentImage: string;
  environmentRotation: string;
  skyboxImage: string;
  background: string;
  exposure: string;
  toneMapping: string;
  shadowIntensity: string;
  shadowSoftness: string;
  gltfCamera: string;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above declares the attribute-backed properties that the ATTRIBUTES table defines on the prototype
export class XoayViewerElement extends HTMLElement {
  static get observedAttributes(): string[] {
    // `lang` (its own, else the nearest ancestor's, else the document's) and `strings` (the embedder's words, JSON):
    // not in the table (not props of their own in React); read when the view starts, a change restarts it.
    return [...Object.keys(ATTRIBUTES), 'lang', 'strings'];
  }

  private shadow: ShadowRoot;
  private stage: HTMLDivElement;
  /** Shows the light DOM (the page's poster `<img>`, the no-script fallback) over the stage until the first frame is drawn. */
  private fallback: HTMLSlotElement;
  private spin: SpinViewer | null = null;
  private model3d: ModelViewer | null = null;
  private current: ViewerMode | null = null;
  private started = false;
  private observer: IntersectionObserver | null = null;
  private pendingFrame: number | null = null;
  private pendingRow: number | null = null;
  private fellBack = false;
  /** Words set as the `strings` property (over the attribute's). */
  private ownStrings: Partial<ViewerStrings> = {};
  /** Shows (or with null removes) the interaction hint until the first interaction. */
  private hint = createHint(this);

  constructor() {
    super();
    this.shadow = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.stage = document.createElement('div');
    this.stage.className = 'stage';
    this.fallback = document.createElement('slot');
    this.shadow.append(style, this.stage, this.fallback);
  }

  // --- properties from the attribute table (src, model, autoplay, loading, alt, poster are defined from ATTRIBUTES
  // below the class; mode has rules of its own) ------------------------------------------------
  /** `spin` when a spin is given, else `3d`; an explicit `mode` wins when its source exists. */
  get mode(): ViewerMode {
    const m = this.getAttribute('mode');
    if (m === '3d' && this.model) return '3d';
    if (m === 'spin' && this.src) return 'spin';
    return this.src ? 'spin' : '3d';
  }
  set mode(v: ViewerMode) {
    this.setAttribute('mode', v);
  }
  /** The current frame of the spin (read/write). */
  get frame(): number {
    return this.spin?.frame ?? this.pendingFrame ?? 0;
  }
  set frame(v: number) {
    const f = Number(v);
    if (!Number.isFinite(f)) return;
    if (this.spin) this.spin.setFrame(f);
    else this.pendingFrame = f;
  }
  /** The current row of the spin (read/write). */
  get row(): number {
    return this.spin?.row ?? this.pendingRow ?? 0;
  }
  set row(v: number) {
    const r = Number(v);
    if (!Number.isFinite(r)) return;
    if (this.spin) this.spin.setRow(r);
    else this.pendingRow = r;
  }
  /** Frames in the current row (0 before the spin has loaded). */
  get frames(): number {
    return this.spin ? this.spin.frames : 0;
  }
  /**
   * The 3D view as an image (model-viewer's `toBlob`): `{ width, height, camera, mimeType, quality }`, drawn off-screen
   * (README, "toBlob"). Rejects when the 3D view is not shown.
   */
  toBlob(options?: ToBlobOptions): Promise<Blob> {
    return this.model3d?.toBlob?.(options) ?? Promise.reject(new ViewerError('xoay-viewer: toBlob: no 3D view'));
  }
  /**
   * The words the viewer shows and speaks: the language's (`lang`: Vietnamese for `vi`, else English), then the
   * `strings` attribute's (JSON), then what was set here. Set a partial object (`{ hint: 'Kéo để xem' }`) to replace
   * some; the view restarts with them.
   */
  get strings(): SpinStrings & Partial<ViewerStrings> {
    let fromAttribute: Partial<ViewerStrings> = {};
    try {
      fromAttribute = JSON.parse(this.getAttribute('strings') || '{}');
    } catch {
      console.warn('xoay-viewer: the strings attribute is not JSON');
    }
    return { ...stringsOf(languageOfElement(this)), ...fromAttribute, ...this.ownStrings };
  }
  set strings(v: Partial<ViewerStrings>) {
    this.ownStrings = { ...v };
    if (this.started) this.show(this.current ?? this.mode);
  }
  /** The core viewer in use (for tests and advanced use). */
  get viewer(): SpinViewer | ModelViewer | null {
    return this.spin ?? this.model3d;
  }

  // --- lifecycle ---------------------------------------------------------------------------------------------
  private connected = false;

  connectedCallback(): void {
    this.connected = true;
    this.schedule();
  }

  disconnectedCallback(): void {
    this.connected = false;
    this.teardown();
    this.started = false;
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    // An element upgraded on the page gets a call per attribute before connectedCallback: that one starts it, once.
    if (old === value || !this.connected) return;
    if (name === 'lang' || name === 'strings') {
      if (this.started) this.show(this.current ?? this.mode);
      return;
    }
    const spec = ATTRIBUTES[name];
    if (!spec) return;
    if (name in SCENE_ATTRIBUTES) {
      // Applied to a 3D view that is there (its chunk sends scene-change, or scene-error and error: model-3d.ts); read
      // from the attributes when one is made.
      this.model3d?.setSceneAttribute?.(name as SceneAttribute, value).catch(() => {});
      return;
    }
    if (name === 'alt' && this.spin) this.shadow.querySelector('.xoay-spin')?.setAttribute('aria-label', value || this.strings.spinLabel);
    if (name === 'autoplay' && this.spin) value === null ? this.spin.stop() : this.spin.play();
    if (spec.restart && this.started) {
      this.fellBack = false;
      if (!this.src && !this.model) {
        // Nothing left to show: idle, not an error.
        this.teardown();
        this.started = false;
        return;
      }
      this.show(this.mode);
    } else if (!this.started && (name === 'src' || name === 'model' || name === 'loading' || name === 'poster')) {
      this.schedule(); // e.g. a src set after the element was put on the page
    }
  }

  private schedule(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.clearStage();
    if (!this.src && !this.model) return;
    const mode = this.loading;
    if (mode === 'eager') {
      this.start();
      return;
    }
    // The page's own poster (light DOM) stands in until the first frame: no second download of it.
    const poster = this.poster && !this.querySelector('img') ? this.posterImg(this.poster) : '';
    if (mode === 'interaction') {
      this.stage.append(poster);
      const b = document.createElement('button');
      b.className = 'start';
      b.type = 'button';
      const t = this.strings;
      b.textContent = this.mode === 'spin' ? t.view360 : t.view3d;
      b.setAttribute('aria-label', `${b.textContent}: ${this.alt || t.product}`);
      b.addEventListener('click', () => this.start(true), { once: true });
      this.stage.append(b);
      return;
    }
    this.stage.append(poster);
    if (typeof IntersectionObserver !== 'function') {
      this.start();
      return;
    }
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          this.observer?.disconnect();
          this.observer = null;
          this.start();
        }
      },
      { rootMargin: '200px' },
    );
    this.observer.observe(this);
  }

  private posterImg(src: string): HTMLImageElement {
    const img = document.createElement('img');
    img.className = 'poster';
    img.alt = '';
    img.src = new URL(src, document.baseURI).href;
    return img;
  }

  private start(focus = false): void {
    if (this.started) return;
    this.started = true;
    this.show(this.mode, focus);
  }

  private clearStage(): void {
    this.stage.replaceChildren();
  }

  private teardown(): void {
    this.observer?.disconnect();
    this.observer = null;
    if (this.spin) {
      this.pendingFrame = this.spin.frame;
      this.pendingRow = this.spin.row;
    }
    this.spin?.destroy();
    this.model3d?.destroy();
    this.spin = null;
    this.model3d = null;
    this.current = null;
    this.clearStage();
  }

  private toggle(): HTMLDivElement | null {
    if (!this.src || !this.model) return null;
    const bar = document.createElement('div');
    bar.className = 'modes';
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', this.strings.modes);
    for (const [m, label] of [
      ['spin', '360°'],
      ['3d', '3D'],
    ] as const) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.setAttribute('aria-pressed', String(this.current === m));
      b.addEventListener('click', () => {
        if (this.current !== m) this.show(m, true);
      });
      bar.append(b);
    }
    return bar;
  }

  /** The first frame is drawn (in the animation frame the core asked for before calling onLoad): the light-DOM poster goes, the hint comes. */
  private drawn(t: SpinStrings): void {
    requestAnimationFrame(() => this.fallback.remove());
    this.hint(this.stage, t.hint);
  }

  private lastError = '';

  private fail(message: string): void {
    // The same failure can be reported twice (the core's onError and its rejected `ready`): one event.
    if (message === this.lastError) return;
    this.lastError = message;
    this.hint(null);
    this.dispatchEvent(new CustomEvent('error', { detail: { message } }));
  }

  private show(mode: ViewerMode, focus = false): void {
    this.teardown();
    this.lastError = '';
    this.current = mode;
    const t = this.strings;
    const host = document.createElement('div');
    host.style.cssText = 'position:absolute;inset:0';
    this.stage.append(host);
    const bar = this.toggle();
    if (bar) this.stage.append(bar);
    if (mode === 'spin') {
      const spin = createSpinViewer(host, {
        src: this.src,
        base: document.baseURI,
        alt: this.alt,
        // The page's own poster (light DOM) is shown until the first frame; the manifest's after that (a restart).
        poster: !(this.fallback.isConnected && this.querySelector('img')),
        strings: t,
        autoplay: this.autoplay,
        frame: this.pendingFrame ?? 0,
        row: this.pendingRow ?? 0,
        onLoad: () => {
          this.drawn(t);
          this.dispatchEvent(new CustomEvent('load', { detail: { mode: 'spin' } }));
        },
        onFrameChange: (row, frame) => this.dispatchEvent(new CustomEvent('framechange', { detail: { row, frame }, bubbles: true, composed: true })),
        onError: (message) => this.fail(message),
      });
      this.spin = spin;
      if (focus)
        void spin.ready.then(
          () => (host.querySelector('.xoay-spin') as HTMLElement | null)?.focus(),
          () => {},
        );
      return;
    }
    // The 3D viewer (and three.js behind it) is imported only now: the spin path never downloads it.
    let inner: ModelViewer | null = null;
    let gone = false;
    let loaded = false;
    const ready = import('./model-3d.js').then(({ createElementModel }) => {
      if (gone) throw new ViewerError('xoay-viewer: destroyed');
      inner = createElementModel(
        this,
        host,
        t,
        () => {
          loaded = true;
          this.drawn(t);
          this.dispatchEvent(new CustomEvent('load', { detail: { mode: '3d' } }));
        },
        (message) => {
          this.fail(message);
          // A context lost after loading (a phone reclaiming GPU memory): back to the spin when there is one.
          if (loaded && this.src && !this.fellBack && this.model3d === viewer) {
            this.fellBack = true;
            this.show('spin');
          }
        },
      );
      return inner.ready;
    });
    const viewer: ModelViewer = {
      ready,
      get renders() {
        return inner?.renders;
      },
      get animating() {
        return inner?.animating;
      },
      setSceneAttribute: (name, value) => ready.then(() => inner!.setSceneAttribute!(name, value)),
      toBlob: (options) => ready.then(() => inner!.toBlob!(options)),
      destroy() {
        gone = true;
        inner?.destroy();
      },
    };
    this.model3d = viewer;
    viewer.ready.catch((e: unknown) => {
      if (this.model3d !== viewer) return;
      const message = e instanceof ViewerError ? e.message : `xoay-viewer: ${this.model}: ${(e as Error)?.message ?? e}`;
      // No WebGL, a lost context or a model that fails: the spin if there is one, else the poster and the message.
      if (this.src && !this.fellBack) {
        this.fellBack = true;
        this.show('spin');
        this.fail(message);
        return;
      }
      this.fail(message);
      if (this.poster) this.stage.prepend(this.posterImg(this.poster));
      const p = document.createElement('p');
      p.className = 'xoay-msg';
      p.setAttribute('role', 'alert');
      p.textContent = t.modelError ?? t.error; // the details are in the error event
      this.stage.append(p);
    });
  }
}

// Properties from the table: strings read '' when absent, booleans are presence, enums fall back to their default.
for (const [name, spec] of Object.entries(ATTRIBUTES)) {
  if (Object.getOwnPropertyDescriptor(XoayViewerElement.prototype, spec.prop)) continue;
  Object.defineProperty(XoayViewerElement.prototype, spec.prop, {
    configurable: true,
    get(this: HTMLElement) {
      if (spec.kind === 'boolean') return this.hasAttribute(name);
      const v = this.getAttribute(name);
      if (spec.kind === 'enum') return v !== null && spec.values!.includes(v) ? v : (spec.fallback ?? '');
      return v ?? '';
    },
    set(this: HTMLElement, v: unknown) {
      if (spec.kind === 'boolean') this.toggleAttribute(name, !!v);
      else this.setAttribute(name, String(v));
    },
  });
}

if (typeof customElements !== 'undefined' && !customElements.get('xoay-viewer')) customElements.define('xoay-viewer', XoayViewerElement);

declare global {
  interface HTMLElementTagNameMap {
    'xoay-viewer': XoayViewerElement;
  }
}
