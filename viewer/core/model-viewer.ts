/**
 * `createModelViewer(el, options)`: a GLB in 3D, framework-free. three.js is imported only here, lazily (a separate
 * chunk: the spin path never downloads it). PLACEHOLDER until the 3D module lands: it reports that 3D is unavailable,
 * so the element falls back to the spin or the poster.
 */
import { ViewerError } from './manifest.js';

export interface ModelViewerOptions {
  /** URL of the GLB, relative to `base`. */
  src: string;
  /** Base URL for `src` (default: the document's). */
  base: string;
  /** What the product is, for screen readers. */
  alt: string;
  /** Turn slowly until the first interaction (never under prefers-reduced-motion). */
  autoRotate: boolean;
  /** Folder (URL) with draco_decoder.js/.wasm, draco_wasm_wrapper.js and basis_transcoder.js/.wasm. */
  decoderPath: string;
  /** The model is drawn and can be turned. */
  onLoad: () => void;
  /** A clear message; the viewer shows it in place too (or the element falls back). */
  onError: (message: string) => void;
}

export interface ModelViewer {
  /** Resolves when the first frame is drawn; rejects with a ViewerError (no WebGL, a GLB that fails to decode …). */
  readonly ready: Promise<void>;
  destroy(): void;
}

export function createModelViewer(_el: HTMLElement, options: Partial<ModelViewerOptions> & { src: string }): ModelViewer {
  const ready = Promise.reject(new ViewerError(`xoay-viewer: ${options.src}: 3D is not available yet`));
  ready.catch(() => {});
  return { ready, destroy() {} };
}
