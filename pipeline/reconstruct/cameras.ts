/**
 * Cameras: the projection of each view, either read from a calibration file (the Middlebury
 * `*_par.txt` format: per image K, R, t with P = K[R|t]) or made from the turntable model (N equal
 * steps over one turn, an elevation, a focal length). Both give the same `Camera`.
 *
 * Also here: each turntable row's settings (`turntableRows`: options, else shoot.json, else defaults), the
 * calibration ring's up direction (`ringUp`), and the product renderer's cameras as `Camera`s and as a
 * calibration file (`renderCamera`, `renderAim`, `calibrationText`: the benchmark's and the tests' ground truth).
 *
 * Conventions: world → camera is x_cam = R·x + t; image x to the right, y down, origin top-left,
 * pixel centres at whole-number coordinates (Middlebury's and OpenCV's convention).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { XoayError } from '../core/errors.js';
import { sharp } from '../core/image.js';
import { assertBoolean, assertInteger, assertNumber, withDefaults } from '../core/options.js';
import { add, at, cross, dot, length, mulMat3Mat3, mulMat3T, normalize, scale, sub, type Vec3 } from '../core/vec3.js';
import { fitHarmonic } from '../spin/recentre.js';
import { SHOOT_FILE, type ShootInfo, shootRows } from '../spin/shoot.js';

const STAGE = 'cameras';

/** One view's camera. Matrices are row-major. */
export interface Camera {
  /** The image file name (calibration file) or the frame's label (turntable). */
  name: string;
  /** Intrinsics, 3×3. */
  K: number[];
  /** Rotation world → camera, 3×3. */
  R: number[];
  /** Translation: x_cam = R·x + t. */
  t: number[];
  /** Projection P = K[R|t], 3×4. */
  P: number[];
}

/** P = K[R|t] (3×4, row-major). */
export function projectionMatrix(K: readonly number[], R: readonly number[], t: readonly number[]): number[] {
  const P = new Array<number>(12).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += K[r * 3 + k]! * (c < 3 ? R[k * 3 + c]! : t[k]!);
      P[r * 4 + c] = s;
    }
  }
  return P;
}

export function makeCamera(name: string, K: readonly number[], R: readonly number[], t: readonly number[]): Camera {
  return { name, K: [...K], R: [...R], t: [...t], P: projectionMatrix(K, R, t) };
}

/** The camera's centre in world coordinates, −Rᵀt. */
export function cameraCentre(cam: Camera): Vec3 {
  return scale(mulMat3T(cam.R, at(cam.t)), -1);
}

/** The viewing direction (the camera's +z axis) in world coordinates. */
export function viewDirection(cam: Camera): Vec3 {
  return at(cam.R, 6);
}

/** Project a world point: [u, v, depth] (depth ≤ 0: behind the camera). */
export function project(P: readonly number[], x: number, y: number, z: number): [number, number, number] {
  const w = P[8]! * x + P[9]! * y + P[10]! * z + P[11]!;
  return [(P[0]! * x + P[1]! * y + P[2]! * z + P[3]!) / w, (P[4]! * x + P[5]! * y + P[6]! * z + P[7]!) / w, w];
}

/**
 * The same camera for the image resized by (sx, sy) (new size = old size × s), keeping pixel centres
 * at whole numbers: u' = sx·(u + ½) − ½.
 */
export function scaleCamera(cam: Camera, sx: number, sy: number = sx): Camera {
  const A = [sx, 0, (sx - 1) / 2, 0, sy, (sy - 1) / 2, 0, 0, 1];
  return makeCamera(cam.name, mulMat3Mat3(A, cam.K), cam.R, cam.t);
}

// ---------------------------------------------------------------------------------------------
// The Middlebury calibration format

const FIELD_NAMES = [
  'k11',
  'k12',
  'k13',
  'k21',
  'k22',
  'k23',
  'k31',
  'k32',
  'k33',
  'r11',
  'r12',
  'r13',
  'r21',
  'r22',
  'r23',
  'r31',
  'r32',
  'r33',
  't1',
  't2',
  't3',
];

function calibrationError(file: string, line: number, message: string): XoayError {
  return new XoayError(STAGE, 'BAD_CALIBRATION', `line ${line}: ${message}`, file);
}

