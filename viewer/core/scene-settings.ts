/**
 * What a web editor can direct in the 3D view, named and written as Google's model-viewer names and writes them
 * (`camera-orbit="30deg 75deg 105%"`, `field-of-view="30deg"`, `exposure="1"`, `tone-mapping="neutral"` …) so a page
 * can move between the two, plus `environment-rotation` and `gltf-camera` (a camera of the file, as the Khronos 3D
 * Commerce certification renders through). Parsing only: no three.js here, so the element checks a value before the
 * 3D chunk is loaded, and an invalid value is refused with a message while the last good one stays in force.
 */

/** A length in metres, or a share of the framing distance (`105%`: the model just fits, with a 5 % margin). */
export interface Length {
  value: number;
  unit: 'm' | '%';
}

/** A camera position around the target: `null` components are the viewer's own choice ("auto"). */
export interface Orbit {
  /** Azimuth, radians, around +Y from +Z (model-viewer's θ). */
  theta: number | null;
  /** Polar angle, radians, from +Y (model-viewer's φ; 90° is level with the target). */
  phi: number | null;
  radius: Length | null;
}

/** Tone mappings three.js has and model-viewer names: `neutral` (Khronos PBR Neutral, the default), `aces`, `agx`, `linear`. */
export const TONE_MAPPINGS = ['neutral', 'aces', 'agx', 'linear'] as const;
export type ToneMappingName = (typeof TONE_MAPPINGS)[number];

export interface SceneSettings {
  /** Where the camera starts, around the target: `θ φ r` (deg, rad; m, cm, mm, %; `auto`). Default `0deg 75deg 105%`. */
  cameraOrbit: Orbit;
  /** The point looked at and turned around, metres, `x y z` (`auto` per axis: the centre of the model's bounds). */
  cameraTarget: [number | null, number | null, number | null];
  /** Vertical field of view, radians (`auto`: 30°). */
  fieldOfView: number | null;
  /** Limits of the orbit (`auto`: the viewer's: φ in (0°, 180°), radius from 1.25 × the model's radius). */
  minCameraOrbit: Orbit;
  maxCameraOrbit: Orbit;
  /** An equirectangular image lighting the model (HDR, EXR, JPEG, PNG, WebP, AVIF), or `neutral` (a studio room, the default). */
  environmentImage: string;
  /** Turns the environment (and skybox) around +Y, radians. */
  environmentRotation: number;
  /** Shown behind the model (equirectangular, as above), or none (the page shows through, or `background`). */
  skyboxImage: string;
  /** A CSS colour drawn behind the model (none: transparent). */
  background: string;
  /** Exposure of the tone mapping (≥ 0). Default 1. */
  exposure: number;
  toneMapping: ToneMappingName;
  /**
   * Opacity of the contact shadow on the floor under the model (0: none, the default, as model-viewer has it); above 1
   * the shadow keeps its full darkness over more of its area. At most 10.
   */
  shadowIntensity: number;
  /** How blurred the contact shadow's edge is, 0 (sharp) to 1 (soft, the default, as model-viewer has it). */
  shadowSoftness: number;
  /** A camera of the glTF file, by name or by index; it replaces the orbit's starting view (none by default). */
  gltfCamera: string;
}

export const SCENE_DEFAULTS: SceneSettings = {
  cameraOrbit: { theta: 0, phi: (75 * Math.PI) / 180, radius: { value: 105, unit: '%' } },
  cameraTarget: [null, null, null],
  fieldOfView: null,
  minCameraOrbit: { theta: null, phi: null, radius: null },
  maxCameraOrbit: { theta: null, phi: null, radius: null },
  environmentImage: 'neutral',
  environmentRotation: 0,
  skyboxImage: '',
  background: '',
  exposure: 1,
  toneMapping: 'neutral',
  shadowIntensity: 0,
  shadowSoftness: 1,
  gltfCamera: '',
};

import { SCENE_ATTRIBUTES, type SceneAttribute } from './scene-attributes.js';

