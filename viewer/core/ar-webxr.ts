/**
 * The WebXR AR session of the AR button (ar.ts; loaded only when it is pressed): an `immersive-ar` session with
 * three.js's WebXR support, the model loaded by the viewer's own studio (three-scene.ts: the same loaders, light and
 * tone mapping), at true scale (glTF metres, no scaling), standing on its base. A ring follows the floor where the
 * phone points (hit test); a tap places the model there (a later tap moves it), turned to face the viewer. The session
 * ends with the system's back gesture or the Close button of the DOM overlay; everything is freed then.
 */
import { Box3, Group, Matrix4, Mesh, MeshBasicMaterial, Quaternion, RingGeometry, Vector3 } from 'three';
import type { ModelStrings } from './i18n.js';
import { createStudio, disposeTree } from './three-scene.js';

export interface WebXrOptions {
  /** Absolute URL of the GLB. */
  src: string;
  /** Folder of the Draco decoder and Basis transcoder; '' for the built viewer's decoders/. */
  decoderPath: string;
  /** The overlay's words, in the page's language (i18n-3d.ts). */
  strings: Pick<ModelStrings, 'arClose' | 'arPlace' | 'arMove'>;
}

/** Starts the session (call it from the button's click: WebXR needs the user's gesture). Resolves once it runs. */
export async function startWebXr(o: WebXrOptions): Promise<void> {
  const xr = (navigator as Navigator & { xr?: XRSystem }).xr;
  if (!xr) throw new Error('WebXR is not available');
  const overlay = document.createElement('div');
  overlay.style.cssText = 'position:fixed;inset:0;pointer-events:none;font:16px system-ui,sans-serif';
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = o.strings.arClose;
  close.style.cssText =
    'position:absolute;right:16px;top:16px;pointer-events:auto;padding:.5em 1em;border:0;border-radius:2em;background:#000b;color:#fff;font:inherit';
  const hint = document.createElement('p');
  hint.textContent = o.strings.arPlace;
  hint.style.cssText = 'position:absolute;left:0;right:0;bottom:24px;margin:0;text-align:center;color:#fff;text-shadow:0 0 4px #000';
  overlay.append(close, hint);
  document.body.append(overlay);
  let session: XRSession;
  try {
    session = await xr.requestSession('immersive-ar', { requiredFeatures: ['hit-test'], optionalFeatures: ['dom-overlay'], domOverlay: { root: overlay } });
  } catch (e) {
    overlay.remove();
    throw e;
  }
  const canvas = document.createElement('canvas');
  const decoders = o.decoderPath || new URL(/* @vite-ignore */ '../decoders/', import.meta.url).href;
  const studio = createStudio(canvas, decoders.replace(/\/?$/, '/'), true);
  const { renderer, scene } = studio;
  renderer.xr.enabled = true;
  renderer.xr.setReferenceSpaceType('local');
  let hitSource: XRHitTestSource | undefined;
  let root: Group | undefined;
  const end = () => {
    renderer.setAnimationLoop(null);
    hitSource?.cancel();
    if (root) disposeTree(root);
    studio.dispose();
    overlay.remove();
  };
  session.addEventListener('end', end, { once: true });
  close.addEventListener('click', () => void session.end());
  try {
    await renderer.xr.setSession(session);
    // The model at true scale, its base on the floor at the origin of its group.
    const bytes = await (await fetch(o.src)).arrayBuffer();
    const model = await studio.parse(bytes, o.src);
    const box = new Box3().setFromObject(model, true);
    const centre = box.getCenter(new Vector3());
    model.position.set(-centre.x, -box.min.y, -centre.z);
    root = new Group();
    root.add(model);
    root.visible = false;
    scene.add(root);
    const reticle = new Mesh(new RingGeometry(0.08, 0.1, 32).rotateX(-Math.PI / 2), new MeshBasicMaterial({ color: 0xffffff }));
    reticle.matrixAutoUpdate = false;
    reticle.visible = false;
    scene.add(reticle);
    const viewer = await session.requestReferenceSpace('viewer');
    hitSource = await session.requestHitTestSource?.({ space: viewer });
    if (!hitSource) throw new Error('hit testing is not available');
    const camera = renderer.xr.getCamera();
    const placed = new Matrix4();
    session.addEventListener('select', () => {
      if (!reticle.visible || !root) return;
      placed.copy(reticle.matrix);
      root.position.setFromMatrixPosition(placed);
      // Face the viewer: turn about the vertical only.
      const eye = new Vector3().setFromMatrixPosition(camera.matrixWorld);
      root.quaternion.copy(new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), Math.atan2(eye.x - root.position.x, eye.z - root.position.z)));
      root.visible = true;
      hint.textContent = o.strings.arMove;
    });
    renderer.setAnimationLoop((_t, frame) => {
      const space = renderer.xr.getReferenceSpace();
      const hits = frame && space && hitSource ? frame.getHitTestResults(hitSource) : [];
      const pose = hits.length && space ? hits[0]!.getPose(space) : undefined;
      reticle.visible = Boolean(pose);
      if (pose) reticle.matrix.fromArray(pose.transform.matrix);
      renderer.render(scene, camera);
    });
  } catch (e) {
    await session.end().catch(() => undefined);
    throw e;
  }
}
