/** Xoay viewer: the framework-free core and the `<xoay-viewer>` element. React bindings: `xoay/viewer/react`. */
export { createSpinViewer, SPIN_VIEWER_DEFAULTS, type SpinViewer, type SpinViewerOptions, type SpinViewerStats } from './core/spin-viewer.js';
export { createModelViewer, type ModelViewer, type ModelViewerOptions } from './core/model-viewer.js';
export { checkManifest, loadManifest, ViewerError, type Spin } from './core/manifest.js';
export { XoayViewerElement, ATTRIBUTES, type LoadingMode, type ViewerMode } from './element/xoay-viewer.js';
