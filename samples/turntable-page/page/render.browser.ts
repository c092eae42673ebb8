/**
 * Browser half of the turntable sample maker (samples/make-turntable.ts drives it through Playwright).
 *
 * It builds a small photo studio in three.js and renders one frame of a turntable shoot per call:
 *
 * - a plain light-grey seamless backdrop: an unlit sphere around everything, so the wall and the floor
 *   are one colour with no horizon line, and a ShadowMaterial floor that only adds the soft shadow;
 * - studio lighting: RoomEnvironment (PMREM) for the PBR reflections, a key light casting a soft
 *   (VSM) shadow, a cool fill and a rim light; Khronos PBR Neutral tone mapping, sRGB output;
 * - a fixed camera a little above the object looking slightly down, fitted so that the object fills
 *   a chosen share of the frame height in every frame of the turn, with the turntable axis centred;
 * - a turntable group turned by index·360°/frames about +Y (counter-clockwise seen from above), with
 *   the model placed deliberately OFF the axis, as happens in a real shoot.
 *
 * The exposure of each frame is chosen by the Node side (a deterministic drift) and applied here as
 * `renderer.toneMappingExposure`, so the backdrop and the object brighten and darken together, as they
 * would with a camera whose exposure wanders.
 *
 * Everything is deterministic: no clocks, no random numbers, no animation loop.
 */
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { RoomEnvironment } from 'three/addons/environments/RoomEnvironment.js';

import { EMPTY_EXTENT, type NdcExtent, turnedExtent, unionExtent } from '../../../pipeline/render/ndc-extent.js';
import type { FrameRequest, TurntableApi, TurntableInfo, TurntableSetup } from '../protocol.js';

declare global {
  interface Window {
    xoayTurntable?: TurntableApi;
  }
}

/** The state created by `setup` and used by every `renderFrame`. */
interface Studio {
  renderer: THREE.WebGLRenderer;
  scene: THREE.Scene;
  camera: THREE.PerspectiveCamera;
  turntable: THREE.Group;
  frames: number;
}

let studio: Studio | undefined;

/** Upper bound on the vertices used to fit the camera (a stride is applied above it). */
const MAX_FIT_POINTS = 40_000;

/**
 * The unlit backdrop goes through the same tone mapping as the object so that it follows the exposure.
 * PBR Neutral maps c → c·exposure − 0.04 below its compression knee (0.76), so the material colour is
 * raised by 0.04 to come out as the requested sRGB colour at exposure 1.
 */
function backdropMaterialColour(srgbHex: string): THREE.Color {
  const c = new THREE.Color(srgbHex); // converted to linear working space
  const lowest = Math.min(c.r, c.g, c.b);
  if (lowest >= 0.04) c.setRGB(c.r + 0.04, c.g + 0.04, c.b + 0.04);
  return c;
}

/** World-space vertices of every mesh under `root` (subsampled to at most MAX_FIT_POINTS). */
function collectPoints(root: THREE.Object3D): Float32Array {
  root.updateMatrixWorld(true);
  const meshes: THREE.Mesh[] = [];
  let total = 0;
  root.traverse((o) => {
    const mesh = o as THREE.Mesh;
    if (mesh.isMesh && mesh.geometry.getAttribute('position')) {
      meshes.push(mesh);
      total += mesh.geometry.getAttribute('position').count;
    }
  });
  const stride = Math.max(1, Math.ceil(total / MAX_FIT_POINTS));
  const out: number[] = [];
  const v = new THREE.Vector3();
  for (const mesh of meshes) {
    const pos = mesh.geometry.getAttribute('position');
    for (let i = 0; i < pos.count; i += stride) {
      v.fromBufferAttribute(pos, i).applyMatrix4(mesh.matrixWorld);
      out.push(v.x, v.y, v.z);
    }
  }
  return new Float32Array(out);
}

/**
 * The NDC extent of the points over every turntable angle (per frame and overall), with the camera as
 * it is now. A turntable angle a applies the same rotation as `Object3D.rotation.y = a`.
 */
function measure(camera: THREE.PerspectiveCamera, points: Float32Array, frames: number): { all: NdcExtent; perFrame: NdcExtent[] } {
  camera.updateMatrixWorld(true);
  const m = new THREE.Matrix4().multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse).elements;
  const perFrame = Array.from({ length: frames }, (_, f) => turnedExtent(points, m, (f / frames) * Math.PI * 2));
  return { all: perFrame.reduce(unionExtent, EMPTY_EXTENT), perFrame };
}

/**
 * Places the camera on the fixed viewing direction (elevation above +Z, looking at the turntable axis)
 * so that the object's vertical extent over the whole turn spans `fill` of the frame height, centred
 * vertically, and never wider than `maxWidth` of the half-width either side of the axis. A few
 * fixed-point iterations are enough because the extent scales almost exactly with 1/distance.
 */
