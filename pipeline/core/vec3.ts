/**
 * Small 3D vector helpers on x, y, z triples, for meshes stored flat (positions[3i], positions[3i + 1],
 * positions[3i + 2]). Each does its arithmetic in one fixed order, so results are the same bit for bit as the
 * loops they replace.
 */

/** A point or direction. */
export type Vec3 = [number, number, number];

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