/**
 * Parse a Middlebury `*_par.txt` calibration: the first line is the number of cameras, then one line
 * per image, `name.png k11 … k33 r11 … r33 t1 t2 t3`. `file` is used in messages; `images`, when
 * given, are the image names present beside it (each camera's image must be one of them).
 * Blank lines are ignored; every message names the line.
 */
export function parseCalibration(text: string, file: string, images?: readonly string[]): Camera[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new XoayError(STAGE, 'BAD_CALIBRATION', 'the calibration file is empty', file);
  const countText = lines[first]!.trim();
  const count = /^\d+$/.test(countText) ? Number(countText) : NaN;
  if (!Number.isInteger(count) || count < 1)
    throw calibrationError(file, first + 1, `expected the number of cameras (a whole number), got "${countText.slice(0, 40)}"`);
  const present = images ? new Set(images) : null;
  const seen = new Map<string, number>();
  const cameras: Camera[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const n = i + 1;
    const fields = raw.split(/\s+/);
    if (cameras.length === count) throw calibrationError(file, n, `camera line ${count + 1}, but line ${first + 1} says there are ${count} camera(s)`);
    if (fields.length !== 22) throw calibrationError(file, n, `expected 22 fields (image name, k11…k33, r11…r33, t1 t2 t3), got ${fields.length}`);
    const name = fields[0]!;
    const values: number[] = [];
    for (let f = 1; f < 22; f++) {
      const v = Number(fields[f]);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(fields[f]!) || !Number.isFinite(v)) {
        throw calibrationError(file, n, `${FIELD_NAMES[f - 1]} (field ${f + 1}) is not a number: "${fields[f]!.slice(0, 40)}"`);
      }
      values.push(v);
    }
    const prev = seen.get(name);
    if (prev !== undefined) throw calibrationError(file, n, `image ${name} is listed twice (first on line ${prev})`);
    seen.set(name, n);
    if (present && !present.has(name)) throw calibrationError(file, n, `image ${name} is not in the folder`);
    const K = values.slice(0, 9),
      R = values.slice(9, 18),
      t = values.slice(18, 21);
    if (!(K[8] !== 0 && K[0] !== 0 && K[4] !== 0)) throw calibrationError(file, n, 'K is singular (k11, k22 and k33 must not be 0)');
    const det = R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) - R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) + R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
    if (Math.abs(det - 1) > 1e-3) throw calibrationError(file, n, `R is not a rotation (its determinant is ${det.toFixed(4)}, not 1)`);
    cameras.push(
      makeCamera(
        name,
        K.map((k) => k / K[8]!),
        R,
        t,
      ),
    );
  }
  if (cameras.length !== count) throw calibrationError(file, first + 1, `says ${count} camera(s) but the file has ${cameras.length} camera line(s)`);
  return cameras;
}

/** Read a calibration file; its images must be in `imageDir` (default: the file's folder). */
export async function readCalibration(file: string, imageDir = path.dirname(file)): Promise<Camera[]> {
  let text: string, names: string[];
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new XoayError(STAGE, 'INPUT_MISSING', `cannot read the calibration file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file, { cause: e });
  }
  try {
    names = await readdir(imageDir);
  } catch (e) {
    throw new XoayError(STAGE, 'INPUT_MISSING', `cannot read the image folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, imageDir, { cause: e });
  }
  return parseCalibration(text, file, names);
}

// ---------------------------------------------------------------------------------------------
// The turntable model

export interface TurntableOptions {
  /** Number of views, in equal steps over one full turn. */
  views: number;
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Camera elevation above the turntable plane, in degrees (positive: looking down). */
  elevation: number;
  /** Horizontal field of view in degrees (0: use `focal35`). */
  fov: number;
  /** Focal length as a 35 mm equivalent in millimetres, e.g. from EXIF (0: use `fov`). */
  focal35: number;
  /** Distance from the camera to the point on the rotation axis it looks at, in world units (sets the scale). */
  distance: number;
  /** Height of that point on the axis (world Y; 0: the world origin). Rows of one shoot share the world frame through it. */
  aimHeight: number;
  /** The turntable turns clockwise seen from above (frames in the opposite order). */
  reverse: boolean;
  /** Image column (pixels) where the rotation axis is seen (NaN: the image centre). */
  axisX: number;
  /** Frame labels (default `view-1` …). */
  names: string[];
}

