/**
 * Chamfer distance between two triangle meshes: points sampled uniformly over each surface (area
 * weighted, a fixed seed), each point's distance to the nearest point sampled on the other, the two
 * means averaged. Nearest neighbours through a uniform grid of cells about the sample spacing.
 */
import { mulberry32 as rng } from '../../pipeline/core/random.js';
import { triangleCross } from '../../pipeline/core/vec3.js';
import type { Mesh } from '../../pipeline/reconstruct/surface.js';

/** `n` points uniformly over the surface of `mesh`, x y z each. */
export function samplePoints(mesh: Mesh, n: number, seed = 1): Float32Array {
  const P = mesh.positions,
    I = mesh.indices;
  const nt = I.length / 3;
  const cdf = new Float64Array(nt);
  let total = 0;
  for (let t = 0; t < nt; t++) {
    const a = 3 * I[3 * t]!,
      b = 3 * I[3 * t + 1]!,
      c = 3 * I[3 * t + 2]!;
    total += 0.5 * Math.hypot(...triangleCross(P, a, b, c));
    cdf[t] = total;
  }
  const out = new Float32Array(3 * n);
  const r = rng(seed);
  for (let k = 0; k < n; k++) {
    const x = r() * total;
    let lo = 0,
      hi = nt - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    let s = r(),
      u = r();
    if (s + u > 1) (s = 1 - s), (u = 1 - u);
    const a = 3 * I[3 * lo]!,
      b = 3 * I[3 * lo + 1]!,
      c = 3 * I[3 * lo + 2]!;
    for (let d = 0; d < 3; d++) out[3 * k + d] = P[a + d]! + s * (P[b + d]! - P[a + d]!) + u * (P[c + d]! - P[a + d]!);
  }
  return out;
}

/** Mean distance from each point of `a` to its nearest point of `b`. */
export function meanNearest(a: Float32Array, b: Float32Array): number {
  const nb = b.length / 3;
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < b.length; i += 3) for (let d = 0; d < 3; d++) (lo[d] = Math.min(lo[d]!, b[i + d]!)), (hi[d] = Math.max(hi[d]!, b[i + d]!));
  const ext = Math.max(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!) || 1;
  const res = Math.max(1, Math.min(128, Math.round(Math.cbrt(nb / 2))));
  const cell = ext / res;
  const dims = [0, 1, 2].map((d) => Math.max(1, Math.ceil((hi[d]! - lo[d]!) / cell) + 1));
  const key = (x: number, y: number, z: number) => (z * dims[1]! + y) * dims[0]! + x;
  const counts = new Int32Array(dims[0]! * dims[1]! * dims[2]! + 1);
  const cellOf = (p: Float32Array, i: number, d: number) => Math.min(dims[d]! - 1, Math.max(0, Math.floor((p[i + d]! - lo[d]!) / cell)));
  for (let i = 0; i < b.length; i += 3) counts[key(cellOf(b, i, 0), cellOf(b, i, 1), cellOf(b, i, 2)) + 1]!++;
  for (let k = 1; k < counts.length; k++) counts[k] = counts[k]! + counts[k - 1]!;
  const order = new Int32Array(nb),
    fill = counts.slice();
  for (let i = 0; i < nb; i++) order[fill[key(cellOf(b, 3 * i, 0), cellOf(b, 3 * i, 1), cellOf(b, 3 * i, 2))]!++] = i;
  let sum = 0;
  for (let i = 0; i < a.length; i += 3) {
    const x = a[i]!,
      y = a[i + 1]!,
      z = a[i + 2]!;
    const c = [0, 1, 2].map((d) => Math.floor(([x, y, z][d]! - lo[d]!) / cell));
    let best = Infinity;
    for (let r = 0; ; r++) {
      // Search shells of cells until the nearest found is closer than the shell's inner distance.
      for (let dz = -r; dz <= r; dz++) {
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            if (Math.max(Math.abs(dx), Math.abs(dy), Math.abs(dz)) !== r) continue;
            const cx = c[0]! + dx,
              cy = c[1]! + dy,
              cz = c[2]! + dz;
            if (cx < 0 || cy < 0 || cz < 0 || cx >= dims[0]! || cy >= dims[1]! || cz >= dims[2]!) continue;
            const k = key(cx, cy, cz);
            for (let q = counts[k]!; q < counts[k + 1]!; q++) {
              const j = 3 * order[q]!;
              const d2 = (b[j]! - x) ** 2 + (b[j + 1]! - y) ** 2 + (b[j + 2]! - z) ** 2;
              if (d2 < best) best = d2;
            }
          }
        }
      }
      // Any point further out lies at least (r − 1 + the point's offset in its cell) cells away: r·cell is safe.
      const outside = c.some((v, d) => v - r < 0 && v + r >= dims[d]!);
      if (best <= (r * cell) ** 2 || (outside && r > Math.max(...dims))) break;
      if (r > Math.max(...dims) + Math.max(...c.map(Math.abs))) break;
    }
    sum += Math.sqrt(best);
  }
  return sum / (a.length / 3);
}

/** Symmetric Chamfer distance (mean of the two directions' mean nearest distances) of two meshes. */
export function chamfer(a: Mesh, b: Mesh, samples = 20_000): { distance: number; aToB: number; bToA: number } {
  const pa = samplePoints(a, samples, 1),
    pb = samplePoints(b, samples, 2);
  const aToB = meanNearest(pa, pb),
    bToA = meanNearest(pb, pa);
  return { distance: (aToB + bToA) / 2, aToB, bToA };
}
