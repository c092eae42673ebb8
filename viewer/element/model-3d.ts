/**
 * The element's 3D view, made from its attributes: imported by `<xoay-viewer>` only when 3D is shown, so it is in the
 * 3D chunk with the 3D core, off the spin path.
 */
import { languageOfElement, type SpinStrings, type ViewerStrings } from '../core/i18n.js';
import { createModelViewer, type ModelViewer } from '../core/model-viewer.js';
import { SCENE_ATTRIBUTES } from '../core/scene-attributes.js';
import type { XoayViewerElement } from './xoay-viewer.js';

// The whole 3D core, for `loadModelViewer()` (embed.ts): createModelViewer, sceneFromAttributes, webglSupport …
export * from '../core/model-viewer.js';

export function createElementModel(
  el: XoayViewerElement,
  host: HTMLElement,
  strings: SpinStrings & Partial<ViewerStrings>,
  onLoad: () => void,
  onError: (message: string) => void,
): ModelViewer {
  const base = document.baseURI;
  // The AR button (`ar`): its module only then, and only while this view is still shown. A mode that cannot start is
  // an `error` event; the 3D view stays.
  if (el.ar)
    void import('../core/ar.js').then((m) => {
      if (host.isConnected) void m.mountArButton(host, el, (message) => el.dispatchEvent(new CustomEvent('error', { detail: { message } })));
    });
  // A refused scene value (a bad attribute, an environment image that does not load, an unknown camera): a console
  // warning, `error` ({ message, scene: true }) then `scene-error` ({ name, message }); the view keeps its last good state.
  const sceneError = (message: string, name?: string) => {
    console.warn(message);
    el.dispatchEvent(new CustomEvent('error', { detail: { message, scene: true } }));
    el.dispatchEvent(new CustomEvent('scene-error', { detail: { name, message } }));
  };
  const viewer = createModelViewer(host, {
    src: el.model,
    base,
    alt: el.alt,
    lang: languageOfElement(el),
    strings,
    autoRotate: el.autoplay,
    decoderPath: el.decoderPath, // '' lets the 3D viewer use the decoders/ shipped beside it
    poster: el.poster ? new URL(el.poster, base).href : '',
    sceneAttributes: Object.fromEntries(Object.keys(SCENE_ATTRIBUTES).map((n) => [n, el.getAttribute(n)])),
    onSceneError: (message) => sceneError(message),
    onLoad,
    onError,
  });
  const set = viewer.setSceneAttribute!.bind(viewer);
  viewer.setSceneAttribute = (name, value) =>
    set(name, value).then(
      () => void el.dispatchEvent(new CustomEvent('scene-change', { detail: { name } })),
      (e: Error) => sceneError(e.message, name),
    );
  return viewer;
}
