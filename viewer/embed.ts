/**
 * The embed build's one entry (dist/viewer/xoay-viewer.js): registers `<xoay-viewer>` and exports the spin core. The
 * 3D core is loaded on demand (`loadModelViewer()`), so this file stays the spin path; bundlers get both from
 * viewer/index.ts (`xoay/viewer`).
 */
export { createSpinViewer, SPIN_VIEWER_DEFAULTS, type SpinViewer, type SpinViewerOptions, type SpinViewerStats } from './core/spin-viewer.js';
export { checkManifest, loadManifest, ViewerError, type Spin } from './core/manifest.js';
export { XoayViewerElement, ATTRIBUTES, type LoadingMode, type ViewerMode } from './element/xoay-viewer.js';
export type { ModelViewer, ModelViewerOptions } from './core/model-viewer.js';

/** The 3D core (`createModelViewer`), imported when asked for: three.js comes with it (one chunk with the element's 3D view). */
export const loadModelViewer = () => import('./element/model-3d.js');
