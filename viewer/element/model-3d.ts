/**
 * The element's 3D view, made from its attributes: imported by `<xoay-viewer>` only when 3D is shown, so it is in the
 * 3D chunk with the 3D core, off the spin path.
 */
import { languageOfElement, type SpinStrings, type ViewerStrings } from '../core/i18n.js';
import { createModelViewer, type ModelViewer } from '../core/model-viewer.js';
import { SCENE_ATTRIBUTES } from '../core/scene-attributes.js';
import type { XoayViewerElement } from './xoay-viewer.js';

export { createModelViewer };

export function createElementModel(
  el: XoayViewerElement,
  host: HTMLElement,
  strings: SpinStrings & Partial<ViewerStrings>,
  onLoad: () => void,
  onError: (message: string) => void,
): ModelViewer {
  const base = document.baseURI;
  return createModelViewer(host, {
    src: el.model,
    base,
    alt: el.alt,
    lang: languageOfElement(el),
    strings,
    autoRotate: el.autoplay,
    decoderPath: el.decoderPath, // '' lets the 3D viewer use the decoders/ shipped beside it
    poster: el.poster ? new URL(el.poster, base).href : '',
    sceneAttributes: Object.fromEntries(Object.keys(SCENE_ATTRIBUTES).map((n) => [n, el.getAttribute(n)])),
    onSceneError: (message) => {
      console.warn(message);
      el.dispatchEvent(new CustomEvent('scene-error', { detail: { message } }));
    },
    onLoad,
    onError,
  });
}