function fitCamera(
  camera: THREE.PerspectiveCamera,
  points: Float32Array,
  frames: number,
  height: number,
  elevationDeg: number,
  fill: number,
): { distance: number; target: THREE.Vector3; extent: ReturnType<typeof measure> } {
  const maxWidth = 0.85;
  const elevation = THREE.MathUtils.degToRad(elevationDeg);
  const towardsCamera = new THREE.Vector3(0, Math.sin(elevation), Math.cos(elevation));
  const tanHalf = Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
  const target = new THREE.Vector3(0, height / 2, 0);
  let distance = height / 2 / tanHalf / fill;
  const place = () => {
    camera.position.copy(target).addScaledVector(towardsCamera, distance);
    camera.lookAt(target);
  };
  place();
  let extent = measure(camera, points, frames);
  for (let iteration = 0; iteration < 8; iteration++) {
    const { minX, maxX, minY, maxY } = extent.all;
    const spanY = (maxY - minY) / 2;
    const spanX = Math.max(-minX, maxX);
    // Re-centre vertically: move the target along the camera's up vector by the NDC offset of the middle.
    const up = new THREE.Vector3(0, 1, 0).applyQuaternion(camera.quaternion);
    target.addScaledVector(up, ((maxY + minY) / 2) * tanHalf * distance);
    distance *= Math.max(spanY / fill, spanX / maxWidth);
    place();
    extent = measure(camera, points, frames);
  }
  return { distance, target, extent };
}

