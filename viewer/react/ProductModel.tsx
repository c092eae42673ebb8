/**
 * `<ProductModel>`: a model from `xoay model` in an app that already uses @react-three/fiber, on drei's `useGLTF`
 * (so it suspends: put it under <Suspense>) with the decoders the <xoay-viewer> element uses: Draco and the KTX2
 * (Basis) transcoder from `decoderPath`, the transcode target chosen for the app's renderer, and three's Meshopt
 * decoder (the element's; `xoay model` writes EXT_meshopt_compression's original vertex codec, which drei's default
 * decoder from three-stdlib reads too).
 *
 *   <Canvas><Suspense fallback={null}><ProductModel url="/model/model.glb" decoderPath="/decoders/" position={[0, -0.5, 0]} /></Suspense></Canvas>
 *   ProductModel.preload('/model/model.glb', '/decoders/');
 *
 * `decoderPath` is a folder (URL) holding draco_decoder.js/.wasm, draco_wasm_wrapper.js and basis_transcoder.js/.wasm:
 * dist/viewer/decoders/, or three's examples/jsm/libs/draco/ and basis/ copied into one folder.
 *
 * The scene is cached per URL (useGLTF) and shown as a <primitive> inside a group that takes the other props; one
 * object can be in the scene graph once, so to show a URL twice, clone it (drei's <Clone object={useGLTF(url).scene}>).
 * drei's useGLTF shares one GLTFLoader with the app's other useGLTF calls: a call with drei's default decoders that
 * is still loading when a ProductModel starts (or the reverse) may decode with the other's Meshopt decoder.
 */
import { useGLTF } from '@react-three/drei';
import { useThree, type ThreeElements } from '@react-three/fiber';
import { forwardRef } from 'react';
import type { Group, WebGLRenderer } from 'three';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';

export type ProductModelProps = Omit<ThreeElements['group'], 'ref' | 'children'> & {
  /** URL of the GLB. */
  url: string;
  /** Folder (URL) with draco_decoder.js/.wasm, draco_wasm_wrapper.js and basis_transcoder.js/.wasm. */
  decoderPath: string;
};

type ExtendLoader = NonNullable<Parameters<typeof useGLTF>[3]>;
type GLTFLoaderLike = Parameters<ExtendLoader>[0];
/** What KTX2Loader.detectSupport reads of a WebGL renderer (or a WebGPU one: `isWebGPURenderer`, `hasFeature`). */
type Renderer = Parameters<KTX2Loader['detectSupport']>[0];

interface Decoders {
  draco: DRACOLoader;
  ktx2: KTX2Loader;
  detected: boolean;
}

/** One Draco loader and one KTX2 loader (each owns a worker pool) per decoder folder, for the page's lifetime. */
const byPath = new Map<string, Decoders>();

function decodersFor(decoderPath: string): Decoders {
  const dir = decoderPath.endsWith('/') ? decoderPath : `${decoderPath}/`;
  let d = byPath.get(dir);
  if (!d) {
    d = { draco: new DRACOLoader().setDecoderPath(dir), ktx2: new KTX2Loader().setTranscoderPath(dir), detected: false };
    byPath.set(dir, d);
  }
  return d;
}

/** The `extendLoader` for useGLTF (called with useDraco = useMeshopt = false, so drei sets none of its own). */
function extension(decoderPath: string, renderer: Renderer | null): ExtendLoader {
  return (loader: GLTFLoaderLike) => {
    const d = decodersFor(decoderPath);
    if (!d.detected && renderer) {
      d.ktx2.detectSupport(renderer);
      d.detected = true;
    }
    // three's loaders and decoder, typed by three-stdlib's GLTFLoader as its own; the interfaces it calls match.
    loader.setDRACOLoader(d.draco as unknown as Parameters<GLTFLoaderLike['setDRACOLoader']>[0]);
    loader.setKTX2Loader(d.ktx2 as unknown as Parameters<GLTFLoaderLike['setKTX2Loader']>[0]);
    loader.setMeshoptDecoder(MeshoptDecoder);
  };
}

/**
 * A stand-in renderer for KTX2 support detection before the app's renderer exists (preload): the compressed-texture
 * extensions of a throwaway 1×1 WebGL context, which is released at once. Null without WebGL.
 */
function probeRenderer(): Renderer | null {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (!gl) return null;
  const exts = new Map<string, unknown>();
  for (const name of gl.getSupportedExtensions() ?? []) exts.set(name, gl.getExtension(name));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { extensions: { has: (name: string) => exts.get(name) != null, get: (name: string) => exts.get(name) } } as unknown as Renderer;
}

export const ProductModel = Object.assign(
  forwardRef<Group, ProductModelProps>(function ProductModel({ url, decoderPath, ...props }, ref) {
    const gl = useThree((s) => s.gl);
    const { scene } = useGLTF(url, false, false, extension(decoderPath, gl));
    return (
      <group ref={ref} {...props}>
        <primitive object={scene} />
      </group>
    );
  }),
  { displayName: 'ProductModel', preload: preloadProductModel },
);

/**
 * Starts loading a model before any <ProductModel> shows it (into useGLTF's cache). Pass the app's renderer when there
 * is one; otherwise KTX2 support is read from a throwaway WebGL context. Does nothing on the server.
 */
export function preloadProductModel(url: string, decoderPath: string, gl?: WebGLRenderer): void {
  if (typeof document === 'undefined') return;
  const d = decodersFor(decoderPath);
  useGLTF.preload(url, false, false, extension(decoderPath, gl ?? (d.detected ? null : probeRenderer())));
}
