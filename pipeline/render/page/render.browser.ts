/**
 * Browser half of the product renderer (pipeline/render/render.ts drives it through Playwright): renders a
 * turntable of a model with the viewer's own 3D studio (viewer/core/three-scene.ts: the same renderer settings,
 * RoomEnvironment light, tone mapping, field of view and GLB loaders with Draco, KTX2 and meshopt), so the fallback
 * spin and the poster look like the 3D view.
 *
 * - The backdrop is the renderer's clear colour: outside tone mapping, so white comes out as exactly #ffffff and the
 *   spin pipeline sees a plain white backdrop; there is no floor and no shadow.
 * - The model's bounding-box centre stands on the turntable axis (+Y through the origin); frame i turns it by
 *   i·360°/frames about +Y, counter-clockwise seen from above, like the sample shoots.
 * - The camera is fixed (elevation as asked, looking at the model), fitted once so that the object's extent over
 *   the whole turn covers `fill` of the frame width or height, whichever binds, and is centred: constant framing.
 *
 * - Fixed views (`views`: a turn and an elevation each, 90° is straight from above) instead of a turn: each view's camera
 *   is fitted on its own. A `framing` returned by an earlier setup places the model and the cameras exactly as then,
 *   instead of fitting this model: the fidelity check (pipeline/render/fidelity.ts) draws a compressed model with its
 *   source's framing, so a shift of the bounds does not move the picture.
 *
 * The studio is made once per page (`init`) and kept for every model `setup` loads (the previous one is freed), so a
 * catalogue pays for the browser and the environment light once.
 *
 * Deterministic: no clocks, no random numbers, no animation loop.
 */
import { Box3, Color, Group, MathUtils, Matrix4, PerspectiveCamera, REVISION, Vector3, type InstancedMesh, type Mesh, type Object3D } from 'three';
import { createStudio, disposeTree, FOV, modelSphere, type Studio } from '../../../viewer/core/three-scene.js';
import { EMPTY_EXTENT, type NdcExtent, turnedExtent, unionExtent } from '../ndc-extent.js';
import type { Framing, InitResult, RenderApi, RenderInfo, RenderSetup, RenderView, SetupResult, UsdzPageResult, UsdzSetup } from './protocol.js';

declare global {
  interface Window {
    xoayRender?: RenderApi;
  }
}

/** Upper bound on the vertices used to fit the camera (a stride is applied above it). */
const MAX_FIT_POINTS = 40_000;
/** The fit looks at least this many angles of the turn (and always every frame's). */
const FIT_ANGLES = 72;

/** The model being rendered and its fitted camera. */
interface Current {
  /** One camera for a turn, one per fixed view. */
  cameras: PerspectiveCamera[];
  turntable: Group;
  root: Object3D;
  frames: number;
  views: RenderView[] | undefined;
}

/** The studio: created once per page by `init` and kept for every model (the environment light is costly on a CPU). */
let studio: Studio | undefined;
let current: Current | undefined;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** World-space vertices of every mesh under `root` (each instance of an InstancedMesh), at most ~MAX_FIT_POINTS. */
function collectPoints(root: Object3D): Float32Array {
  root.updateMatrixWorld(true);
  const meshes: { mesh: Mesh; matrices: Matrix4[] }[] = [];
  let total = 0;
  root.traverse((o) => {
    const mesh = o as Mesh;
    const position = mesh.isMesh ? mesh.geometry.getAttribute('position') : undefined;
    if (!position) return;
    const matrices: Matrix4[] = [];
    const instanced = mesh as InstancedMesh;
    if (instanced.isInstancedMesh) {
      for (let i = 0; i < instanced.count; i++) {
        const m = new Matrix4();
        instanced.getMatrixAt(i, m);
        matrices.push(m.premultiply(mesh.matrixWorld));
      }
    } else {
      matrices.push(mesh.matrixWorld);
    }
    meshes.push({ mesh, matrices });
    total += position.count * matrices.length;
  });
  const stride = Math.max(1, Math.ceil(total / MAX_FIT_POINTS));
  const out: number[] = [];
  const v = new Vector3();
  for (const { mesh, matrices } of meshes) {
    const position = mesh.geometry.getAttribute('position');
    for (const m of matrices) {
      for (let i = 0; i < position.count; i += stride) {
        v.fromBufferAttribute(position, i).applyMatrix4(m);
        out.push(v.x, v.y, v.z);
      }
    }
  }
  return new Float32Array(out);
}

/** The NDC extent (−1…1) of the points over `angles` turntable angles, with the camera as it is now. */
function measure(camera: PerspectiveCamera, points: Float32Array, angles: number): NdcExtent {
  camera.updateMatrixWorld(true);
  const m = new Matrix4().multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse).elements;
  let all: NdcExtent = EMPTY_EXTENT;
  for (let k = 0; k < angles; k++) all = unionExtent(all, turnedExtent(points, m, (k / angles) * Math.PI * 2));
  return all;
}

