/**
 * `<XoayViewer>`: the `<xoay-viewer>` element for React. Props map to attributes through the element's own table
 * (ATTRIBUTES), its events to callbacks, `frame`/`row` to its properties; the ref is the element.
 *
 *   <XoayViewer src="/spin/spin.json" model="/model/model.glb" alt="Chè Shan tuyết, 100 g tin" onFrameChange={…} />
 *
 * SSR-safe: nothing is rendered on the server (nor in the first client render, so hydration matches), and nothing
 * here touches `window` or `customElements` until an effect imports the element, which registers it. The element
 * appears once that import has resolved.
 */
import { createElement, forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState, type CSSProperties } from 'react';
import type { ViewerStrings } from '../core/i18n.js';
import type { LoadingMode, ViewerMode, XoayViewerElement } from '../element/xoay-viewer.js';

type ElementModule = typeof import('../element/xoay-viewer.js');

export interface XoayViewerProps {
  /** URL of the spin's `spin.json`. */
  src?: string;
  /** URL of the GLB. With both `src` and `model` the viewer offers a 360°/3D toggle. */
  model?: string;
  /** Which to show first when both are given (default: the spin). */
  mode?: ViewerMode;
  /** Turn on its own until the first interaction (never under prefers-reduced-motion). */
  autoplay?: boolean;
  /** `lazy` (default: when near the viewport), `eager`, or `interaction` (a start button over the poster). */
  loading?: LoadingMode;
  /** What the product is, for screen readers. */
  alt?: string;
  /** The viewer's language, `vi` or `en` (its words and screen-reader labels); by default the nearest `lang` above it, else the page's. */
  lang?: string;
  /** Words to use instead of the language's (README, "Languages"), e.g. `{ hint: 'Kéo để xem' }`. */
  strings?: Partial<ViewerStrings>;
  /** Folder (URL) with the Draco decoder and Basis transcoder (default: `decoders/` beside the element's script). */
  decoderPath?: string;
  /** Image shown until the viewer starts. */
  /** An AR button in the 3D view when the device can (WebXR, Scene Viewer, Quick Look with `iosSrc`). */
  ar?: boolean;
  /** AR modes in order of preference: "webxr scene-viewer quick-look" (default). */
  arModes?: string;
  /** The USDZ for AR Quick Look on iOS (`xoay model --usdz` writes model.usdz beside model.glb). */
  iosSrc?: string;
  poster?: string;
  /**
   * The 3D view's scene, as attribute text named as model-viewer names it (README, "Scene attributes"):
   * `cameraOrbit="30deg 75deg 105%"`, `environmentImage="/studio.hdr"`, `exposure="1.2"` …; an invalid value is
   * refused (`onSceneError`) and the view keeps its last good state.
   */
  cameraOrbit?: string;
  cameraTarget?: string;
  fieldOfView?: string;
  minCameraOrbit?: string;
  maxCameraOrbit?: string;
  environmentImage?: string;
  environmentRotation?: string;
  skyboxImage?: string;
  background?: string;
  exposure?: string;
  toneMapping?: string;
  shadowIntensity?: string;
  shadowSoftness?: string;
  gltfCamera?: string;
  /** Spin frame to show; pushed to the element when it changes and again when the spin has loaded (the user can still turn it). */
  frame?: number;
  /** Spin row to show (multi-row spins); pushed like `frame`. */
  row?: number;
  /** The spin can be turned, or the model is drawn. */
  onLoad?: (detail: { mode: ViewerMode }) => void;
  /** A new spin frame is shown (by the user, autoplay or the `frame`/`row` props). */
  onFrameChange?: (detail: { row: number; frame: number }) => void;
  /** A clear message: a spin or model that fails, no WebGL (the element falls back to the spin or poster), or the element's script that fails to load. */
  onError?: (detail: { message: string }) => void;
  className?: string;
  style?: CSSProperties;
}

let elementModule: Promise<ElementModule> | null = null;
/** Imports (once) the element module, which defines `<xoay-viewer>` when it is first evaluated. */
function loadElement(): Promise<ElementModule> {
  elementModule ??= import('../element/xoay-viewer.js').catch((e: unknown) => {
    elementModule = null; // a later mount may retry
    throw e;
  });
  return elementModule;
}

type AttributeValue = string | true | undefined;

/**
 * Props → attributes through the element's table. Strings and enums are always given (an unset one is '', which
 * the element reads as absent) and booleans are `true` or absent: React 19 sets a custom element's known
 * properties rather than attributes, and `el.src = undefined` would become the text "undefined".
 */