export { SCENE_ATTRIBUTES, type SceneAttribute } from './scene-attributes.js';

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?`;
const ANGLE = new RegExp(`^(${NUMBER})(deg|rad|turn)?$`, 'i');
const LENGTH = new RegExp(`^(${NUMBER})(m|cm|mm|%)?$`, 'i');

function bad(name: string, expected: string, value: string): Error {
  return new Error(`xoay-viewer: ${name} must be ${expected}; got ${JSON.stringify(value)}`);
}

/** An angle: `30deg`, `0.5rad`, `0.25turn` or a bare number (degrees, as model-viewer's `environment-rotation` reads). */
export function parseAngle(value: string, name: string, bareUnit: 'deg' | 'rad' = 'deg'): number {
  const m = ANGLE.exec(value.trim());
  if (!m) throw bad(name, 'an angle such as 30deg or 0.5rad', value);
  const n = Number(m[1]);
  const unit = (m[2] ?? bareUnit).toLowerCase();
  const rad = unit === 'deg' ? (n * Math.PI) / 180 : unit === 'turn' ? n * 2 * Math.PI : n;
  if (!Number.isFinite(rad)) throw bad(name, 'a finite angle', value);
  return rad;
}

function parseLength(value: string, name: string): Length {
  const m = LENGTH.exec(value.trim());
  if (!m) throw bad(name, 'a length such as 2m, 150cm or 105%', value);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const length: Length = unit === '%' ? { value: n, unit: '%' } : { value: unit === 'cm' ? n / 100 : unit === 'mm' ? n / 1000 : n, unit: 'm' };
  if (!(Number.isFinite(length.value) && length.value > 0)) throw bad(name, 'a length above 0', value);
  return length;
}

/** `θ φ r` as model-viewer writes it (`auto` for any of them; fewer than three: the rest auto). */
export function parseOrbit(value: string, name: string): Orbit {
  const parts = value.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0 || parts.length > 3) throw bad(name, 'three values "θ φ radius" such as "30deg 75deg 105%" (auto for any)', value);
  const [t = 'auto', p = 'auto', r = 'auto'] = parts;
  const auto = (s: string) => s.toLowerCase() === 'auto';
  const orbit: Orbit = {
    theta: auto(t) ? null : parseAngle(t, `${name} (θ)`),
    phi: auto(p) ? null : parseAngle(p, `${name} (φ)`),
    radius: auto(r) ? null : parseLength(r, `${name} (radius)`),
  };
  if (orbit.phi !== null && (orbit.phi < 0 || orbit.phi > Math.PI)) throw bad(`${name} (φ)`, 'between 0deg and 180deg', p);
  return orbit;
}

/** `x y z` in metres (m, cm, mm), `auto` for any axis. */
export function parseTarget(value: string, name: string): [number | null, number | null, number | null] {
  const parts = value.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 3) throw bad(name, 'three lengths "x y z" such as "0m 0.4m 0m" (auto for any)', value);
  return parts.map((s) => {
    if (s.toLowerCase() === 'auto') return null;
    const m = new RegExp(`^(${NUMBER})(m|cm|mm)?$`, 'i').exec(s);
    if (!m) throw bad(name, 'three lengths "x y z" such as "0m 0.4m 0m" (auto for any)', value);
    const unit = (m[2] ?? 'm').toLowerCase();
    const n = Number(m[1]) / (unit === 'cm' ? 100 : unit === 'mm' ? 1000 : 1);
    if (!Number.isFinite(n)) throw bad(name, 'finite lengths', value);
    return n;
  }) as [number | null, number | null, number | null];
}

/** A plain number from 0 to `max` (no unit). */
function parseNumber(v: string, name: string, max: number): number {
  const n = Number(v);
  if (!/^[+-]?[\d.]/.test(v) || !Number.isFinite(n) || n < 0 || n > max) throw bad(name, `a number from 0 to ${max}`, v);
  return n;
}

/** One attribute's text → its setting (throws an Error naming the attribute, what it expects and what it got). */
export function parseSceneAttribute<A extends SceneAttribute>(name: A, value: string | null): SceneSettings[(typeof SCENE_ATTRIBUTES)[A]] {
  type R = SceneSettings[(typeof SCENE_ATTRIBUTES)[A]];
  const key = SCENE_ATTRIBUTES[name];
  if (value === null || value.trim() === '') return SCENE_DEFAULTS[key] as R;
  const v = value.trim();
  switch (name) {
    case 'camera-orbit':
    case 'min-camera-orbit':
    case 'max-camera-orbit':
      return parseOrbit(v, name) as R;
    case 'camera-target':
      return (v.toLowerCase() === 'auto' ? SCENE_DEFAULTS.cameraTarget : parseTarget(v, name)) as R;
    case 'field-of-view': {
      if (v.toLowerCase() === 'auto') return null as R;
      const fov = parseAngle(v, name);
      if (!(fov >= (1 * Math.PI) / 180 && fov <= (120 * Math.PI) / 180)) throw bad(name, 'between 1deg and 120deg', value);
      return fov as R;
    }
    case 'environment-rotation':
      return parseAngle(v, name) as R;
    case 'exposure':
      return parseNumber(v, name, 100) as R;
    case 'shadow-intensity':
      return parseNumber(v, name, 10) as R;
    case 'shadow-softness':
      return parseNumber(v, name, 1) as R;
    case 'tone-mapping': {
      const t = v.toLowerCase();
      if (!(TONE_MAPPINGS as readonly string[]).includes(t)) throw bad(name, `one of ${TONE_MAPPINGS.join(', ')}`, value);
      return t as R;
    }
    case 'background':
      if (typeof CSS !== 'undefined' && !CSS.supports('color', v)) throw bad(name, 'a CSS colour', value);
      return v as R;
    case 'environment-image':
    case 'skybox-image':
    case 'gltf-camera':
      return v as R;
  }
  throw new Error(`xoay-viewer: unknown scene attribute ${String(name)}`);
}

/** The longest side, pixels, of an environment or skybox image the viewer decodes (16k × 8k would take 2 GiB as floats). */
export const MAX_ENVIRONMENT_SIDE = 8192;
