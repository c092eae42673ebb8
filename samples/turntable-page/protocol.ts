/**
 * The protocol between the sample renderer's Node side (samples/make-turntable.ts) and its page
 * (page/render.browser.ts): types only, imported by both.
 */

/** What the Node side asks for once per page. */
export interface TurntableSetup {
  /** URL of the GLB (served by the script through a Playwright route). */
  modelUrl: string;
  /** Number of frames in a full turn. */
  frames: number;
  /** Frame size in pixels (rendered at devicePixelRatio 1). */
  width: number;
  height: number;
  /** Backdrop colour as it should appear at exposure 1, sRGB hex (e.g. "#d9d9d9"). Keep it ≤ #e0e0e0. */
  backdrop: string;
  /** Camera elevation above the horizontal, degrees. */
  elevationDeg: number;
  /** Vertical field of view, degrees. */
  fovDeg: number;
  /** Share of the frame height the object's vertical extent over the whole turn should fill (0–1). */
  fill: number;
  /** Distance of the model's centre from the turntable axis, as a share of its largest dimension. */
  offAxis: number;
  /** Direction of that offset in the turntable plane, degrees from +X towards +Z. */
  offAxisAngleDeg: number;
}

/** What `setup` found and chose, for the log and SOURCE.txt. */
export interface TurntableInfo {
  /** Model bounding box size (x, y, z) in model units (metres for glTF). */
  size: [number, number, number];
  /** Triangles drawn. */
  triangles: number;
  /** Offset of the model's centre from the turntable axis (x, z), model units. */
  offset: [number, number];
  /** Camera distance to its target and the target height, model units. */
  cameraDistance: number;
  targetHeight: number;
  /** Smallest and largest share of the frame height covered by the object over the turn. */
  fillMin: number;
  fillMax: number;
  /** Smallest gap between the object and each frame edge over the whole turn, pixels. */
  marginPx: { left: number; right: number; top: number; bottom: number };
  /** three.js revision and the WebGL renderer string (SwiftShader here), for SOURCE.txt. */
  threeRevision: string;
  glRenderer: string;
}

export interface FrameRequest {
  /** Frame index, 0-based; the turntable is at index·360°/frames. */
  index: number;
  /** `renderer.toneMappingExposure` for this frame. */
  exposure: number;
  /** Render the object's silhouette instead: white on black, no backdrop, floor, shadow or tone mapping (the ground-truth mask). */
  mask?: boolean;
}

export interface TurntableApi {
  setup(options: TurntableSetup): Promise<TurntableInfo>;
  /** Renders one frame and returns it as a PNG data URL. */
  renderFrame(request: FrameRequest): string;
}
