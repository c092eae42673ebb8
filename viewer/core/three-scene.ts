/**
 * The three.js side of the 3D mode: the only module that imports three. `model-viewer.ts` loads it with a dynamic
 * `import()`, so three, its loaders and this code form one lazily loaded chunk that the spin path never downloads.
 *
 * A WebGLRenderer sized to the box × devicePixelRatio (at most 2), neutral studio light (RoomEnvironment through
 * PMREM, Khronos PBR Neutral tone mapping, sRGB output), GLTFLoader with Draco, KTX2 (Basis) and meshopt, the camera
 * framed to the model's bounding sphere, OrbitControls with damping and zoom limits from that sphere. It draws on
 * demand only: on a controls change, while damping or auto-rotate still move the camera, and on resize; when the
 * view is still no frame is drawn.
 *
 * `createStudio` is the look on its own (renderer settings, light, loaders): the product renderer
 * (pipeline/render/page/) draws its fallback turntable frames with it, so they look like this 3D view.
 */
import {
  ACESFilmicToneMapping,
  AgXToneMapping,
  Box3,
  Color,
  DataTexture,
  EquirectangularReflectionMapping,
  LinearSRGBColorSpace,
  LinearToneMapping,
  NeutralToneMapping,
  type ToneMapping,
  type WebGLRenderTarget,
  PerspectiveCamera,
  PMREMGenerator,
  Scene,
  Sphere,
  Spherical,
  SRGBColorSpace,
  Vector3,
  WebGLRenderer,
  type Material,
  type Mesh,
  type Object3D,
  type SkinnedMesh,
  Texture,
  LinearFilter,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { EXRLoader } from 'three/examples/jsm/loaders/EXRLoader.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { HDRLoader } from 'three/examples/jsm/loaders/HDRLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { type ContactShadow, createContactShadow } from './contact-shadow.js';
import { MAX_ENVIRONMENT_SIDE, type Orbit, SCENE_DEFAULTS, type SceneSettings, type ToneMappingName } from './scene-settings.js';

export interface ThreeSceneOptions {
  /** Absolute folder URL (ending in `/`) with draco_decoder.js/.wasm, draco_wasm_wrapper.js, basis_transcoder.js/.wasm. */
  decoderPath: string;
  /** Turn slowly until the first interaction (the caller has already checked prefers-reduced-motion). */
  autoRotate: boolean;
  /** The WebGL context was lost; nothing more is drawn. */
  onContextLost: () => void;
  /** What the page directs (camera, environment, exposure …); default SCENE_DEFAULTS. */
  scene?: SceneSettings;
  /** Base URL for `environment-image` and `skybox-image` (default: the document's). */
  base?: string;
  /**
   * The settings given at creation could not all be applied (an environment image that fails, an unknown glTF camera):
   * the model is shown with the defaults for those, and this says why.
   */
  onSceneError?: (message: string) => void;
}

export interface ThreeScene {
  /** Frames drawn so far. */
  readonly renders: number;
  /** Whether a frame is scheduled (damping or auto-rotate still moving the camera). */
  readonly animating: boolean;
  /**
   * Parses the GLB (`url` names it in errors and resolves any external resources), frames it and draws the first
   * frame (once the box has a size). Rejects with an Error whose message says what went wrong.
   */
  load(bytes: ArrayBuffer, url: string): Promise<void>;
  /**
   * Applies what a page directs (camera, environment, exposure, tone mapping …; scene-settings.ts): images are fetched
   * and decoded first, and when one fails (missing, not an image, too large) it rejects with a message and the view
   * keeps its last good state. Resolves once the new view is drawn.
   */
  setScene(settings: SceneSettings): Promise<void>;
  /**
   * Draws the view off-screen at `width` × `height` pixels (pixel ratio 1) and encodes it: the current view, or the
   * view `orbit` gives (as `camera-orbit` would, at this size's aspect ratio). The on-screen view is not changed.
   */
  toBlob(o: { width: number; height: number; orbit: Orbit | null; mimeType: string; quality: number | undefined }): Promise<Blob>;
  destroy(): void;
}

/** Vertical field of view, degrees (the product renderer uses it too). */
export const FOV = 30;
/** OrbitControls speed units: a turn takes 60 / speed seconds. */
const AUTO_ROTATE_SPEED = 4;
/** Arrow keys turn by this much (radians). */
const KEY_STEP = Math.PI / 12;
/** Camera movement in a frame, as a fraction of its distance to the target, under which the view counts as still. */
const STILL = 1e-5;
/** Adaptive resolution: frames slower than this (ms) lower the resolution while moving, quicker ones raise it. */
const SLOW_FRAME_MS = 40;
const QUICK_FRAME_MS = 22;
/** The least share of the device pixel ratio drawn while moving. */
const MIN_SCALE = 0.5;
/** Starting view: from the front, a little above (polar angle from +Y). */
const START_PHI = (75 * Math.PI) / 180;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Disposes every geometry, material and texture under `root` (ImageBitmaps closed too). */
export function disposeTree(root: Object3D): void {
  const materials = new Set<Material>();
  const textures = new Set<Texture>();
  root.traverse((obj) => {
    const mesh = obj as Mesh;
    mesh.geometry?.dispose();
    const m = mesh.material;
    if (m) for (const mat of Array.isArray(m) ? m : [m]) materials.add(mat);
    if ((obj as SkinnedMesh).isSkinnedMesh) (obj as SkinnedMesh).skeleton?.dispose();
  });
  for (const mat of materials) {
    for (const v of Object.values(mat)) if (v && (v as Texture).isTexture) textures.add(v as Texture);
    mat.dispose();
  }
  for (const t of textures) {
    const img: unknown = t.image;
    t.dispose();
    if (typeof ImageBitmap !== 'undefined' && img instanceof ImageBitmap) img.close();
  }
}

export interface Studio {
  readonly renderer: WebGLRenderer;
  /** Lit by RoomEnvironment through PMREM (its `environment`); add the model to it. */
  readonly scene: Scene;
  /**
   * Parses a GLB with Draco, KTX2 and meshopt (`url` names it and resolves external resources). Rejects with "the
   * model could not be decoded (…)" or "a texture could not be decoded (…)", keeping nothing.
   */
  parse(bytes: ArrayBuffer, url: string): Promise<Object3D>;
  /**
   * Lights the scene with an equirectangular image (`neutral`: the studio room) turned by `rotation` radians around +Y,
   * shows `skybox` behind the model (or nothing), with the tone mapping and exposure given. Rejects, keeping the last
   * good look, when an image cannot be fetched or decoded or is larger than MAX_ENVIRONMENT_SIDE.
   */
  setLook(
    look: Pick<SceneSettings, 'environmentImage' | 'environmentRotation' | 'skyboxImage' | 'background' | 'exposure' | 'toneMapping'>,
    base: string,
  ): Promise<void>;
  /** Frees the loaders, the environment and the renderer, and releases the WebGL context. */
  dispose(): void;
}

const TONE_MAPPING: Record<ToneMappingName, ToneMapping> = {
  neutral: NeutralToneMapping,
  aces: ACESFilmicToneMapping,
  agx: AgXToneMapping,
  linear: LinearToneMapping,
};

/** Width and height from a PNG, JPEG or Radiance HDR header (null when not one of those or not found). */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const u32 = (i: number) => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return { width: u32(16), height: u32(20) };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let i = 2; i + 9 < bytes.length; ) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1]!;
      const len = (bytes[i + 2]! << 8) | bytes[i + 3]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
      i += 2 + len;
    }
    return null;
  }
  if (bytes[0] === 0x23 && bytes[1] === 0x3f) {
    // #?RADIANCE … a blank line, then "-Y <height> +X <width>".
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
    const m = /\n\n[-+]Y (\d+) [-+]X (\d+)/.exec(head);
    return m ? { height: Number(m[1]), width: Number(m[2]) } : null;
  }
  return null;
}

