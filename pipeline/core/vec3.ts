/**
 * Small 3D vector helpers on x, y, z triples, for meshes stored flat (positions[3i], positions[3i + 1],
 * positions[3i + 2]). Each does its arithmetic in one fixed order, so results are the same bit for bit as the
 * loops they replace.
 */

/** A point or direction. */
export type Vec3 = [number, number, number];
/** A Vec3 read, never written. */
export type Vec3Like = readonly [number, number, number];

/**
 * (b − a) × (c − a) for the triangle whose corners start at offsets `a`, `b`, `c` (3 × the vertex index) of the
 * flat array `P`: the triangle's normal, as long as twice its area, pointing to the side it is counter-clockwise
 * from.
 */
export function triangleCross(P: ArrayLike<number>, a: number, b: number, c: number): Vec3 {
  const ux = P[b]! - P[a]!,
    uy = P[b + 1]! - P[a + 1]!,
    uz = P[b + 2]! - P[a + 2]!;
  const vx = P[c]! - P[a]!,
    vy = P[c + 1]! - P[a + 1]!,
    vz = P[c + 2]! - P[a + 2]!;
  return [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
}

/** a + b. */
export function add(a: Vec3Like, b: Vec3Like): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/** a − b. */
export function sub(a: Vec3Like, b: Vec3Like): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/** s·a. */
export function scale(a: Vec3Like, s: number): Vec3 {
  return [s * a[0], s * a[1], s * a[2]];
}

/** a · b. */
export function dot(a: Vec3Like, b: Vec3Like): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** a × b. */
export function cross(a: Vec3Like, b: Vec3Like): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** |a|. */
export function length(a: Vec3Like): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** a / |a|, or a itself when its length is 0. */
export function normalize(a: Vec3Like): Vec3 {
  const l = length(a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}

/** The three numbers of `a` from `offset` (a point of a flat array, a column or row of a matrix) as a Vec3. */
export function at(a: ArrayLike<number>, offset = 0, step = 1): Vec3 {
  return [a[offset]!, a[offset + step]!, a[offset + 2 * step]!];
}

/** M·v for a 3×3 matrix M, row-major. */
export function mulMat3(M: ArrayLike<number>, v: Vec3Like): Vec3 {
  return [dot(at(M, 0), v), dot(at(M, 3), v), dot(at(M, 6), v)];
}

/** Mᵀ·v for a 3×3 matrix M, row-major. */
export function mulMat3T(M: ArrayLike<number>, v: Vec3Like): Vec3 {
  return [dot(at(M, 0, 3), v), dot(at(M, 1, 3), v), dot(at(M, 2, 3), v)];
}

/** A·B for 3×3 matrices, row-major (each entry summed from 0, k = 0, 1, 2 in order). */
export function mulMat3Mat3(A: ArrayLike<number>, B: ArrayLike<number>): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] = out[r * 3 + c]! + A[r * 3 + k]! * B[k * 3 + c]!;
  return out;
}

/** The bounding box of the x, y, z triples of a flat array (each through `map` first, when given). */
export function boundingBox(positions: ArrayLike<number>, map?: (p: Vec3) => Vec3Like): { lo: Vec3; hi: Vec3 } {
  let lo: Vec3 = [Infinity, Infinity, Infinity],
    hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    const q = map ? map(at(positions, i)) : at(positions, i);
    lo = [Math.min(lo[0], q[0]), Math.min(lo[1], q[1]), Math.min(lo[2], q[2])];
    hi = [Math.max(hi[0], q[0]), Math.max(hi[1], q[1]), Math.max(hi[2], q[2])];
  }
  return { lo, hi };
}
