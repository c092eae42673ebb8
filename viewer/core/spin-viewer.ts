/**
 * `createSpinViewer(el, options)`: a 360° spin from a `spin.json`, framework-free. Composes the feature modules:
 * manifest (load + check), frame-store (loading order and memory), renderer (canvas), input (drag, swipe, pinch, zoom),
 * inertia, keyboard, autoplay, fullscreen, a11y, visibility (IntersectionObserver) and resize (ResizeObserver).
 *
 * Sequence: poster and placeholder (ThumbHash, its decoder a small chunk fetched alongside) → the row's sprite → draggable (`onLoad`) → full frames at the
 * width that fits, around the current angle first.
 */
import { createA11y } from './a11y.js';
import type { Autoplay } from './autoplay.js';
import { FrameStore, memoryBudget } from './frame-store.js';
import { angleOf, framesForDrag, wrap } from './frames.js';
import type { Fullscreen } from './fullscreen.js';
import { type SpinStrings, stringsOf } from './i18n.js';
import { createInertia } from './inertia.js';
import { createInput } from './input.js';
import { createKeyboard } from './keyboard.js';
import { loadManifest, ViewerError, type Spin } from './manifest.js';
import { clampView, MAX_ZOOM, Renderer, type Cell, type View } from './renderer.js';
import { pickFormat, pickWidth, supportedFormats } from './sources.js';

export interface SpinViewerOptions {
  /** URL of the spin.json, relative to `base`. */
  src: string;
  /** Base URL for `src` (default: the document's). */
  base: string;
  /** What the product is, for screen readers. */
  alt: string;
  /** Show the manifest's poster until the sprite is in (false: the page shows its own, e.g. in the element's light DOM). */
  poster: boolean;
  /** The words it shows and speaks (core/i18n.ts; default English). */
  strings: SpinStrings;
  /** Turn on its own until the first interaction (never under prefers-reduced-motion). */
  autoplay: boolean;
  /** Starting row and frame. */
  row: number;
  frame: number;
  /** Seconds per turn when autoplaying. */
  secondsPerTurn: number;
  /** Parallel downloads. */
  concurrency: number;
  /** Bytes of decoded frames to keep (default: from navigator.deviceMemory). */
  memoryBytes: number;
  /** The spin can be dragged. */
  onLoad: () => void;
  onFrameChange: (row: number, frame: number) => void;
  /** A clear message; the viewer shows it in place too. */
  onError: (message: string) => void;
}

export const SPIN_VIEWER_DEFAULTS: Omit<SpinViewerOptions, 'src'> = {
  base: typeof document !== 'undefined' ? document.baseURI : 'http://localhost/',
  alt: '',
  poster: true,
  strings: stringsOf('en'),
  autoplay: false,
  row: 0,
  frame: 0,
  secondsPerTurn: 8,
  concurrency: 4,
  memoryBytes: 0,
  onLoad: () => {},
  onFrameChange: () => {},
  onError: () => {},
};

export interface SpinViewerStats {
  bytesLoaded: number;
  decodedFrames: number;
  windowRadius: number;
  renditionWidth: number;
}

export interface SpinViewer {
  /** Resolves when the spin can be dragged; rejects with the error message. */
  readonly ready: Promise<void>;
  readonly frame: number;
  readonly row: number;
  readonly frames: number;
  readonly rows: number;
  readonly zoom: number;
  setFrame(frame: number): void;
  setRow(row: number): void;
  zoomTo(zoom: number, cx?: number, cy?: number): void;
  toggleFullscreen(): Promise<void>;
  play(): void;
  stop(): void;
  stats(): SpinViewerStats;
  destroy(): void;
}