async function setup(options: TurntableSetup): Promise<TurntableInfo> {
  const { width, height, frames } = options;

  // Renderer: MSAA, pixel ratio 1, drawing buffer kept so toDataURL can read it after render().
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true, powerPreference: 'high-performance' });
  renderer.setPixelRatio(1);
  renderer.setSize(width, height);
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.toneMapping = THREE.NeutralToneMapping;
  renderer.toneMappingExposure = 1;
  renderer.shadowMap.enabled = true;
  renderer.shadowMap.type = THREE.VSMShadowMap; // blurred, noise-free soft shadows
  document.body.appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(options.backdrop); // only visible if the backdrop sphere were missing

  // Image-based lighting from a neutral studio room, for the reflections and the ambient term.
  const pmrem = new THREE.PMREMGenerator(renderer);
  scene.environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
  scene.environmentIntensity = 0.75;
  pmrem.dispose();

  // The model: centred on the axis with its base on the floor, then moved off the axis.
  const gltf = await new GLTFLoader().loadAsync(options.modelUrl);
  const model = gltf.scene;
  const box = new THREE.Box3().setFromObject(model, true);
  const size = box.getSize(new THREE.Vector3());
  const centre = box.getCenter(new THREE.Vector3());
  const largest = Math.max(size.x, size.y, size.z);
  if (!(largest > 0)) throw new Error('the model has an empty bounding box');
  const angle = THREE.MathUtils.degToRad(options.offAxisAngleDeg);
  const offset = new THREE.Vector2(Math.cos(angle), Math.sin(angle)).multiplyScalar(options.offAxis * largest);
  model.position.set(-centre.x + offset.x, -box.min.y, -centre.z + offset.y);
  let triangles = 0;
  model.traverse((o) => {
    const mesh = o as THREE.Mesh;
    if (mesh.isMesh) {
      mesh.castShadow = true;
      mesh.receiveShadow = true;
      const g = mesh.geometry;
      triangles += (g.index ? g.index.count : g.getAttribute('position').count) / 3;
    }
  });

  const turntable = new THREE.Group();
  turntable.name = 'turntable';
  turntable.add(model);
  scene.add(turntable);

  // Camera fitted to the swept volume of the whole turn.
  const camera = new THREE.PerspectiveCamera(options.fovDeg, width / height, largest / 100, largest * 400);
  const points = collectPoints(turntable);
  const fit = fitCamera(camera, points, frames, size.y, options.elevationDeg, options.fill);

  // Seamless backdrop: an unlit sphere far around the set (wall and floor in one colour) …
  const backdrop = new THREE.Mesh(
    new THREE.SphereGeometry(largest * 150, 64, 32),
    new THREE.MeshBasicMaterial({ color: backdropMaterialColour(options.backdrop), side: THREE.BackSide, fog: false }),
  );
  backdrop.name = 'backdrop';
  scene.add(backdrop);
  // … and an invisible floor that only darkens where the shadows fall.
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(largest * 60, largest * 60), new THREE.ShadowMaterial({ color: 0x000000, opacity: 0.5 }));
  floor.name = 'floor';
  floor.rotation.x = -Math.PI / 2;
  floor.receiveShadow = true;
  // With VSM every receiver is also drawn into the shadow map; a plane shadowing itself speckles along
  // its triangle seam. This depth material writes nothing, so the floor only receives.
  floor.customDepthMaterial = new THREE.MeshDepthMaterial({ colorWrite: false, depthWrite: false });
  scene.add(floor);

  // Radius of the cylinder swept by the model around the axis, for the shadow camera.
  let sweptRadius = 0;
  for (let i = 0; i < points.length; i += 3) sweptRadius = Math.max(sweptRadius, Math.hypot(points[i]!, points[i + 2]!));
  const setCentre = new THREE.Vector3(0, size.y / 2, 0);
  const setRadius = Math.hypot(sweptRadius, size.y / 2) * 1.15;

  /** A directional light aimed at the set from `direction`, optionally with a soft VSM shadow. */
  const addLight = (colour: number, intensity: number, direction: THREE.Vector3, shadow?: { mapSize: number; radius: number; intensity: number }) => {
    const light = new THREE.DirectionalLight(colour, intensity);
    light.position.copy(setCentre).addScaledVector(direction.normalize(), setRadius * 3);
    light.target.position.copy(setCentre);
    if (shadow) {
      light.castShadow = true;
      light.shadow.mapSize.set(shadow.mapSize, shadow.mapSize);
      const sc = light.shadow.camera; // framed tightly around the set: more shadow-map texels on it
      sc.left = -setRadius;
      sc.right = setRadius;
      sc.top = setRadius;
      sc.bottom = -setRadius;
      sc.near = setRadius;
      sc.far = setRadius * 5;
      light.shadow.radius = shadow.radius; // blur radius in shadow-map texels
      light.shadow.blurSamples = 24;
      light.shadow.intensity = shadow.intensity;
      light.shadow.bias = -0.0005;
    }
    scene.add(light, light.target);
    return light;
  };

  // Key: high, front-left, warm-neutral; its soft shadow falls back-right onto the floor.
  addLight(0xfff6ec, 2.3, new THREE.Vector3(-0.55, 1.25, 0.75), { mapSize: 512, radius: 12, intensity: 0.8 });
  // Top: an overhead softbox; its very blurred shadow is the contact shadow right under the object.
  addLight(0xffffff, 0.5, new THREE.Vector3(0, 1, 0.15), { mapSize: 256, radius: 10, intensity: 0.7 });
  // Fill: cooler, from the right and lower, no shadow.
  addLight(0xeef3ff, 0.7, new THREE.Vector3(1, 0.35, 0.6));
  // Rim: from behind and above, to separate the silhouette from the backdrop.
  addLight(0xffffff, 1.3, new THREE.Vector3(0.35, 0.9, -1));

  studio = { renderer, scene, camera, turntable, frames };

  // Compile the shaders and upload the textures now, so frame 0 is rendered like every other frame.
  await renderer.compileAsync(scene, camera);
  renderer.render(scene, camera);

  const gl = renderer.getContext();
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  const glRenderer = debugInfo ? String(gl.getParameter(debugInfo.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));

  const all = fit.extent.all;
  const heights = fit.extent.perFrame.map((e) => (e.maxY - e.minY) / 2);
  return {
    size: [size.x, size.y, size.z],
    triangles,
    offset: [offset.x, offset.y],
    cameraDistance: fit.distance,
    targetHeight: fit.target.y,
    fillMin: Math.min(...heights),
    fillMax: Math.max(...heights),
    marginPx: {
      left: ((all.minX + 1) / 2) * width,
      right: ((1 - all.maxX) / 2) * width,
      top: ((1 - all.maxY) / 2) * height,
      bottom: ((all.minY + 1) / 2) * height,
    },
    threeRevision: THREE.REVISION,
    glRenderer,
  };
}

function renderFrame({ index, exposure, mask }: FrameRequest): string {
  if (!studio) throw new Error('renderFrame called before setup');
  const { renderer, scene, camera, turntable, frames } = studio;
  turntable.rotation.y = (index / frames) * Math.PI * 2; // +Y: counter-clockwise seen from above
  renderer.toneMappingExposure = exposure;
  if (!mask) {
    renderer.render(scene, camera);
    return renderer.domElement.toDataURL('image/png');
  }
  // The silhouette: only the model, flat white on black (MSAA edges are cut at half by the Node side).
  // (Lights stay: the override is unlit, and a change in the light count would recompile every shader.)
  const hidden = scene.children.filter((o) => o !== turntable && o.visible && !(o as THREE.Light).isLight);
  const background = scene.background;
  hidden.forEach((o) => (o.visible = false));
  scene.background = new THREE.Color(0x000000);
  scene.overrideMaterial = silhouetteMaterial;
  renderer.render(scene, camera);
  const url = renderer.domElement.toDataURL('image/png');
  scene.overrideMaterial = null;
  scene.background = background;
  hidden.forEach((o) => (o.visible = true));
  return url;
}

const silhouetteMaterial = new THREE.MeshBasicMaterial({ color: 0xffffff, toneMapped: false, side: THREE.DoubleSide });

window.xoayTurntable = { setup, renderFrame };
