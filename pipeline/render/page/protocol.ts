/**
 * The protocol between the product renderer's Node side (pipeline/render/render.ts) and its page
 * (render.browser.ts, built by `vite build --mode render` into dist/render/): types only, imported by both.
 */

/** What the Node side asks for once per page. */
export interface RenderSetup {
  /** URL of the GLB (served from memory by render.ts). */
  modelUrl: string;
  /** Frames in one full turn: frame i shows the model turned by i·360°/frames (counter-clockwise from above). */
  frames: number;
  /** Frame size in pixels (device pixel ratio 1). */
  width: number;
  height: number;
  /** Camera elevation above the horizontal, degrees. */
  elevationDeg: number;
  /** Backdrop colour, CSS hex (#rrggbb); drawn as the clear colour, so it comes out exactly (no tone mapping). */
  background: string;
  /** Share of the frame (width or height, whichever binds) the object covers over the whole turn (0–1). */
  fill: number;
  /**
   * Fixed views instead of a turn (then `frames` is their number and `elevationDeg` is unused): frame i shows the model
   * turned by `turnDeg` (counter-clockwise from above) seen from `elevationDeg` (90: from straight above), each view
   * fitted on its own to `fill`.
   */
  views?: RenderView[];
  /**
   * The framing an earlier `setup` returned (RenderInfo.framing), used as it is instead of fitting this model: the
   * same centre and cameras, so two versions of a model (a source and its compressed output) are drawn alike.
   */
  framing?: Framing;
}

/** One fixed view of `RenderSetup.views`. */
export interface RenderView {
  turnDeg: number;
  elevationDeg: number;
}

/** Where the model stands and where the cameras are: enough to draw another model exactly the same way. */
export interface Framing {
  /** The point of the GLB's scene put on the turntable axis (its bounding-box centre when fitted). */
  centre: [number, number, number];
  /** One camera for a turn, one per view for fixed views. */
  cameras: { position: [number, number, number]; quaternion: [number, number, number, number]; near: number; far: number }[];
}

/** What `setup` found and chose. */
export interface RenderInfo {
  /** Triangles drawn. */
  triangles: number;
  /** Model bounding box size (x, y, z), model units. */
  size: [number, number, number];
  /** Largest share of the frame width and height the object covers over the turn. */
  fillX: number;
  fillY: number;
  /**
   * The exact geometry of the frames, to re-project into them: a point p of the GLB's scene is drawn in frame i at
   * view · Ry(2π·i/frames) · model · p, with the perspective of `fovY` (degrees, vertical) and `aspect`
   * (width / height). Matrices are 16 numbers, column-major (three.js / glTF); Ry turns counter-clockwise seen from
   * above (+Y up).
   */
  camera: {
    /** The GLB's scene → the turntable's frame (the bounding-box centre moved onto the axis). */
    model: number[];
    /** World → camera (three.js: the camera looks down −Z, +Y up). */
    view: number[];
    fovY: number;
    aspect: number;
  };
  /** The framing used (fitted, or the one given): pass it as `RenderSetup.framing` to draw another model alike. */
  framing: Framing;
}

/** `init` makes the studio (WebGL 2, the environment light, the loaders) once per page. */
export type InitResult = { ok: true; threeRevision: string; glRenderer: string } | { ok: false; kind: 'webgl'; message: string };

/** `setup` does not throw across the page boundary: it says what failed and where. */
export type SetupResult = { ok: true; info: RenderInfo } | { ok: false; kind: 'model' | 'other'; message: string };

export interface RenderApi extends UsdzApi {
  init(): InitResult;
  /** Loads a model (freeing the previous one) and fits the camera to it. */
  setup(options: RenderSetup): Promise<SetupResult>;
  /** Renders frame `index` (0-based) and returns it as a PNG data URL. */
  frame(index: number): string;
  /** Frees the current model. */
  unload(): void;
}

/** What the Node side of the USDZ export (pipeline/render/usdz.ts) asks the page (page/usdz.browser.ts). */
export interface UsdzSetup {
  /** URL of the GLB (served from memory). */
  modelUrl: string;
  /** Folder of the Draco decoder and Basis transcoder. */
  decoderPath: string;
  /** Largest texture side written (larger ones are scaled down). */
  maxTextureSize: number;
}

/** The USDZ's files (model.usda first), what the export named, what it could not carry. */
export type UsdzPageResult =
  | {
      ok: true;
      files: { name: string; base64: string }[];
      /** Mesh prims, as named in the USD layer (the glTF mesh names, made USD identifiers). */
      meshes: string[];
      /** Material prims, as named in the USD layer (the glTF material names, made USD identifiers). */
      materials: string[];
      /** What USD Preview Surface could not carry. */
      unsupported: string[];
      /** KTX2 textures decoded to PNG. */
      decodedTextures: number;
      /** Bounding-box size of the scene, metres (glTF units; the USD layer says metersPerUnit = 1). */
      size: [number, number, number];
    }
  | { ok: false; kind: 'model' | 'other'; message: string };

/** The USDZ export of the page, loaded on first use. */
export interface UsdzApi {
  usdz(setup: UsdzSetup): Promise<UsdzPageResult>;
}