/**
 * Fetches and decodes an equirectangular image for lighting or a skybox: Radiance .hdr and OpenEXR as linear floats,
 * the rest (JPEG, PNG, WebP, AVIF) as sRGB. Refuses an image whose longer side is over MAX_ENVIRONMENT_SIDE, from its
 * header where it can (before decoding) and after decoding otherwise.
 */
async function loadEquirect(url: string, name: string): Promise<Texture> {
  const fail = (why: string) => new Error(`${name} ${url}: ${why}`);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw fail(`could not be fetched (${message(e)})`);
  }
  if (!res.ok) throw fail(`HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const tooBig = (w: number, h: number) => fail(`${w} × ${h} is larger than the viewer decodes (at most ${MAX_ENVIRONMENT_SIDE} px a side)`);
  const size = imageSize(bytes);
  if (size && Math.max(size.width, size.height) > MAX_ENVIRONMENT_SIDE) throw tooBig(size.width, size.height);
  let texture: Texture;
  const path = new URL(url).pathname.toLowerCase();
  try {
    if (path.endsWith('.hdr') || (bytes[0] === 0x23 && bytes[1] === 0x3f)) {
      const d = new HDRLoader().parse(bytes.buffer as ArrayBuffer);
      texture = new DataTexture(d.data, d.width, d.height, d.format, d.type);
      texture.colorSpace = LinearSRGBColorSpace;
      texture.flipY = true;
    } else if (path.endsWith('.exr') || (bytes[0] === 0x76 && bytes[1] === 0x2f && bytes[2] === 0x31 && bytes[3] === 0x01)) {
      const d = new EXRLoader().parse(bytes.buffer as ArrayBuffer);
      texture = new DataTexture(d.data, d.width, d.height, d.format, d.type);
      texture.colorSpace = LinearSRGBColorSpace;
      texture.flipY = true;
    } else {
      const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'flipY' });
      texture = new Texture(bitmap as unknown as HTMLImageElement);
      texture.colorSpace = SRGBColorSpace;
      texture.flipY = false; // an ImageBitmap is flipped when decoded (above), not on upload
    }
  } catch (e) {
    throw fail(`is not an image the viewer can decode (${message(e)})`);
  }
  const img = texture.image as { width: number; height: number };
  if (Math.max(img.width, img.height) > MAX_ENVIRONMENT_SIDE) {
    texture.dispose();
    throw tooBig(img.width, img.height);
  }
  texture.mapping = EquirectangularReflectionMapping;
  texture.minFilter = texture.magFilter = LinearFilter;
  texture.generateMipmaps = false;
  texture.needsUpdate = true;
  return texture;
}

/**
 * The viewer's look: a WebGLRenderer on `canvas` (throws when WebGL 2 cannot be had) with Khronos PBR Neutral tone
 * mapping and sRGB output, a scene lit by RoomEnvironment (PMREM), and GLTFLoader with Draco, KTX2 (Basis) and
 * meshopt from `decoderPath`. `alpha`: a transparent canvas over the page (the viewer); false for opaque stills.
 */
export function createStudio(canvas: HTMLCanvasElement, decoderPath: string, alpha = true): Studio {
  const renderer = new WebGLRenderer({ canvas, antialias: true, alpha, powerPreference: 'high-performance' });
  renderer.toneMapping = NeutralToneMapping;
  renderer.outputColorSpace = SRGBColorSpace;
  renderer.setClearColor(0x000000, 0);

  const scene = new Scene();
  let room2: RoomEnvironment | null = null;
  const pmrem = new PMREMGenerator(renderer);
  const room = new RoomEnvironment();
  let envTarget: WebGLRenderTarget = pmrem.fromScene(room, 0.04);
  room.dispose();
  scene.environment = envTarget.texture;
  let environmentUrl = 'neutral';
  let skybox: Texture | null = null;
  let skyboxUrl = '';

  const draco = new DRACOLoader().setDecoderPath(decoderPath).setWorkerLimit(2);
  const ktx2 = new KTX2Loader().setTranscoderPath(decoderPath).setWorkerLimit(2).detectSupport(renderer);
  const loader = new GLTFLoader().setDRACOLoader(draco).setKTX2Loader(ktx2).setMeshoptDecoder(MeshoptDecoder);
  // GLTFLoader logs a texture that fails (a KTX2 transcoder that is missing, a broken image) and goes on without it;
  // an untextured product would mislead, so it is recorded here and the load fails.
  const textureErrors: string[] = [];
  loader.register((parser) => {
    const loadImageSource = parser.loadImageSource.bind(parser);
    parser.loadImageSource = (sourceIndex, l) =>
      loadImageSource(sourceIndex, l).catch((e: unknown) => {
        textureErrors.push(`image ${sourceIndex}: ${message(e)}`);
        throw e;
      });
    return { name: 'xoay_texture_errors' };
  });

  return {
    renderer,
    scene,
    async parse(bytes, url) {
      textureErrors.length = 0;
      let gltf;
      try {
        gltf = await loader.parseAsync(bytes, url.slice(0, url.lastIndexOf('/') + 1));
      } catch (e) {
        throw new Error(`the model could not be decoded (${message(e)})`);
      }
      if (textureErrors.length) {
        disposeTree(gltf.scene);
        throw new Error(`a texture could not be decoded (${textureErrors[0]})`);
      }
      gltf.scene.userData.xoayCameras = gltf.cameras;
      // As the file names them (three's objects carry sanitised names: "Generated Camera" → "Generated_Camera").
      gltf.scene.userData.xoayCameraNames = ((gltf.parser.json as { cameras?: { name?: string }[] }).cameras ?? []).map((c) => c.name ?? '');
      return gltf.scene;
    },
    async setLook(look, base) {
      const envUrl = look.environmentImage === 'neutral' ? 'neutral' : new URL(look.environmentImage, base).href;
      const skyUrl = look.skyboxImage ? new URL(look.skyboxImage, base).href : '';
      // Fetch and decode first: a failure leaves the current look in place.
      const [env, sky] = await Promise.all([
        envUrl === environmentUrl || envUrl === 'neutral' ? null : loadEquirect(envUrl, 'environment-image'),
        skyUrl === skyboxUrl || !skyUrl ? null : loadEquirect(skyUrl, 'skybox-image'),
      ]);
      if (envUrl !== environmentUrl) {
        const next = env ? pmrem.fromEquirectangular(env) : pmrem.fromScene((room2 = new RoomEnvironment()), 0.04);
        if (env) env.dispose();
        else room2?.dispose();
        envTarget.dispose();
        envTarget = next;
        scene.environment = next.texture;
        environmentUrl = envUrl;
      }
      if (skyUrl !== skyboxUrl) {
        skybox?.dispose();
        skybox = sky;
        skyboxUrl = skyUrl;
      }
      scene.background = skybox ?? (look.background ? new Color().setStyle(look.background, SRGBColorSpace) : null);
      scene.environmentRotation.set(0, look.environmentRotation, 0);
      scene.backgroundRotation.set(0, look.environmentRotation, 0);
      renderer.toneMapping = TONE_MAPPING[look.toneMapping];
      renderer.toneMappingExposure = look.exposure;
    },
    dispose() {
      draco.dispose();
      ktx2.dispose();
      scene.environment = null;
      scene.background = null;
      envTarget.dispose();
      skybox?.dispose();
      pmrem.dispose();
      renderer.dispose();
      renderer.forceContextLoss();
    },
  };
}

/** The bounding sphere of what `root` draws; throws "the model has no visible geometry" when there is none. */
export function modelSphere(root: Object3D, sphere = new Sphere()): Sphere {
  const bounds = new Box3().setFromObject(root);
  if (bounds.isEmpty() || ![bounds.min.x, bounds.min.y, bounds.min.z, bounds.max.x, bounds.max.y, bounds.max.z].every(Number.isFinite)) {
    throw new Error('the model has no visible geometry');
  }
  bounds.getBoundingSphere(sphere);
  if (!(sphere.radius > 0)) throw new Error('the model has no visible geometry');
  return sphere;
}

/**
 * Creates the renderer on `canvas` (throws when WebGL 2 cannot be had) and the controls on it; keyboard input is
 * read from `box` (the focusable wrapper). Nothing is drawn until `load` has a model.
 */
export function createThreeScene(box: HTMLElement, canvas: HTMLCanvasElement, o: ThreeSceneOptions): ThreeScene {
  const studio = createStudio(canvas, o.decoderPath);
  const { renderer, scene } = studio;

  const camera = new PerspectiveCamera(FOV, 1, 0.01, 100);
  const base = o.base ?? (typeof document !== 'undefined' ? document.baseURI : 'http://localhost/');
  let settings: SceneSettings = o.scene ?? SCENE_DEFAULTS;
  const controls = new OrbitControls(camera, canvas);
  controls.enabled = false; // until there is a model
  controls.enableDamping = true;
  controls.dampingFactor = 0.08;
  controls.enablePan = false; // keeps the product centred; the arrow keys turn it instead (below)
  controls.autoRotate = o.autoRotate;
  controls.autoRotateSpeed = AUTO_ROTATE_SPEED;
  controls.cursorStyle = 'grab';
  controls.listenToKeyEvents(box); // shift/ctrl + arrows: OrbitControls' own fine rotation
  // The page keeps its wheel: only Ctrl/⌘ + wheel (and trackpad pinch, sent as ctrl+wheel) zooms the model, as in the
  // spin. Plain wheel events are stopped on the wrapper (capture) before OrbitControls sees them, and not prevented.
  const wheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) e.stopPropagation();
  };
  box.addEventListener('wheel', wheel, { capture: true });

  let root: Object3D | null = null;
  let shadow: ContactShadow | null = null;
  const sphere = new Sphere();
  const before = new Vector3();
  const offset = new Vector3();
  const spherical = new Spherical();
  let framed = false;
  let destroyed = false;
  let loaded = false;
  let interacted = false;
  let visible = true;
  let inFrame = false;
  let raf = 0;
  let lastT = 0;
  let renders = 0;
  let width = 0;
  let height = 0;
  let pixelRatio = 0;
  let firstDrawn: () => void = () => {};
  const first = new Promise<void>((resolve) => (firstDrawn = resolve));

  function draw(): void {
    if (destroyed || !loaded || !width || !height) return;
    renderer.render(scene, camera);
    renders++;
    firstDrawn();
  }

  /** Schedules one frame (the frame schedules the next one while the camera keeps moving). */
  const invalidate = (): void => {
    if (!raf && !inFrame && !destroyed && loaded) raf = requestAnimationFrame(frame);
  };

  /**
   * Adaptive resolution while the view moves (as model-viewer does): when frames come slower than 25 a second (a CPU
   * renderer, a weak phone), the share of the device pixel ratio drawn is lowered step by step down to MIN_SCALE, and
   * raised again when frames are quick; the frame drawn when the view comes to rest is always at full resolution.
   */
  let motionScale = 1;
  let drawnScale = 1;
  let slowFrames = 0;
  function drawAt(scale: number): void {
    if (scale !== drawnScale && width && height) {
      drawnScale = scale;
      renderer.setPixelRatio(pixelRatio * scale);
      renderer.setSize(width, height, false);
    }
    draw();
  }

  function frame(t: number): void {
    raf = 0;
    const interval = lastT ? t - lastT : 0;
    const dt = interval ? Math.min(0.1, interval / 1000) : 1 / 60;
    before.copy(camera.position);
    inFrame = true; // update() dispatches 'change' itself; this frame draws it
    const moved = controls.update(dt);
    inFrame = false;
    const step = before.distanceTo(camera.position) / Math.max(1e-9, camera.position.distanceTo(controls.target));
    const going = visible && (controls.autoRotate || (moved && step > STILL));
    if (going && interval) {
      if (interval > SLOW_FRAME_MS) {
        if (++slowFrames >= 2) {
          motionScale = Math.max(MIN_SCALE, motionScale * 0.75);
          slowFrames = 0;
        }
      } else {
        slowFrames = 0;
        if (interval < QUICK_FRAME_MS) motionScale = Math.min(1, motionScale * 1.1);
      }
    }
    drawAt(going ? motionScale : 1);
    lastT = going ? t : 0;
    if (going) invalidate();
  }

  /** The glTF file's camera named (or numbered) `which`; throws a message listing the cameras there are. */
  function gltfCamera(which: string): PerspectiveCamera {
    const cameras = (root?.userData.xoayCameras ?? []) as PerspectiveCamera[];
    const names = (root?.userData.xoayCameraNames ?? []) as string[];
    const found = /^\d+$/.test(which) ? cameras[Number(which)] : cameras[names.indexOf(which)];
    const list = cameras.length ? cameras.map((_, i) => `${i}${names[i] ? ` "${names[i]}"` : ''}`).join(', ') : 'none';
    if (!found) throw new Error(`gltf-camera: the model has no camera ${JSON.stringify(which)} (its cameras: ${list})`);
    if (!(found as PerspectiveCamera).isPerspectiveCamera)
      throw new Error(`gltf-camera: camera ${JSON.stringify(which)} is orthographic; only perspective cameras are supported`);
    return found;
  }

  /** A camera-orbit radius as a distance: metres as they are, a percentage of `fit` (the model just fits). */
  const distanceOf = (orbit: Orbit, fit: number, otherwise: number): number =>
    orbit.radius ? (orbit.radius.unit === '%' ? (fit * orbit.radius.value) / 100 : orbit.radius.value) : otherwise;

  /**
   * Places the camera: through the file's camera when `gltf-camera` names one, else at `camera-orbit` around
   * `camera-target` (by default: from the front, a little above, at the distance where the whole model fits at the
   * current aspect ratio); from the starting view (`reset`), or keeping the direction the camera looks now (a resize
   * before any interaction). Sets the orbit and zoom limits (`min-`/`max-camera-orbit`, or from the model's size).
   */
  function frameModel(reset: boolean): void {
    camera.fov = ((settings.fieldOfView ?? (FOV * Math.PI) / 180) * 180) / Math.PI;
    camera.updateProjectionMatrix();
    const vfov = (camera.fov * Math.PI) / 180;
    const hfov = 2 * Math.atan(Math.tan(vfov / 2) * camera.aspect);
    const r = sphere.radius;
    const fit = r / Math.sin(Math.min(vfov, hfov) / 2);
    const t = settings.cameraTarget;
    controls.target.set(t[0] ?? sphere.center.x, t[1] ?? sphere.center.y, t[2] ?? sphere.center.z);
    let distance = distanceOf(settings.cameraOrbit, fit, fit * 1.05);
    const from = settings.gltfCamera && (reset || !framed) ? gltfCamera(settings.gltfCamera) : null;
    if (from) {
      root?.updateMatrixWorld(true);
      from.getWorldPosition(camera.position);
      from.getWorldQuaternion(camera.quaternion);
      camera.fov = from.fov;
      camera.updateProjectionMatrix();
      // Turn around the point of the view axis nearest the model's centre (at least the model's radius away).
      const forward = offset.set(0, 0, -1).applyQuaternion(camera.quaternion);
      distance = Math.max(r, sphere.center.clone().sub(camera.position).dot(forward));
      controls.target.copy(camera.position).addScaledVector(forward, distance);
    } else {
      const o = settings.cameraOrbit;
      const direction =
        reset || !framed ? offset.setFromSphericalCoords(1, o.phi ?? START_PHI, o.theta ?? 0) : offset.copy(camera.position).sub(controls.target).normalize();
      camera.position.copy(controls.target).addScaledVector(direction, distance);
    }
    const min = settings.minCameraOrbit;
    const max = settings.maxCameraOrbit;
    controls.minDistance = Math.min(distance, distanceOf(min, fit, r * 1.25));
    controls.maxDistance = Math.max(distance, distanceOf(max, fit, Math.max(distance * 2.5, r * 4)));
    controls.minPolarAngle = min.phi ?? 0;
    controls.maxPolarAngle = max.phi ?? Math.PI;
    controls.minAzimuthAngle = min.theta ?? Number.NEGATIVE_INFINITY;
    controls.maxAzimuthAngle = max.theta ?? Number.POSITIVE_INFINITY;
    const reach = controls.maxDistance + r * 2 + controls.target.distanceTo(sphere.center);
    camera.near = Math.max(reach * 1e-5, Math.min(r * 0.05, distance * 0.05));
    camera.far = reach;
    camera.updateProjectionMatrix();
    if (!from) camera.lookAt(controls.target);
    framed = true;
  }

  function resize(): void {
    const w = box.clientWidth;
    const h = box.clientHeight;
    const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
    if (w === width && h === height && dpr === pixelRatio) return;
    width = w;
    height = h;
    pixelRatio = dpr;
    if (!w || !h) return;
    renderer.setPixelRatio(dpr);
    drawnScale = 1;
    renderer.setSize(w, h, false); // the canvas is 100 % × 100 % by CSS
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    if (!loaded) return;
    if (!interacted) frameModel(!!settings.gltfCamera); // a file's camera keeps its place; an orbit keeps its direction
    inFrame = true;
    controls.update();
    inFrame = false;
    draw(); // at once: setSize cleared the canvas, and this runs before the browser paints
  }

  const stopAutoRotate = (): void => {
    interacted = true;
    controls.autoRotate = false;
  };
  controls.addEventListener('start', stopAutoRotate);
  controls.addEventListener('change', invalidate);

  /** Turns the camera around the target (theta: around the vertical axis; phi: up/down), like a drag would. */
  function orbit(dTheta: number, dPhi: number): void {
    offset.copy(camera.position).sub(controls.target);
    spherical.setFromVector3(offset);
    spherical.theta += dTheta;
    spherical.phi = Math.min(Math.PI - 0.01, Math.max(0.01, spherical.phi + dPhi));
    camera.position.copy(controls.target).add(offset.setFromSpherical(spherical));
  }
  function dolly(factor: number): void {
    offset.copy(camera.position).sub(controls.target);
    const d = Math.min(controls.maxDistance, Math.max(controls.minDistance, offset.length() * factor));
    camera.position.copy(controls.target).add(offset.setLength(d));
  }
  const onKey = (e: KeyboardEvent): void => {
    if (!loaded) return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) {
      if (e.key.startsWith('Arrow')) stopAutoRotate(); // OrbitControls' own fine rotation
      return;
    }
    switch (e.key) {
      case 'ArrowLeft':
        orbit(KEY_STEP, 0);
        break;
      case 'ArrowRight':
        orbit(-KEY_STEP, 0);
        break;
      case 'ArrowUp':
        orbit(0, KEY_STEP);
        break;
      case 'ArrowDown':
        orbit(0, -KEY_STEP);
        break;
      case '+':
      case '=':
        dolly(1 / 1.25);
        break;
      case '-':
      case '_':
        dolly(1.25);
        break;
      case 'Home':
        frameModel(true);
        break;
      default:
        return; // Tab and the rest: not an interaction with the model
    }
    stopAutoRotate();
    e.preventDefault();
    controls.update(); // dispatches 'change' → a frame
    invalidate();
  };
  box.addEventListener('keydown', onKey);

  const onContextLost = (): void => {
    if (destroyed) return;
    cancelAnimationFrame(raf);
    raf = 0;
    loaded = false;
    controls.enabled = false;
    o.onContextLost();
  };
  canvas.addEventListener('webglcontextlost', onContextLost);

  const ro = new ResizeObserver(() => resize());
  ro.observe(box);
  const io = new IntersectionObserver((entries) => {
    visible = entries.some((e) => e.isIntersecting);
    if (visible && controls.autoRotate) invalidate();
  });
  io.observe(box);

  return {
    get renders() {
      return renders;
    },
    get animating() {
      return raf !== 0;
    },
    async load(bytes, url) {
      let parsed;
      try {
        parsed = await studio.parse(bytes, url);
      } catch (e) {
        throw new Error(destroyed ? 'destroyed' : message(e));
      }
      if (destroyed) {
        disposeTree(parsed);
        throw new Error('destroyed');
      }
      root = parsed;
      scene.add(root);
      modelSphere(root, sphere);
      // What the page directs; whatever cannot be applied is reported and left at its default.
      try {
        await studio.setLook(settings, base);
      } catch (e) {
        o.onSceneError?.(message(e));
      }
      if (settings.gltfCamera) {
        try {
          gltfCamera(settings.gltfCamera);
        } catch (e) {
          o.onSceneError?.(message(e));
          settings = { ...settings, gltfCamera: '' };
        }
      }
      if (destroyed) throw new Error('destroyed');
      shadow = createContactShadow(renderer);
      scene.add(shadow.plane);
      shadow.fit(root);
      shadow.update(scene, settings.shadowIntensity, settings.shadowSoftness);
      width = height = pixelRatio = 0;
      resize();
      if (width && height) frameModel(true);
      try {
        await renderer.compileAsync(scene, camera); // shaders compiled off the main thread where the driver can
      } catch (e) {
        if (!destroyed) throw new Error(`the model's shaders could not be compiled (${message(e)})`);
      }
      if (destroyed) throw new Error('destroyed');
      loaded = true;
      controls.enabled = true;
      if (width && height) draw();
      await first; // drawn now, or by the first resize that gives the box a size
      if (controls.autoRotate) invalidate();
    },
    async setScene(next) {
      if (destroyed) throw new Error('destroyed');
      await studio.setLook(next, base); // throws before anything changes
      if (next.gltfCamera && root) gltfCamera(next.gltfCamera);
      const cameraKeys = ['cameraOrbit', 'cameraTarget', 'fieldOfView', 'minCameraOrbit', 'maxCameraOrbit', 'gltfCamera'] as const;
      const moved = cameraKeys.some((k) => JSON.stringify(next[k]) !== JSON.stringify(settings[k]));
      const shaded = next.shadowIntensity !== settings.shadowIntensity || next.shadowSoftness !== settings.shadowSoftness;
      settings = next;
      if (shaded) shadow?.update(scene, next.shadowIntensity, next.shadowSoftness);
      if (!loaded) return;
      if (moved) {
        frameModel(true);
        controls.update();
      }
      draw();
    },
    toBlob({ width: w, height: h, orbit, mimeType, quality }) {
      if (destroyed || !loaded) return Promise.reject(new Error('toBlob: the model is not shown yet'));
      const saved = {
        position: camera.position.clone(),
        quaternion: camera.quaternion.clone(),
        fov: camera.fov,
        aspect: camera.aspect,
        near: camera.near,
        far: camera.far,
        target: controls.target.clone(),
        limits: [
          controls.minDistance,
          controls.maxDistance,
          controls.minPolarAngle,
          controls.maxPolarAngle,
          controls.minAzimuthAngle,
          controls.maxAzimuthAngle,
        ],
        settings,
      };
      let result: Promise<Blob>;
      try {
        renderer.setPixelRatio(1);
        renderer.setSize(w, h, false);
        camera.aspect = w / h;
        camera.updateProjectionMatrix();
        if (orbit) {
          settings = { ...settings, cameraOrbit: orbit, gltfCamera: '' };
          frameModel(true);
        }
        renderer.render(scene, camera);
        // The canvas is copied when toBlob is called (encoding follows), in the same task as the draw.
        result = new Promise<Blob>((resolve, reject) =>
          canvas.toBlob((b) => (b ? resolve(b) : reject(new Error(`toBlob: the picture could not be encoded as ${mimeType}`))), mimeType, quality),
        );
      } finally {
        settings = saved.settings;
        camera.position.copy(saved.position);
        camera.quaternion.copy(saved.quaternion);
        camera.fov = saved.fov;
        camera.aspect = saved.aspect;
        camera.near = saved.near;
        camera.far = saved.far;
        camera.updateProjectionMatrix();
        controls.target.copy(saved.target);
        [controls.minDistance, controls.maxDistance, controls.minPolarAngle, controls.maxPolarAngle, controls.minAzimuthAngle, controls.maxAzimuthAngle] =
          saved.limits as [number, number, number, number, number, number];
        renderer.setPixelRatio(pixelRatio * drawnScale);
        renderer.setSize(width, height, false);
        draw(); // before the browser paints: the page never sees the off-screen size
      }
      return result;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      loaded = false;
      cancelAnimationFrame(raf);
      raf = 0;
      canvas.removeEventListener('webglcontextlost', onContextLost);
      box.removeEventListener('keydown', onKey);
      box.removeEventListener('wheel', wheel, { capture: true });
      ro.disconnect();
      io.disconnect();
      controls.removeEventListener('start', stopAutoRotate);
      controls.removeEventListener('change', invalidate);
      controls.stopListenToKeyEvents();
      controls.dispose();
      shadow?.dispose();
      shadow = null;
      if (root) {
        scene.remove(root);
        disposeTree(root);
        root = null;
      }
      studio.dispose();
    },
  };
}
