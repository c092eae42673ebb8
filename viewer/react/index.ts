/**
 * React bindings for the Xoay viewer (react, react-dom, and for ProductModel @react-three/fiber, @react-three/drei and
 * three, are optional peer dependencies). Each component is in its own file: an app without three.js/R3F imports
 * `XoayViewer.js` directly, as a bundler resolves every import of this index before it drops the unused ones.
 */
export { XoayViewer, type XoayViewerProps } from './XoayViewer.js';
export { ProductModel, preloadProductModel, type ProductModelProps } from './ProductModel.js';