function attributesOf(table: ElementModule['ATTRIBUTES'], props: XoayViewerProps): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, spec] of Object.entries(table)) {
    const v = props[spec.prop]; // every property the table names is a prop (or this fails to typecheck)
    if (spec.kind === 'boolean') out[name] = v ? true : undefined;
    else if (spec.kind === 'enum') out[name] = typeof v === 'string' && spec.values?.includes(v) ? v : '';
    else out[name] = typeof v === 'string' ? v : '';
  }
  return out;
}

/** Pushes the `row` then `frame` props to the element (row first: changing row keeps the angle, not the frame). */
function pushPosition(el: XoayViewerElement, props: XoayViewerProps): void {
  if (props.row !== undefined) el.row = props.row;
  if (props.frame !== undefined) el.frame = props.frame;
}

function detailOf<T>(e: Event): Partial<T> {
  return ((e as CustomEvent<T | undefined>).detail ?? {}) as Partial<T>;
}

/** Listens to the element's events, calling the latest props' callbacks; returns the unsubscribe. */
function listen(el: XoayViewerElement, latest: { current: XoayViewerProps }): () => void {
  const onLoad = (e: Event) => {
    pushPosition(el, latest.current);
    latest.current.onLoad?.({ mode: detailOf<{ mode: ViewerMode }>(e).mode ?? el.mode });
  };
  const onFrame = (e: Event) => {
    if (e.target !== el) return; // it bubbles: ignore a nested viewer's
    const d = detailOf<{ row: number; frame: number }>(e);
    latest.current.onFrameChange?.({ row: d.row ?? el.row, frame: d.frame ?? el.frame });
  };
  const onError = (e: Event) => {
    if (e.target !== el) return;
    latest.current.onError?.({ message: detailOf<{ message: string }>(e).message ?? 'xoay-viewer: error' });
  };
  el.addEventListener('load', onLoad);
  el.addEventListener('framechange', onFrame);
  el.addEventListener('error', onError);
  return () => {
    el.removeEventListener('load', onLoad);
    el.removeEventListener('framechange', onFrame);
    el.removeEventListener('error', onError);
  };
}

export const XoayViewer = forwardRef<XoayViewerElement, XoayViewerProps>(function XoayViewer(props, ref) {
  const [mod, setMod] = useState<ElementModule | null>(null);
  const [el, setEl] = useState<XoayViewerElement | null>(null);
  const latest = useRef(props);
  const unlisten = useRef<(() => void) | null>(null);

  useEffect(() => {
    latest.current = props;
  });

  useEffect(() => {
    let live = true;
    loadElement().then(
      (m) => live && setMod(() => m),
      (e: unknown) => live && latest.current.onError?.({ message: `xoay-viewer: the element failed to load: ${(e as Error)?.message ?? e}` }),
    );
    return () => {
      live = false;
    };
  }, []);

  // Listeners are added as the element is attached (before any event: its first ones come from promises), and the
  // embedder's words given before it starts (a property: React would set the object as its text).
  const setRef = useCallback((node: XoayViewerElement | null) => {
    unlisten.current?.();
    unlisten.current = node ? listen(node, latest) : null;
    if (node && latest.current.strings) node.strings = latest.current.strings;
    setEl(node);
  }, []);
  useImperativeHandle(ref, () => el as XoayViewerElement, [el]);

  const { row, frame } = props;
  // Changed words restart the view: only when they really change (an inline object is new at every render).
  const words = props.strings ? JSON.stringify(props.strings) : '';
  const shownWords = useRef(words);
  useEffect(() => {
    if (!el || words === shownWords.current) return;
    shownWords.current = words;
    el.strings = words ? JSON.parse(words) : {};
  }, [el, words]);
  useEffect(() => {
    if (el && row !== undefined) el.row = row;
  }, [el, row]);
  useEffect(() => {
    if (el && frame !== undefined) el.frame = frame;
  }, [el, frame]);

  if (!mod) return null;
  // The element starts when it is connected, so its attributes are set (by React, on the new node) before that; it
  // gets a fresh node when a source appears or goes, as it does not start on a `src` added later.
  const hasSource = !!(props.src || props.model);
  return createElement('xoay-viewer', {
    key: hasSource ? 'source' : 'none',
    ref: setRef,
    className: props.className,
    style: props.style,
    lang: props.lang,
    ...attributesOf(mod.ATTRIBUTES, props),
  });
});
XoayViewer.displayName = 'XoayViewer';