export const TURNTABLE_DEFAULTS: TurntableOptions = {
  views: 36,
  width: 0,
  height: 0,
  elevation: 15,
  fov: 0,
  focal35: 0,
  distance: 1,
  aimHeight: 0,
  reverse: false,
  axisX: NaN,
  names: [],
};

/** Focal length in pixels from a 35 mm equivalent (defined on the diagonal, 43.27 mm). */
export function focalFrom35(focal35: number, width: number, height: number): number {
  return (focal35 * Math.hypot(width, height)) / Math.hypot(36, 24);
}

/** Focal length in pixels from a horizontal field of view in degrees. */
export function focalFromFov(fov: number, width: number): number {
  return width / 2 / Math.tan((fov * Math.PI) / 360);
}

/**
 * Cameras for one row of a turntable shoot. World frame: Y up along the rotation axis, the origin on the
 * axis (where the camera looks, unless `aimHeight`); view i shows the object turned by 2πi/N
 * counter-clockwise seen from above (clockwise with `reverse`), i.e. a fixed camera and
 * x_cam = R₀·Ry(θᵢ)·(x − h·Y) + t₀. Several rows (elevations) with the same world frame make a multi-row
 * shoot: frame 1 of every row at the same turntable angle.
 */
export function turntableCameras(opts: Partial<TurntableOptions>): Camera[] {
  const o = withDefaults(TURNTABLE_DEFAULTS, opts);
  assertInteger(STAGE, 'views', o.views, 1, 100000);
  assertInteger(STAGE, 'width', o.width, 1, 1e6);
  assertInteger(STAGE, 'height', o.height, 1, 1e6);
  assertNumber(STAGE, 'elevation', o.elevation, -89, 89);
  assertNumber(STAGE, 'fov', o.fov, 0, 179);
  assertNumber(STAGE, 'focal35', o.focal35, 0, 10000);
  assertNumber(STAGE, 'distance', o.distance, 1e-9, 1e12);
  assertNumber(STAGE, 'aimHeight', o.aimHeight, -1e12, 1e12);
  assertBoolean(STAGE, 'reverse', o.reverse);
  if (!o.fov && !o.focal35)
    throw new XoayError(STAGE, 'BAD_OPTION', 'the turntable model needs a focal length: give fov (degrees) or focal35 (35 mm equivalent, e.g. from EXIF)');
  const f = o.fov ? focalFromFov(o.fov, o.width) : focalFrom35(o.focal35, o.width, o.height);
  const cx = Number.isNaN(o.axisX) ? (o.width - 1) / 2 : o.axisX;
  const cy = (o.height - 1) / 2;
  const K = [f, 0, cx, 0, f, cy, 0, 0, 1];
  const e = (o.elevation * Math.PI) / 180;
  const se = Math.sin(e),
    ce = Math.cos(e);
  // Camera at D·(0, sin e, cos e) looking at the origin; rows: image right, image down, forward.
  const R0 = [1, 0, 0, 0, -ce, se, 0, -se, -ce];
  const t0: Vec3 = [0, 0, o.distance];
  const sign = o.reverse ? -1 : 1;
  return Array.from({ length: o.views }, (_, i) => {
    const th = (sign * 2 * Math.PI * i) / o.views;
    const c = Math.cos(th),
      s = Math.sin(th);
    const Ry = [c, 0, s, 0, 1, 0, -s, 0, c];
    const R = mulMat3Mat3(R0, Ry);
    // The look-at point is (0, h, 0): t = t₀ − R·(0, h, 0) (Ry leaves the axis where it is).
    const t = sub(t0, scale(at(R, 1, 3), o.aimHeight));
    return makeCamera(o.names[i] ?? `view-${i + 1}`, K, R, t);
  });
}

/**
 * The image column of the rotation axis from the silhouettes of one full turn in equal steps: the
 * mean of the first-harmonic fit of the silhouette centres (the spin pipeline's re-centring fit),
 * in source pixels. An object off the axis orbits around it; the mean of the orbit is the axis.
 */