const STYLE = `
[data-xoay-fullscreen]{position:fixed!important;inset:0!important;width:auto!important;height:auto!important;z-index:2147483646;background:#fff}
.xoay-spin{position:absolute;inset:0;overflow:hidden;outline:none;cursor:grab;-webkit-tap-highlight-color:transparent}
.xoay-spin:focus-visible{box-shadow:inset 0 0 0 3px #1a73e8}
.xoay-spin.dragging{cursor:grabbing}
.xoay-spin>img,.xoay-spin>canvas{position:absolute;inset:0;width:100%;height:100%;object-fit:contain;pointer-events:none}
.xoay-spin>canvas:last-of-type{opacity:0}
.xoay-spin.ready>canvas:last-of-type{opacity:1}
.xoay-spin .xoay-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.xoay-msg{position:absolute;inset:auto 0 0 0;margin:0;padding:.5em .75em;background:#fff8e1;color:#5d4037;font:14px/1.4 system-ui,sans-serif;pointer-events:none}
`;

export function createSpinViewer(el: HTMLElement, options: Partial<SpinViewerOptions> & { src: string }): SpinViewer {
  const o: SpinViewerOptions = {
    ...SPIN_VIEWER_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as SpinViewerOptions;
  if (typeof o.src !== 'string' || !o.src) throw new ViewerError('xoay-viewer: option "src" must be the URL of a spin.json');

  const style = document.createElement('style');
  style.textContent = STYLE;
  const box = document.createElement('div');
  box.className = 'xoay-spin';
  // The ThumbHash drawn into a tiny canvas, stretched by CSS (no PNG encoding needed).
  const placeholder = document.createElement('canvas');
  placeholder.setAttribute('aria-hidden', 'true');
  const poster = document.createElement('img');
  poster.alt = '';
  poster.setAttribute('aria-hidden', 'true');
  poster.decoding = 'async';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('aria-hidden', 'true');
  const live = document.createElement('div');
  live.className = 'xoay-sr';
  box.append(placeholder, poster, canvas, live);
  el.append(style, box);
  if (getComputedStyle(el).position === 'static') el.style.position = 'relative';

  const abort = new AbortController();
  let destroyed = false;
  let spin: Spin | null = null;
  let store: FrameStore | null = null;
  let renderer: Renderer | null = null;
  let row = Math.max(0, Math.floor(o.row));
  let pos = o.frame; // fractional frame position
  let shown = -1;
  let view: View = { zoom: 1, cx: 0.5, cy: 0.5 };
  let raf = 0;
  let dragging = false;
  let rowAccum = 0;
  const inertia = createInertia();
  let dragX = 0;
  const cleanups: (() => void)[] = [];

  const frames = () => spin?.rows[row]?.frames.length ?? 1;
  // Before the manifest is in, the frame asked for is kept as given.
  const frame = () => (spin ? wrap(pos, frames()) : Math.round(pos));
  const a11y = createA11y(box, live, o.alt, o.strings);
  cleanups.push(() => a11y.destroy());

  // In place, in the reader's language, when the spin cannot be shown (a missing frame of a spin that turns from its
  // sprite is only reported); the details (URL, what is wrong) go to onError, for the page and its developers.
  const showError = (message: string) => {
    if (!box.classList.contains('ready') && !box.querySelector('.xoay-msg')) {
      const msg = document.createElement('p');
      msg.className = 'xoay-msg';
      msg.setAttribute('role', 'alert');
      msg.textContent = o.strings.error;
      box.append(msg);
    }
    o.onError(message);
  };

  const invalidate = () => {
    if (!raf && !destroyed) raf = requestAnimationFrame(paint);
  };
  function paint(t: number) {
    raf = 0;
    if (!spin || !store || !renderer) return;
    void t;
    const f = frame();
    let src: CanvasImageSource | Cell | undefined = view.zoom > 1 ? store.zoomImage(row, f) : undefined;
    // Zoomed in on another frame (keys, autoplay, a row change) or back on screen: fetch its largest rendition.
    if (view.zoom > 1 && !src) void store.zoomFrame(row, f).then((img) => img && invalidate());
    src ??= store.frame(row, f);
    if (!src) {
      const sprite = store.sprite(row);
      const s = spin.rows[row]!.sprite;
      if (sprite)
        src = { image: sprite, sx: (f % s.columns) * s.frameWidth, sy: Math.floor(f / s.columns) * s.frameHeight, sw: s.frameWidth, sh: s.frameHeight };
    }
    renderer.draw(src as Cell | ImageBitmap | undefined, view);
    if (f !== shown) {
      shown = f;
      store.setCenter(row, f);
      a11y.update(angleOf(f, frames()), row, spin.rows.length);
      o.onFrameChange(row, f);
    }
  }

  const direction = () => (spin?.direction === 'cw' ? -1 : 1);
  function turnBy(framesDelta: number, user = true) {
    if (user) stopAutoplay();
    pos += framesDelta;
    const n = frames();
    if (pos > 1e6 || pos < -1e6) pos = wrap(pos, n);
    invalidate();
  }
  const setRowIndex = (r: number) => {
    if (!spin) return;
    const next = Math.min(spin.rows.length - 1, Math.max(0, r));
    if (next === row) return;
    const angle = frame() / frames();
    row = next;
    pos = Math.round(angle * frames());
    shown = -1;
    void store?.loadSprite(row);
    invalidate();
  };
  const zoomAt = (factor: number, x: number, y: number) => {
    if (!renderer || !store || !spin) return;
    const r = renderer.imageRect(view);
    // Keep the image point under (x, y) in place.
    const ix = (x - r.x) / r.w,
      iy = (y - r.y) / r.h;
    const zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom * factor));
    const baseW = r.w / view.zoom,
      baseH = r.h / view.zoom;
    const { width: w, height: h } = renderer.size;
    view = clampView({ zoom, cx: ix + (w / 2 - x) / (baseW * zoom), cy: iy + (h / 2 - y) / (baseH * zoom) }, w, h, spin.width / spin.height);
    if (view.zoom <= 1.001) {
      view = { zoom: 1, cx: 0.5, cy: 0.5 };
      store.dropZoom();
      input.setTouchAction(spin.rows.length > 1 ? 'none' : 'pan-y');
    } else {
      input.setTouchAction('none');
      void store.zoomFrame(row, frame()).then(invalidate);
    }
    invalidate();
  };

  // Autoplay, which few pages ask for, is a chunk of its own, imported when asked for (`autoplay`, play()).
  let autoplay: Autoplay | undefined;
  let playing = false;
  let hidden = false;
  const play = async () => {
    playing = true;
    // (Not destructured: Vite wraps a destructured dynamic import in a longer async function, on the spin path.)
    const m = await import('./autoplay.js');
    if (destroyed || !playing) return; // an interaction (or stop()) while it was loading
    autoplay ??= m.createAutoplay(frames, (by) => turnBy(by * direction(), false), o.secondsPerTurn);
    autoplay.start();
    if (hidden) autoplay.pause();
  };
  const stopAutoplay = () => {
    playing = false;
    autoplay?.stop();
  };
  // Fullscreen is a rare path: its module is a chunk of its own, imported at the first request (F, toggleFullscreen).
  let fullscreen: Fullscreen | undefined;
  const toggleFullscreen = async () => {
    const m = await import('./fullscreen.js');
    if (!destroyed) await (fullscreen ??= m.createFullscreen(el, () => requestAnimationFrame(() => resize()))).toggle();
  };
  cleanups.push(() => fullscreen?.destroy());

  const input = createInput(box, {
    start() {
      dragging = true;
      inertia.stop();
      dragX = 0;
      rowAccum = 0;
      box.classList.add('dragging');
    },
    move(dx, dy, axis, time) {
      if (!renderer) return;
      if (view.zoom > 1) {
        const r = renderer.imageRect(view);
        view = clampView({ ...view, cx: view.cx - dx / r.w, cy: view.cy - dy / r.h }, renderer.size.width, renderer.size.height, r.w / r.h);
        invalidate();
        return;
      }
      if (axis === 'y') {
        rowAccum += dy;
        const step = Math.max(30, renderer.size.height / 6);
        while (Math.abs(rowAccum) >= step) {
          setRowIndex(row + (rowAccum > 0 ? -1 : 1));
          rowAccum -= Math.sign(rowAccum) * step;
        }
        return;
      }
      dragX += dx;
      inertia.sample(dragX, time);
      turnBy(framesForDrag(dx, renderer.size.width, frames()) * direction());
    },
    end(cancelled, time) {
      dragging = false;
      box.classList.remove('dragging');
      const v = inertia.release(time); // CSS pixels per second
      if (cancelled || view.zoom > 1 || !renderer) inertia.stop();
      else if (v) startInertia(v * framesForDrag(1, renderer.size.width, frames()) * direction());
    },
    pinch(factor, x, y) {
      zoomAt(factor, x, y);
    },
    doubleTap(x, y) {
      if (view.zoom > 1) zoomAt(1 / view.zoom, x, y);
      else zoomAt(2.5, x, y);
    },
    wheelZoom(factor, x, y) {
      zoomAt(factor, x, y);
    },
    interact() {
      stopAutoplay();
      inertia.stop();
    },
  });
  cleanups.push(() => input.destroy());
  // After a flick the spin keeps turning (in frames per second) and slows down.
  let inertiaRaf = 0;
  let lastT = 0;
  function startInertia(framesPerSecond: number) {
    inertia.launch(framesPerSecond);
    lastT = 0;
    cancelAnimationFrame(inertiaRaf);
    const tick = (t: number) => {
      const dt = lastT ? Math.min(50, t - lastT) : 16.7;
      lastT = t;
      const d = inertia.step(dt);
      if (d === null || dragging || destroyed) return;
      turnBy(d, false);
      inertiaRaf = requestAnimationFrame(tick);
    };
    inertiaRaf = requestAnimationFrame(tick);
  }
  cleanups.push(() => cancelAnimationFrame(inertiaRaf));

  const keyboard = createKeyboard(box, {
    step: (d) => {
      pos = Math.round(pos) + d * direction();
      invalidate();
    },
    row: (d) => setRowIndex(row + d),
    first: () => {
      pos = 0;
      invalidate();
    },
    last: () => {
      pos = frames() - 1;
      invalidate();
    },
    zoom: (f) => renderer && zoomAt(f, renderer.size.width / 2, renderer.size.height / 2),
    fullscreen: () => void toggleFullscreen(),
    escape: () => {
      if (view.zoom > 1 && renderer) {
        zoomAt(1 / view.zoom, renderer.size.width / 2, renderer.size.height / 2);
        return true;
      }
      if (fullscreen?.active) {
        void fullscreen.exit();
        return true;
      }
      return false;
    },
    interact: () => {
      stopAutoplay();
      inertia.stop();
    },
  });
  cleanups.push(() => keyboard.destroy());

  function resize() {
    if (!renderer || !spin || !store) return;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const dpr = globalThis.devicePixelRatio || 1;
    if (renderer.resize(r.width, r.height, dpr)) {
      // The width that fits: the element's, or its height's share for a tall element.
      const fitW = Math.min(r.width, (r.height * spin.width) / spin.height);
      store.setWidth(pickWidth(spin.widths, fitW, dpr));
      invalidate();
    }
  }

  // The ThumbHash decoder is a chunk of its own (off the spin path), asked for now, alongside the manifest: on pages
  // that carry their poster in the element (product pages, embeds) the placeholder is not even seen. Fullscreen and
  // autoplay are chunks of their own too, imported when used.
  const thumbhash = import('./placeholder.js');
  thumbhash.catch(() => {});
  const ready = (async () => {
    const supported = await supportedFormats();
    spin = await loadManifest(o.src, o.base, abort.signal);
    if (destroyed) throw new ViewerError('xoay-viewer: destroyed');
    if (!el.getBoundingClientRect().height) el.style.aspectRatio = `${spin.width} / ${spin.height}`;
    row = Math.min(row, spin.rows.length - 1);
    pos = wrap(pos, frames());
    const hash = spin.placeholder;
    if (hash)
      void thumbhash
        // not once the poster is there; a bad placeholder, or its decoder not there, is not worth an error
        .then(({ drawPlaceholder }) => placeholder.isConnected && drawPlaceholder(placeholder, hash))
        .catch(() => {});
    const posterFormat = o.poster && pickFormat(spin.poster, supported);
    if (posterFormat) poster.src = spin.poster[posterFormat]!;
    poster.onload = () => placeholder.remove();
    renderer = new Renderer(canvas, spin.width / spin.height, spin.background === 'white' ? '#fff' : null);
    const r = el.getBoundingClientRect();
    store = new FrameStore(
      spin,
      pickWidth(spin.widths, Math.min(r.width || 300, ((r.height || 225) * spin.width) / spin.height), globalThis.devicePixelRatio || 1),
      {
        supported,
        budgetBytes: o.memoryBytes || memoryBudget((navigator as Navigator & { deviceMemory?: number }).deviceMemory),
        concurrency: o.concurrency,
        onReady: (r2) => {
          if (r2 === row) invalidate();
        },
        onFileError: (url, message) => showError(`xoay-viewer: ${url}: ${message}`),
      },
    );
    input.setVertical(spin.rows.length > 1);
    input.setTouchAction(spin.rows.length > 1 ? 'none' : 'pan-y');
    resize();
    if (!(await store.loadSprite(row))) throw new ViewerError(`xoay-viewer: ${o.src}: the preview sprite of row ${row + 1} could not be loaded`);
    if (destroyed) throw new ViewerError('xoay-viewer: destroyed');
    box.classList.add('ready');
    // Full frames after the first frame is drawn and `load` is out: starting their downloads is main-thread work
    // (tens of ms on a slow phone) that the first drag should not wait for.
    requestAnimationFrame(() => setTimeout(() => store?.begin()));
    shown = -1;
    invalidate();
    const ro = new ResizeObserver(() => resize());
    ro.observe(el);
    cleanups.push(() => ro.disconnect());
    const io = new IntersectionObserver((entries) => {
      const visible = entries.some((e) => e.isIntersecting);
      if (!store) return;
      if (visible) {
        store.resume();
        hidden = false;
        autoplay?.resume();
        invalidate();
      } else {
        store.suspend();
        hidden = true;
        autoplay?.pause();
      }
    });
    io.observe(el);
    cleanups.push(() => io.disconnect());
    if (o.autoplay) void play(); // not under prefers-reduced-motion (autoplay.ts)
    o.onLoad();
  })();
  ready.catch((e: Error) => {
    if (!destroyed && e.name !== 'AbortError') showError(e instanceof ViewerError ? e.message : `xoay-viewer: ${o.src}: ${e.message}`);
  });

  return {
    ready,
    get frame() {
      return frame();
    },
    get row() {
      return row;
    },
    get frames() {
      return frames();
    },
    get rows() {
      return spin?.rows.length ?? 1;
    },
    get zoom() {
      return view.zoom;
    },
    setFrame(f) {
      if (!Number.isFinite(f)) return;
      // Before the manifest is in, keep it as given: it is wrapped once the frame count is known.
      pos = spin ? wrap(f, frames()) : Math.round(f);
      invalidate();
    },
    setRow(r) {
      if (!Number.isFinite(r)) return;
      if (spin) setRowIndex(Math.floor(r));
      else row = Math.max(0, Math.floor(r));
    },
    zoomTo(z, cx = 0.5, cy = 0.5) {
      if (!renderer) return;
      zoomAt(z / view.zoom, cx * renderer.size.width, cy * renderer.size.height);
    },
    toggleFullscreen,
    play: () => void play(),
    stop: stopAutoplay,
    stats: () => ({
      bytesLoaded: store?.bytesLoaded ?? 0,
      decodedFrames: store?.decodedCount ?? 0,
      windowRadius: store?.windowRadius ?? 0,
      renditionWidth: store?.renditionWidth ?? 0,
    }),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      abort.abort();
      cancelAnimationFrame(raf);
      stopAutoplay();
      for (const c of cleanups.splice(0)) c();
      store?.destroy();
      store = null;
      box.remove();
      style.remove();
    },
  };
}
