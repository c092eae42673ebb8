/**
 * The contact shadow under the model (`shadow-intensity`, `shadow-softness`), as model-viewer and drei's
 * ContactShadows make it, in plain three.js: the model is drawn once from below its floor into a small render target
 * by an orthographic camera looking up, each fragment as black with an alpha that fades with its height above the
 * floor; that picture is blurred (a horizontal and a vertical pass, twice) and shown on a plane at the floor under
 * the model. It is drawn again only when the model or the settings change, not every frame. Part of the 3D chunk
 * (three-scene.ts imports it).
 */
import {
  Box3,
  DoubleSide,
  Mesh,
  MeshBasicMaterial,
  MeshDepthMaterial,
  type Object3D,
  OrthographicCamera,
  PlaneGeometry,
  type Scene,
  ShaderMaterial,
  Vector3,
  type WebGLRenderer,
  WebGLRenderTarget,
  Color,
} from 'three';
import { FullScreenQuad } from 'three/examples/jsm/postprocessing/Pass.js';
import { HorizontalBlurShader } from 'three/examples/jsm/shaders/HorizontalBlurShader.js';
import { VerticalBlurShader } from 'three/examples/jsm/shaders/VerticalBlurShader.js';

/** Pixels a side of the shadow's render target. */
const RESOLUTION = 512;
/** The plane's side as a multiple of the model's larger footprint side (room for the blur to spread). */
const MARGIN = 1.8;
/** Blur step, in texture widths per tap, at `shadow-softness` 1 (9 taps, so ±4 steps; a second pass at 0.4 of it). */
const SOFT_STEP = 4 / 256;

export interface ContactShadow {
  /** The plane at the floor; add it to the scene (it is hidden while the intensity is 0). */
  readonly plane: Mesh;
  /** Places the plane and the camera under `root`'s bounds (the floor: its lowest point). */
  fit(root: Object3D): void;
  /** Draws the shadow texture again with these settings (intensity ≥ 0: the alpha gain; softness 0–1: the blur). */
  update(scene: Scene, intensity: number, softness: number): void;
  dispose(): void;
}

export function createContactShadow(renderer: WebGLRenderer): ContactShadow {
  const target = new WebGLRenderTarget(RESOLUTION, RESOLUTION);
  target.texture.generateMipmaps = false;
  const spare = new WebGLRenderTarget(RESOLUTION, RESOLUTION);
  spare.texture.generateMipmaps = false;

  const material = new MeshBasicMaterial({ map: target.texture, transparent: true, depthWrite: false, side: DoubleSide, toneMapped: false });
  const geometry = new PlaneGeometry(1, 1);
  const plane = new Mesh(geometry, material);
  plane.name = 'xoay-contact-shadow';
  plane.rotation.x = -Math.PI / 2;
  plane.renderOrder = 1;
  plane.visible = false;
  // The plane's v runs along +Z as the camera's up does (scale −1 then the rotation), so the texture lies under the model.
  plane.scale.set(1, -1, 1);

  const camera = new OrthographicCamera(-0.5, 0.5, 0.5, -0.5, 0, 1);
  camera.up.set(0, 0, 1);

  // Black, with an alpha from 1 at the floor down to 0 at the camera's far plane, times the intensity.
  const darkness = { value: 1 };
  const depth = new MeshDepthMaterial();
  depth.onBeforeCompile = (shader) => {
    shader.uniforms.darkness = darkness;
    shader.fragmentShader = `uniform float darkness;\n${shader.fragmentShader.replace(
      'gl_FragColor = vec4( vec3( 1.0 - fragCoordZ ), opacity );',
      'gl_FragColor = vec4( vec3( 0.0 ), ( 1.0 - fragCoordZ ) * darkness );',
    )}`;
  };
  depth.customProgramCacheKey = () => 'xoay-contact-shadow';
  depth.side = DoubleSide;

  const horizontal = new ShaderMaterial({ ...HorizontalBlurShader, uniforms: { tDiffuse: { value: null }, h: { value: 0 } }, depthTest: false });
  const vertical = new ShaderMaterial({ ...VerticalBlurShader, uniforms: { tDiffuse: { value: null }, v: { value: 0 } }, depthTest: false });
  const quad = new FullScreenQuad(horizontal);

  const bounds = new Box3();
  const size = new Vector3();
  const centre = new Vector3();
  const clear = new Color();
  let fitted = false;

  function blur(step: number): void {
    quad.material = horizontal;
    horizontal.uniforms.tDiffuse!.value = target.texture;
    horizontal.uniforms.h!.value = step;
    renderer.setRenderTarget(spare);
    quad.render(renderer);
    quad.material = vertical;
    vertical.uniforms.tDiffuse!.value = spare.texture;
    vertical.uniforms.v!.value = step;
    renderer.setRenderTarget(target);
    quad.render(renderer);
  }

  return {
    plane,
    fit(root) {
      bounds.setFromObject(root);
      if (bounds.isEmpty()) return;
      bounds.getSize(size);
      bounds.getCenter(centre);
      const side = Math.max(size.x, size.z, 1e-6) * MARGIN;
      const height = Math.max(size.y, side * 0.05);
      // A hair below the model's lowest point, so that a flat base does not fight the plane for depth.
      const floor = bounds.min.y - height * 1e-3;
      plane.position.set(centre.x, floor, centre.z);
      plane.scale.set(side, -side, 1);
      camera.left = camera.bottom = -side / 2;
      camera.right = camera.top = side / 2;
      camera.near = 0;
      camera.far = height;
      camera.position.set(centre.x, floor, centre.z);
      camera.lookAt(centre.x, floor + 1, centre.z);
      camera.updateProjectionMatrix();
      camera.updateMatrixWorld();
      fitted = true;
    },
    update(scene, intensity, softness) {
      plane.visible = fitted && intensity > 0;
      if (!plane.visible) return;
      darkness.value = intensity;
      const background = scene.background;
      const override = scene.overrideMaterial;
      const before = renderer.getRenderTarget();
      const alpha = renderer.getClearAlpha();
      renderer.getClearColor(clear);
      scene.background = null;
      scene.overrideMaterial = depth;
      plane.visible = false;
      try {
        renderer.setClearColor(0x000000, 0);
        renderer.setRenderTarget(target);
        renderer.clear();
        renderer.render(scene, camera);
        if (softness > 0) {
          blur(SOFT_STEP * softness);
          blur(SOFT_STEP * softness * 0.4);
        }
      } finally {
        scene.background = background;
        scene.overrideMaterial = override;
        plane.visible = true;
        renderer.setRenderTarget(before);
        renderer.setClearColor(clear, alpha);
      }
    },
    dispose() {
      plane.removeFromParent();
      geometry.dispose();
      material.dispose();
      depth.dispose();
      horizontal.dispose();
      vertical.dispose();
      quad.dispose();
      target.dispose();
      spare.dispose();
    },
  };
}