export function axisFromSilhouettes(views: readonly { mask: Uint8Array; width: number; height: number; scaleX: number }[]): number {
  const xs = views.map((v) => {
    let sx = 0,
      n = 0;
    for (let y = 0; y < v.height; y++) {
      for (let x = 0; x < v.width; x++) {
        if (v.mask[y * v.width + x]) {
          sx += x;
          n++;
        }
      }
    }
    const xw = n ? sx / n : (v.width - 1) / 2;
    // Back to source pixels (pixel centres at whole numbers).
    return (xw + 0.5) / v.scaleX - 0.5;
  });
  return fitHarmonic(xs).a;
}

/**
 * The focal length of a turntable shoot: `fov` (horizontal, degrees: the option, else shoot.json) when given,
 * else the 35 mm equivalent from the first frame's EXIF; with neither, an error naming the ways to give one.
 */
export async function shootFocal(fov: number, firstFrame: string, limitInputPixels: number): Promise<{ fov: number; focal35: number }> {
  let focal35 = 0;
  if (!fov) {
    const meta = await sharp(firstFrame, { limitInputPixels }).metadata();
    focal35 = focal35FromExif(meta.exif) ?? 0;
    if (!focal35)
      throw new XoayError(
        'cameras',
        'BAD_OPTION',
        `no focal length: the first frame has no EXIF FocalLengthIn35mmFilm; give --fov DEGREES (horizontal field of view), "fov" in ${SHOOT_FILE} or a calibration file with --cameras`,
        firstFrame,
      );
  }
  return { fov, focal35 };
}

/** One row of a turntable shoot, as `shootCameras` reads it (its `axisX` is written there). */
export interface CameraRow {
  /** Views in the row (consecutive in the shoot's view order). */
  views: number;
  /** Camera elevation, degrees. */
  elevation: number;
  /** Camera distance from the point it looks at (null: unknown, 1 camera distance). */
  distance: number | null;
  /** Height of the point on the axis the camera looks at. */
  aimHeight: number;
  /** Image column of the rotation axis (source pixels): set from the row's silhouettes. */
  axisX: number;
}

/**
 * The cameras of every row of a turntable shoot, in view order, at source resolution (`width` × `height`): each
 * row its own elevation, distance and axis column; one world frame (Y up the turntable axis, frame 1 of every
 * row at the same turntable angle). The axis is fitted per row from `silhouettes` (one per view, in view order)
 * and kept in `row.axisX`: each row is a full turn in equal steps (what the harmonic fit needs), and rows may be
 * framed differently (a camera moved sideways shows the axis at a column that depends on its distance).
 */
export function shootCameras(
  rows: CameraRow[],
  silhouettes: readonly { mask: Uint8Array; width: number; height: number; scaleX: number }[],
  names: readonly string[],
  lens: { width: number; height: number; fov: number; focal35: number },
): Camera[] {
  const cameras: Camera[] = [];
  let k = 0;
  for (const row of rows) {
    row.axisX = axisFromSilhouettes(silhouettes.slice(k, k + row.views));
    cameras.push(
      ...turntableCameras({
        views: row.views,
        width: lens.width,
        height: lens.height,
        elevation: row.elevation,
        fov: lens.fov,
        focal35: lens.focal35,
        distance: row.distance ?? 1,
        aimHeight: row.aimHeight,
        axisX: row.axisX,
        names: names.slice(k, k + row.views),
      }),
    );
    k += row.views;
  }
  return cameras;
}

/**
 * The 35 mm equivalent focal length from an image's EXIF block (as sharp's `metadata().exif` gives it):
 * FocalLengthIn35mmFilm (0xA405), or null when absent.
 */
export function focal35FromExif(exif: Buffer | undefined): number | null {
  if (!exif || exif.length < 14) return null;
  // sharp gives "Exif\0\0" then the TIFF header.
  const base = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const le = exif.subarray(base, base + 2).toString('latin1') === 'II';
  if (!le && exif.subarray(base, base + 2).toString('latin1') !== 'MM') return null;
  const u16 = (o: number) => (le ? exif.readUInt16LE(base + o) : exif.readUInt16BE(base + o));
  const u32 = (o: number) => (le ? exif.readUInt32LE(base + o) : exif.readUInt32BE(base + o));
  const find = (ifd: number, tag: number): number | null => {
    if (base + ifd + 2 > exif.length) return null;
    const n = u16(ifd);
    for (let k = 0; k < n; k++) {
      const e = ifd + 2 + 12 * k;
      if (base + e + 12 > exif.length) return null;
      if (u16(e) === tag) return e;
    }
    return null;
  };
  try {
    const ifd0 = u32(4);
    const exifPtr = find(ifd0, 0x8769);
    if (exifPtr === null) return null;
    const entry = find(u32(exifPtr + 8), 0xa405);
    if (entry === null) return null;
    const v = u16(entry + 8); // SHORT, stored in the value field
    return v > 0 ? v : null;
  } catch {
    return null;
  }
}

