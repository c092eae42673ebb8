/**
 * The names of the 3D view's scene attributes and the settings they set (scene-settings.ts parses them). On its own so
 * that `<xoay-viewer>`, which is the spin path, can observe and reflect them without carrying the parser: that stays in
 * the 3D chunk.
 */
/** Attribute name → SceneSettings key, in the order the README's table lists them. */
export const SCENE_ATTRIBUTES = {
  'camera-orbit': 'cameraOrbit',
  'camera-target': 'cameraTarget',
  'field-of-view': 'fieldOfView',
  'min-camera-orbit': 'minCameraOrbit',
  'max-camera-orbit': 'maxCameraOrbit',
  'environment-image': 'environmentImage',
  'environment-rotation': 'environmentRotation',
  'skybox-image': 'skyboxImage',
  background: 'background',
  exposure: 'exposure',
  'tone-mapping': 'toneMapping',
  'shadow-intensity': 'shadowIntensity',
  'shadow-softness': 'shadowSoftness',
  'gltf-camera': 'gltfCamera',
} as const;
export type SceneAttribute = keyof typeof SCENE_ATTRIBUTES;