/**
 * Places the camera on the fixed viewing direction (`elevationDeg` above +Z) so that the points' extent over the
 * turn covers `fill` of the frame in the binding dimension, centred. The extent scales almost exactly with
 * 1/distance, so a few fixed-point steps converge.
 */
function fitCamera(
  camera: PerspectiveCamera,
  points: Float32Array,
  angles: number,
  radius: number,
  elevationDeg: number,
  fill: number,
): { fillX: number; fillY: number } {
  const elevation = MathUtils.degToRad(elevationDeg);
  const towardsCamera = new Vector3(0, Math.sin(elevation), Math.cos(elevation));
  // Seen from (nearly) straight above or below, +Y cannot be "up" in the picture: the far side (−Z) is.
  if (Math.abs(elevationDeg) > 89) camera.up.set(0, 0, -Math.sign(elevationDeg));
  const tanHalfY = Math.tan(MathUtils.degToRad(camera.fov) / 2);
  const tanHalfX = tanHalfY * camera.aspect;
  const target = new Vector3();
  let distance = radius / Math.sin(Math.atan(Math.min(tanHalfX, tanHalfY)));
  const right = new Vector3();
  const up = new Vector3();
  const place = () => {
    camera.position.copy(target).addScaledVector(towardsCamera, distance);
    camera.lookAt(target);
    const d = camera.position.length(); // the model lies within `radius` of the origin
    camera.near = Math.max(radius * 0.01, (d - radius) * 0.9);
    camera.far = (d + radius) * 1.1;
    camera.updateProjectionMatrix();
  };
  place();
  let e = measure(camera, points, angles);
  for (let step = 0; step < 10; step++) {
    right.set(1, 0, 0).applyQuaternion(camera.quaternion);
    up.set(0, 1, 0).applyQuaternion(camera.quaternion);
    target.addScaledVector(right, ((e.maxX + e.minX) / 2) * tanHalfX * distance).addScaledVector(up, ((e.maxY + e.minY) / 2) * tanHalfY * distance);
    distance *= Math.max((e.maxX - e.minX) / 2, (e.maxY - e.minY) / 2) / fill;
    place();
    e = measure(camera, points, angles);
  }
  return { fillX: (e.maxX - e.minX) / 2, fillY: (e.maxY - e.minY) / 2 };
}

function init(): InitResult {
  if (!studio) {
    const canvas = document.createElement('canvas');
    document.body.append(canvas);
    try {
      studio = createStudio(canvas, new URL('decoders/', document.baseURI).href, false);
    } catch (e) {
      canvas.remove();
      return { ok: false, kind: 'webgl', message: message(e) };
    }
    studio.renderer.setPixelRatio(1);
  }
  const gl = studio.renderer.getContext();
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    ok: true,
    threeRevision: REVISION,
    glRenderer: debugInfo ? String(gl.getParameter(debugInfo.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER)),
  };
}

/** Removes the current model and frees its geometry, materials and textures. */
function unload(): void {
  if (!current || !studio) return;
  studio.scene.remove(current.turntable);
  disposeTree(current.root);
  current = undefined;
}