/** Camera elevation of a single-row shoot when neither the options nor shoot.json give one, degrees. */
export const DEFAULT_ELEVATION = 15;

/** One row of the turntable model: a full turn in equal steps at its own elevation. */
export interface TurntableRow {
  /** The row's folder (the shoot folder's name for a single row of frames). */
  name: string;
  /** Views in the row. */
  views: number;
  /** Camera elevation, degrees. */
  elevation: number;
  /** Where the elevation came from. */
  elevationFrom: 'option' | 'shoot.json' | 'default';
  /** Camera distance from the point it looks at, metres (null: unknown, 1 camera distance). */
  distance: number | null;
  /** Height of the point on the axis the camera looks at (shoot.json rows[].aimHeight; 0: the common point). */
  aimHeight: number;
  /** Image column of the rotation axis (source pixels), fitted from this row's silhouettes (NaN until then). */
  axisX: number;
}

/**
 * Each row's settings for the turntable model: elevation from `o.elevation` (reconstruct's options) (one per row), else shoot.json
 * (the row's own, else the shoot's), else 15° for a single row; several rows without an elevation each is an
 * error. Distance from `o.distance` (one for all rows or one per row), else shoot.json, else unknown (every
 * row at the same distance); known for some rows but not others is an error. `shootDir` is named in errors
 * about the options, shoot.json in errors about it.
 */
export function turntableRows(
  rows: readonly { name: string; views: number }[],
  o: { elevation: number | number[] | null; distance: number | number[] | null },
  shoot: ShootInfo | null,
  shootDir: string,
): TurntableRow[] {
  const names = rows.map((r) => r.name);
  const fromShoot = shootRows(shoot, names);
  const list = (v: number | number[] | null) => (v === null ? null : Array.isArray(v) ? v : [v]);
  const elevations = list(o.elevation);
  if (elevations && elevations.length !== rows.length) {
    throw new XoayError(
      'cameras',
      'BAD_OPTION',
      `--elevation gives ${elevations.length} value(s) for ${rows.length} row(s) (${names.join(', ')}): give one per row, in row order${rows.length > 1 ? `, e.g. --elevation ${rows.map((_, i) => 10 + 30 * i).join(',')}` : ''}`,
      shootDir,
    );
  }
  const distances = list(o.distance);
  if (distances && distances.length !== 1 && distances.length !== rows.length) {
    throw new XoayError(
      'cameras',
      'BAD_OPTION',
      `--distance gives ${distances.length} values for ${rows.length} row(s) (${names.join(', ')}): give one for every row or one per row, in row order`,
      shootDir,
    );
  }
  if (!distances && shoot) {
    const known = fromShoot.filter((r) => r.distance !== null),
      unknown = fromShoot.filter((r) => r.distance === null);
    if (known.length && unknown.length) {
      throw new XoayError(
        'shoot',
        'BAD_SHOOT',
        `rows[].distance: given for ${known.map((r) => r.name).join(', ')} but not for ${unknown.map((r) => r.name).join(', ')} (and no top-level "distance"): give every row a distance, or none`,
        shoot.file,
      );
    }
  }
  const missing = elevations ? [] : fromShoot.filter((r) => r.elevation === null).map((r) => r.name);
  if (rows.length > 1 && missing.length) {
    throw new XoayError(
      'cameras',
      'BAD_OPTION',
      `${rows.length} rows but no camera elevation for ${missing.join(', ')}: give one per row with --elevation ${rows.map((_, i) => 10 + 30 * i).join(',')} or in ${SHOOT_FILE} ("rows": [{ "folder": "${names[0]}", "elevation": 10 }, …])`,
      shoot?.file ?? shootDir,
    );
  }
  return rows.map((r, i) => {
    const s = fromShoot[i]!;
    const elevation = elevations ? elevations[i]! : (s.elevation ?? DEFAULT_ELEVATION);
    const elevationFrom = elevations ? 'option' : s.elevation !== null ? 'shoot.json' : 'default';
    return {
      name: r.name,
      views: r.views,
      elevation,
      elevationFrom,
      distance: distances ? distances[distances.length === 1 ? 0 : i]! : s.distance,
      aimHeight: s.aimHeight,
      axisX: NaN,
    };
  });
}

