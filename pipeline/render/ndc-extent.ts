/**
 * Where a turning object lands in a camera's image: the extent in normalised device coordinates (−1…1) of a point
 * cloud turned about +Y, through a view-projection matrix. Shared by the pages that render turntables in the browser
 * (the product renderer and the sample maker) to frame the object over the whole turn; plain arithmetic, no three.js.
 */

export interface NdcExtent {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Nothing yet: the identity of `unionExtent`. */
export const EMPTY_EXTENT: Readonly<NdcExtent> = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };

/**
 * The extent of `points` (x, y, z triples) turned by `angle` radians about +Y (the same rotation as
 * `Object3D.rotation.y = angle`), projected by `m` (16 numbers, column-major, projection × view).
 */
export function turnedExtent(points: ArrayLike<number>, m: ArrayLike<number>, angle: number): NdcExtent {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const e: NdcExtent = { ...EMPTY_EXTENT };
  for (let i = 0; i < points.length; i += 3) {
    const px = points[i]!;
    const py = points[i + 1]!;
    const pz = points[i + 2]!;
    const x = px * cos + pz * sin;
    const z = -px * sin + pz * cos;
    const w = m[3]! * x + m[7]! * py + m[11]! * z + m[15]!;
    const nx = (m[0]! * x + m[4]! * py + m[8]! * z + m[12]!) / w;
    const ny = (m[1]! * x + m[5]! * py + m[9]! * z + m[13]!) / w;
    if (nx < e.minX) e.minX = nx;
    if (nx > e.maxX) e.maxX = nx;
    if (ny < e.minY) e.minY = ny;
    if (ny > e.maxY) e.maxY = ny;
  }
  return e;
}

/** The smallest extent holding both. */
export function unionExtent(a: NdcExtent, b: NdcExtent): NdcExtent {
  return { minX: Math.min(a.minX, b.minX), maxX: Math.max(a.maxX, b.maxX), minY: Math.min(a.minY, b.minY), maxY: Math.max(a.maxY, b.maxY) };
}