async function setup(s: RenderSetup): Promise<SetupResult> {
  unload();
  if (!studio) return { ok: false, kind: 'other', message: 'setup() called before init()' };
  const { renderer, scene } = studio;
  renderer.setSize(s.width, s.height, false);
  renderer.setClearColor(new Color(s.background), 1);

  let root: Object3D;
  try {
    const res = await fetch(s.modelUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    root = await studio.parse(await res.arrayBuffer(), s.modelUrl);
  } catch (e) {
    return { ok: false, kind: 'model', message: message(e) };
  }
  // The bounding-box centre on the axis; the model's own transform stays inside the wrapper.
  const centred = new Group();
  centred.add(root);
  const turntable = new Group();
  turntable.add(centred);
  scene.add(turntable);
  const views = s.views?.length ? s.views : undefined;
  const cameras = Array.from({ length: views ? views.length : 1 }, () => new PerspectiveCamera(FOV, s.width / s.height));
  current = { cameras, turntable, root, frames: views ? views.length : s.frames, views };
  try {
    const box = new Box3().setFromObject(root, true);
    const size = box.getSize(new Vector3());
    const fit = s.framing ? useFraming(s.framing, current) : fitFraming(current, box, s);

    let triangles = 0;
    root.traverse((o) => {
      const mesh = o as Mesh;
      if (mesh.isMesh) triangles += (mesh.geometry.index ? mesh.geometry.index.count : mesh.geometry.getAttribute('position').count) / 3;
    });
    // Compile the shaders and upload the textures now, so frame 0 is drawn like every other frame.
    const cam = cameras[0]!;
    turntable.rotation.y = 0;
    await renderer.compileAsync(scene, cam);
    renderer.render(scene, cam);
    cam.updateMatrixWorld(true);
    turntable.updateMatrixWorld(true);
    const info: RenderInfo = {
      triangles: Math.round(triangles),
      size: [size.x, size.y, size.z],
      fillX: fit.fillX,
      fillY: fit.fillY,
      camera: { model: [...root.matrixWorld.elements], view: [...cam.matrixWorldInverse.elements], fovY: cam.fov, aspect: cam.aspect },
      framing: {
        centre: [-centred.position.x, -centred.position.y, -centred.position.z],
        cameras: cameras.map((c) => ({
          position: [c.position.x, c.position.y, c.position.z],
          quaternion: [c.quaternion.x, c.quaternion.y, c.quaternion.z, c.quaternion.w],
          near: c.near,
          far: c.far,
        })),
      },
    };
    return { ok: true, info };
  } catch (e) {
    unload();
    return { ok: false, kind: /no visible geometry/.test(message(e)) ? 'model' : 'other', message: message(e) };
  }
}

/** The turn of frame `index`, radians (+Y: counter-clockwise seen from above). */
function turnOf(c: Current, index: number): number {
  return c.views ? MathUtils.degToRad(c.views[index]!.turnDeg) : (index / c.frames) * Math.PI * 2;
}

/**
 * Fits the cameras to the model: its bounding-box centre on the axis, then one camera for the whole turn, or one per
 * fixed view (each fitted to its own picture).
 */
function fitFraming(c: Current, box: Box3, s: RenderSetup): { fillX: number; fillY: number } {
  const centred = c.root.parent!;
  centred.position.copy(box.getCenter(new Vector3())).negate();
  const sphere = modelSphere(c.turntable);
  const radius = sphere.center.length() + sphere.radius; // everything the turn sweeps lies within it of the origin
  if (!c.views) {
    const angles = s.frames * Math.ceil(FIT_ANGLES / s.frames); // a multiple of frames: every frame's angle is in
    return fitCamera(c.cameras[0]!, collectPoints(c.turntable), angles, radius, s.elevationDeg, s.fill);
  }
  let fillX = 0;
  let fillY = 0;
  c.views.forEach((v, i) => {
    c.turntable.rotation.y = turnOf(c, i);
    const fit = fitCamera(c.cameras[i]!, collectPoints(c.turntable), 1, radius, v.elevationDeg, s.fill);
    fillX = Math.max(fillX, fit.fillX);
    fillY = Math.max(fillY, fit.fillY);
  });
  c.turntable.rotation.y = 0;
  return { fillX, fillY };
}

/** Places the model and the cameras as `framing` says; returns the share of the frame this model covers. */
function useFraming(f: Framing, c: Current): { fillX: number; fillY: number } {
  if (f.cameras.length !== c.cameras.length) throw new Error(`the framing has ${f.cameras.length} cameras but ${c.cameras.length} are needed`);
  c.root.parent!.position.set(-f.centre[0], -f.centre[1], -f.centre[2]);
  let fillX = 0;
  let fillY = 0;
  c.cameras.forEach((cam, i) => {
    const g = f.cameras[i]!;
    cam.position.set(...g.position);
    cam.quaternion.set(...g.quaternion);
    cam.near = g.near;
    cam.far = g.far;
    cam.updateProjectionMatrix();
    c.turntable.rotation.y = turnOf(c, i);
    const points = collectPoints(c.turntable);
    const angles = c.views ? 1 : c.frames;
    const e = measure(cam, points, angles);
    fillX = Math.max(fillX, (e.maxX - e.minX) / 2);
    fillY = Math.max(fillY, (e.maxY - e.minY) / 2);
  });
  c.turntable.rotation.y = 0;
  return { fillX, fillY };
}

function frame(index: number): string {
  if (!studio || !current) throw new Error('frame() called before setup()');
  const { cameras, turntable } = current;
  turntable.rotation.y = turnOf(current, index);
  const camera = cameras[current.views ? index : 0]!;
  studio.renderer.render(studio.scene, camera);
  // Read in the same task as the draw: the drawing buffer is still there (no preserveDrawingBuffer needed).
  return studio.renderer.domElement.toDataURL('image/png');
}

/** The USDZ export (page/usdz.browser.ts), loaded on first use so turntable renders do not load the exporter. */
async function usdz(s: UsdzSetup): Promise<UsdzPageResult> {
  if (!studio) return { ok: false, kind: 'other', message: 'usdz() called before init()' };
  return (await import('./usdz.browser.js')).exportUsdz(studio.renderer, s);
}

window.xoayRender = { init, setup, frame, unload, usdz };
