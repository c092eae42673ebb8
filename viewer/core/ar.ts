/**
 * "View in your room": the AR button of the 3D view, as model-viewer offers it (its attribute names: `ar`,
 * `ar-modes`, `ios-src`). Loaded with the 3D view only when the element has `ar`, so the spin path does not carry it;
 * the WebXR session (ar-webxr.ts, three.js's WebXR support) is loaded only when the shopper presses the button.
 *
 * The button is shown only when the device can, the first mode of `ar-modes` (default "webxr scene-viewer quick-look")
 * that it supports winning:
 * - `webxr`: `navigator.xr.isSessionSupported('immersive-ar')` (Chrome on ARCore phones): a WebXR session with hit-test
 *   placement on the floor at true scale (glTF metres).
 * - `scene-viewer`: Android without it (and not Firefox or the Oculus browser): Google's Scene Viewer through an intent
 *   URL with the GLB's absolute URL (sceneViewerUrl).
 * - `quick-look`: iOS Safari (`a.relList.supports('ar')`) with an `ios-src` USDZ (`xoay model --usdz`, `xoay build`):
 *   AR Quick Look through `<a rel="ar" href="model.usdz"><img></a>`.
 */
import { fill, languageOf, languageOfElement, type ModelStrings } from './i18n.js';
import { modelStringsOf } from './i18n-3d.js';

export type ArMode = 'webxr' | 'scene-viewer' | 'quick-look';
export const AR_MODES: readonly ArMode[] = ['webxr', 'scene-viewer', 'quick-look'];

/** What the button needs of the element (`<xoay-viewer>`'s properties; URLs relative to the document). */
export interface ArSource {
  /** The GLB. */
  model: string;
  /** The USDZ for Quick Look (ios-src); '' for none. */
  iosSrc: string;
  /** The `ar-modes` attribute: space-separated, in order of preference ('': all three). */
  arModes: string;
  /** The product's name (Scene Viewer's title, the button's label). */
  alt: string;
  /** Folder of the Draco decoder and Basis transcoder (WebXR loads the model with them); '' for the default. */
  decoderPath: string;
  /** The language (an element: its own `lang`, else its nearest ancestor's; else this tag) and the embedder's words. */
  lang?: string;
  strings?: Partial<ModelStrings>;
}

/** The modes of an `ar-modes` value, in order; unknown words are ignored. */
export function parseArModes(value: string | null): ArMode[] {
  const words = (value ?? '').split(/\s+/).filter((w): w is ArMode => (AR_MODES as readonly string[]).includes(w));
  return words.length ? [...new Set(words)] : [...AR_MODES];
}

/** What the browser says it can do (navigator.xr, the user agent, `a.relList`). */
export interface ArSupport {
  webxr: boolean;
  android: boolean;
  quickLook: boolean;
}

export async function detectArSupport(): Promise<ArSupport> {
  const ua = navigator.userAgent;
  let webxr = false;
  try {
    const xr = (navigator as Navigator & { xr?: { isSessionSupported(mode: string): Promise<boolean> } }).xr;
    webxr = Boolean(xr && (await xr.isSessionSupported('immersive-ar')));
  } catch {
    webxr = false;
  }
  const a = document.createElement('a');
  return {
    webxr,
    android: /android/i.test(ua) && !/firefox/i.test(ua) && !/OculusBrowser/.test(ua),
    quickLook: Boolean(a.relList?.supports?.('ar')),
  };
}

/** The mode to offer: the first of `modes` the device supports (quick-look only with a USDZ); null for none. */
export function chooseArMode(modes: ArMode[], support: ArSupport, hasUsdz: boolean): ArMode | null {
  for (const m of modes) {
    if (m === 'webxr' && support.webxr) return m;
    if (m === 'scene-viewer' && support.android) return m;
    if (m === 'quick-look' && support.quickLook && hasUsdz) return m;
  }
  return null;
}

/**
 * The Scene Viewer intent for a GLB (Google's documented form, as model-viewer builds it): the model's absolute URL
 * and the title encoded, AR preferred (Scene Viewer falls back to its 3D viewer), back to `page` (without its hash)
 * when ARCore is missing.
 */
export function sceneViewerUrl(glbUrl: string, title: string, page: string): string {
  const file = new URL(glbUrl);
  file.hash = '';
  const fallback = new URL(page);
  fallback.hash = '';
  const params = `file=${encodeURIComponent(file.href)}&mode=ar_preferred${title ? `&title=${encodeURIComponent(title)}` : ''}`;
  return `intent://arvr.google.com/scene-viewer/1.0?${params}#Intent;scheme=https;package=com.google.ar.core;action=android.intent.action.VIEW;S.browser_fallback_url=${encodeURIComponent(fallback.href)};end;`;
}

/** Follows a link from inside the view: Quick Look needs `<a rel="ar">` with an image as its first child. */
function follow(href: string, parent: Node, quickLook: boolean): void {
  const a = document.createElement('a');
  if (quickLook) {
    a.rel = 'ar';
    a.append(document.createElement('img'));
  }
  a.href = href;
  a.style.display = 'none';
  parent.appendChild(a);
  a.click();
  a.remove();
}

const BUTTON_STYLE =
  'position:absolute;right:8px;bottom:8px;z-index:2;display:flex;align-items:center;gap:.35em;padding:.45em .9em;border:0;border-radius:2em;background:#000b;color:#fff;font:inherit;cursor:pointer';

/**
 * Adds the AR button to `stage` (the 3D view's box) when the device supports one of the modes; resolves with the
 * mode offered (null: no button). `onError` gets a mode that fails to start.
 */
export async function mountArButton(
  stage: HTMLElement,
  o: ArSource,
  onError: (message: string) => void,
): Promise<{ mode: ArMode | null; button: HTMLButtonElement | null; remove(): void }> {
  const support = await detectArSupport();
  const mode = chooseArMode(parseArModes(o.arModes), support, Boolean(o.iosSrc));
  const base = document.baseURI;
  if (!mode) return { mode, button: null, remove() {} };
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'xoay-ar';
  button.dataset.mode = mode;
  button.style.cssText = BUTTON_STYLE;
  const words = modelStringsOf(o instanceof Element ? languageOfElement(o) : languageOf(o.lang), o.strings);
  button.textContent = words.arButton;
  button.setAttribute('aria-label', fill(words.arLabel, o.alt || words.arProduct));
  const glbUrl = new URL(o.model, base).href;
  button.addEventListener('click', () => {
    if (mode === 'quick-look') follow(new URL(o.iosSrc, base).href, stage, true);
    else if (mode === 'scene-viewer') follow(sceneViewerUrl(glbUrl, o.alt, location.href), stage, false);
    else
      void import('./ar-webxr.js')
        .then((m) => m.startWebXr({ src: glbUrl, decoderPath: o.decoderPath, strings: words }))
        .catch((e: unknown) => onError(`xoay-viewer: AR could not start (${e instanceof Error ? e.message : String(e)})`));
  });
  stage.append(button);
  return { mode, button, remove: () => button.remove() };
}