/**
 * Frame i of the product renderer (pipeline/render/render.ts, `info.camera`) as a Camera, for width × height frames
 * in `frames` steps: world = the turntable's frame at rotation 0 (the GLB's scene through `info.camera.model`).
 */
export function renderCamera(
  info: { camera: { view: readonly number[]; fovY: number } },
  i: number,
  frames: number,
  width: number,
  height: number,
  name: string,
): Camera {
  const V = info.camera.view;
  const f = height / 2 / Math.tan((info.camera.fovY * Math.PI) / 360);
  const K = [f, 0, width / 2 - 0.5, 0, f, height / 2 - 0.5, 0, 0, 1];
  const th = (2 * Math.PI * i) / frames;
  const c = Math.cos(th),
    s = Math.sin(th);
  const Ry = [c, 0, s, 0, 1, 0, -s, 0, c];
  // three's camera looks down −Z with +Y up; ours looks down +Z with +Y down: flip rows 2 and 3.
  const flip = [1, -1, -1];
  const R: number[] = [],
    t: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += V[k * 4 + r]! * Ry[k * 3 + col]!;
      R.push(flip[r]! * sum);
    }
    t.push(flip[r]! * V[12 + r]!);
  }
  return makeCamera(name, K, R, t);
}

/**
 * Where the product renderer's camera (`info.camera`) looks, as the turntable model's row settings: its
 * distance from the point where its line of sight crosses the turntable axis (+Y through the origin of the
 * turntable's frame) and that point's height. The renderer frames each elevation anew, so its rows are not
 * on one arc: a shoot.json with these per row makes the reconstruction's world frame the renderer's.
 */
export function renderAim(info: { camera: { view: readonly number[] } }): { distance: number; aimHeight: number } {
  const V = info.camera.view;
  // Column-major world → camera; three's camera looks down −Z.
  const R = (r: number, c: number) => V[c * 4 + r]!;
  // The camera's centre −Rᵀt: column c of R is V[4c…4c + 2], t is V[12…14].
  const C: Vec3 = [0, 1, 2].map((c) => -dot(at(V, 4 * c), at(V, 12))) as Vec3;
  const d: Vec3 = [0, 1, 2].map((c) => -R(2, c)) as Vec3;
  const s = -(C[0] * d[0] + C[2] * d[2]) / (d[0] ** 2 + d[2] ** 2);
  return { distance: s, aimHeight: C[1] + s * d[1] };
}

/** Cameras as a Middlebury `*_par.txt` calibration file. */
export function calibrationText(cameras: readonly Camera[]): string {
  return `${cameras.length}\n${cameras.map((c) => [c.name, ...c.K, ...c.R, ...c.t].join(' ')).join('\n')}\n`;
}

/** The ring's normal (the turntable axis) from camera centres, pointing to the side the cameras are on. */
export function ringUp(cameras: readonly Camera[], objectCentre: readonly number[]): [number, number, number] {
  const cs = cameras.map(cameraCentre);
  const m = [0, 1, 2].map((a) => cs.reduce((s, c) => s + c[a]!, 0) / cs.length) as Vec3;
  let n: Vec3 = [0, 0, 0];
  for (let i = 0; i < cs.length; i++) {
    const c = cross(sub(cs[i]!, m), sub(cs[(i + 1) % cs.length]!, m));
    n = add(n, scale(c, dot(n, c) < 0 ? -1 : 1));
  }
  // Not a ring: the cameras' mean image-up direction.
  if (length(n) < 1e-12) n = [0, 1, 2].map((k) => -cameras.reduce((s, c) => s + c.R[3 + k]!, 0)) as Vec3;
  n = normalize(n);
  // (Summed term by term, in this order.)
  const side = cs.reduce((s, c) => s + (c[0] - objectCentre[0]!) * n[0] + (c[1] - objectCentre[1]!) * n[1] + (c[2] - objectCentre[2]!) * n[2], 0);
  return side < 0 ? scale(n, -1) : n;
}
