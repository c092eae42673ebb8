/**
 * Surface: the carved voxels become a closed, indexed triangle mesh in world coordinates. The 0/1
 * occupancy is lightly smoothed (a separable Gaussian), its 0.5 level is extracted with surface nets
 * (a vertex per boundary cell at the mean of its edge crossings, a quad per crossed grid edge, facing
 * out), and meshoptimizer brings it to the triangle target.
 */
import { MeshoptSimplifier } from 'meshoptimizer';
import { assertInteger, assertNumber, withDefaults } from '../core/options.js';
import { type VoxelGrid, voxelAt } from './carve.js';

const STAGE = 'surface';

export interface SurfaceOptions {
  /** Gaussian smoothing of the occupancy before extraction, sigma in voxels (0: none). */
  smooth: number;
  /** Triangle target of the simplified mesh (0: keep every triangle). */
  triangles: number;
  /** Largest simplification error, as a fraction of the mesh's size (the target is not met beyond it). */
  maxError: number;
}

export const SURFACE_DEFAULTS: SurfaceOptions = { smooth: 0.7, triangles: 50_000, maxError: 0.005 };

/** An indexed triangle mesh; triangles are counter-clockwise seen from outside. */
export interface Mesh {
  /** x, y, z per vertex (world units). */
  positions: Float32Array;
  /** Three vertex indices per triangle. */
  indices: Uint32Array;
}

export interface SurfaceResult {
  mesh: Mesh;
  /** Triangles extracted, before simplification. */
  extracted: number;
  /** meshoptimizer's error of the simplification, as a fraction of the mesh's size. */
  simplifyError: number;
}

/** A growable typed array. */
class Grow<T extends Float32Array | Uint32Array> {
  length = 0;
  constructor(public data: T) {}
  push3(a: number, b: number, c: number): void {
    if (this.length + 3 > this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
    this.data[this.length++] = c;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** A scalar field on a regular grid: sample (a, b, c) sits at origin + (a, b, c)·spacing. */
export interface Field {
  nx: number;
  ny: number;
  nz: number;
  origin: [number, number, number];
  spacing: number;
  values: Float32Array;
}

/** Separable Gaussian blur in place (values outside the field are 0). */
export function blurField(f: Field, sigma: number): void {
  if (sigma <= 0) return;
  const r = Math.max(1, Math.ceil(2.5 * sigma));
  const kernel = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) sum += kernel[k + r] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] = kernel[k]! / sum;
  const { nx, ny, nz, values } = f;
  const dims = [nx, ny, nz],
    strides = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const n = dims[axis]!,
      step = strides[axis]!;
    const line = new Float32Array(n);
    const others = [0, 1, 2].filter((a) => a !== axis);
    const [a1, a2] = [others[0]!, others[1]!];
    for (let p = 0; p < dims[a2]!; p++) {
      for (let q = 0; q < dims[a1]!; q++) {
        const start = p * strides[a2]! + q * strides[a1]!;
        let any = false;
        for (let i = 0; i < n; i++) {
          const v = values[start + i * step]!;
          line[i] = v;
          if (v !== 0) any = true;
        }
        if (!any) continue;
        for (let i = 0; i < n; i++) {
          let s = 0;
          const lo = Math.max(0, i - r),
            hi = Math.min(n - 1, i + r);
          for (let k = lo; k <= hi; k++) s += line[k]! * kernel[k - i + r]!;
          values[start + i * step] = s;
        }
      }
    }
  }
}

/** The occupancy of a voxel grid as a field with `pad` empty samples on every side. */
export function occupancyField(g: VoxelGrid, pad: number): Field {
  const nx = g.nx + 2 * pad,
    ny = g.ny + 2 * pad,
    nz = g.nz + 2 * pad;
  const values = new Float32Array(nx * ny * nz);
  for (let k = 0; k < g.nz; k++) {
    for (let j = 0; j < g.ny; j++) {
      const row = (k + pad) * nx * ny + (j + pad) * nx + pad;
      for (let i = 0; i < g.nx; i++) if (voxelAt(g, i, j, k)) values[row + i] = 1;
    }
  }
  return { nx, ny, nz, origin: g.origin.map((o) => o - pad * g.voxel) as [number, number, number], spacing: g.voxel, values };
}

// The 12 edges of a cell as pairs of corner numbers (corner = dx + 2·dy + 4·dz).
const EDGES = [0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 1, 3, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7];

/**
 * Surface nets over `field` at level `iso` (inside: value > iso). The field must be below `iso` on
 * its whole border, so the surface is closed. Only two layers of cell indices are kept.
 */
export function surfaceNets(field: Field, iso = 0.5): Mesh {
  const { nx, ny, nz, values: f, origin, spacing } = field;
  const sxy = nx * ny;
  const cx = nx - 1,
    cy = ny - 1;
  let prev = new Int32Array(cx * cy).fill(-1);
  let cur = new Int32Array(cx * cy).fill(-1);
  const pos = new Grow(new Float32Array(1 << 16));
  const idx = new Grow(new Uint32Array(1 << 16));
  const corner = new Float32Array(8);
  let nv = 0;
  const quad = (a: number, b: number, c: number, d: number, flip: boolean) => {
    if (a < 0 || b < 0 || c < 0 || d < 0) return;
    if (flip) [b, d] = [d, b];
    // Split along the shorter diagonal.
    const P = pos.data;
    const dac = (P[3 * a]! - P[3 * c]!) ** 2 + (P[3 * a + 1]! - P[3 * c + 1]!) ** 2 + (P[3 * a + 2]! - P[3 * c + 2]!) ** 2;
    const dbd = (P[3 * b]! - P[3 * d]!) ** 2 + (P[3 * b + 1]! - P[3 * d + 1]!) ** 2 + (P[3 * b + 2]! - P[3 * d + 2]!) ** 2;
    if (dac <= dbd) {
      idx.push3(a, b, c);
      idx.push3(a, c, d);
    } else {
      idx.push3(a, b, d);
      idx.push3(b, c, d);
    }
  };
  for (let c = 0; c < nz - 1; c++) {
    cur.fill(-1);
    // Vertices of the cells of layer c.
    for (let b = 0; b < cy; b++) {
      for (let a = 0; a < cx; a++) {
        const base = c * sxy + b * nx + a;
        let mask = 0;
        for (let k = 0; k < 8; k++) {
          const v = f[base + (k & 1) + ((k >> 1) & 1) * nx + (k >> 2) * sxy]!;
          corner[k] = v;
          if (v > iso) mask |= 1 << k;
        }
        if (mask === 0 || mask === 255) continue;
        let px = 0,
          py = 0,
          pz = 0,
          n = 0;
        for (let e = 0; e < 24; e += 2) {
          const k0 = EDGES[e]!,
            k1 = EDGES[e + 1]!;
          const in0 = (mask >> k0) & 1,
            in1 = (mask >> k1) & 1;
          if (in0 === in1) continue;
          const t = (iso - corner[k0]!) / (corner[k1]! - corner[k0]!);
          px += (k0 & 1) + t * ((k1 & 1) - (k0 & 1));
          py += ((k0 >> 1) & 1) + t * (((k1 >> 1) & 1) - ((k0 >> 1) & 1));
          pz += (k0 >> 2) + t * ((k1 >> 2) - (k0 >> 2));
          n++;
        }
        pos.push3(origin[0] + (a + px / n) * spacing, origin[1] + (b + py / n) * spacing, origin[2] + (c + pz / n) * spacing);
        cur[b * cx + a] = nv++;
      }
    }
    // Quads for the crossed edges: z-edges from layer c to c + 1 (cells of layer c) …
    for (let b = 1; b < cy; b++) {
      for (let a = 1; a < cx; a++) {
        const p = c * sxy + b * nx + a;
        const in0 = f[p]! > iso,
          in1 = f[p + sxy]! > iso;
        if (in0 === in1) continue;
        quad(cur[(b - 1) * cx + a - 1]!, cur[(b - 1) * cx + a]!, cur[b * cx + a]!, cur[b * cx + a - 1]!, !in0);
      }
    }
    if (c === 0) {
      [prev, cur] = [cur, prev];
      continue;
    }
    // … and x- and y-edges in layer c (cells of layers c − 1 and c).
    for (let b = 0; b < ny; b++) {
      for (let a = 0; a < nx; a++) {
        const p = c * sxy + b * nx + a;
        const in0 = f[p]! > iso;
        if (a < cx && b >= 1 && b < cy) {
          const in1 = f[p + 1]! > iso;
          if (in0 !== in1) quad(prev[(b - 1) * cx + a]!, prev[b * cx + a]!, cur[b * cx + a]!, cur[(b - 1) * cx + a]!, !in0);
        }
        if (b < cy && a >= 1 && a < cx) {
          const in1 = f[p + nx]! > iso;
          if (in0 !== in1) quad(prev[b * cx + a - 1]!, cur[b * cx + a - 1]!, cur[b * cx + a]!, prev[b * cx + a]!, !in0);
        }
      }
    }
    [prev, cur] = [cur, prev];
  }
  return { positions: pos.done(), indices: idx.done() };
}

/** Keep only the vertices the triangles use (in first-use order). */
export function compact(mesh: Mesh): Mesh {
  const remap = new Int32Array(mesh.positions.length / 3).fill(-1);
  const indices = new Uint32Array(mesh.indices.length);
  let n = 0;
  for (let i = 0; i < indices.length; i++) {
    const v = mesh.indices[i]!;
    if (remap[v] === -1) remap[v] = n++;
    indices[i] = remap[v]!;
  }
  const positions = new Float32Array(n * 3);
  for (let v = 0; v < remap.length; v++) {
    const r = remap[v]!;
    if (r >= 0) positions.set(mesh.positions.subarray(3 * v, 3 * v + 3), 3 * r);
  }
  return { positions, indices };
}

/** Signed volume enclosed by a closed mesh (positive when it faces out). */
export function meshVolume(mesh: Mesh): number {
  const P = mesh.positions,
    I = mesh.indices;
  let s = 0;
  for (let t = 0; t < I.length; t += 3) {
    const a = 3 * I[t]!,
      b = 3 * I[t + 1]!,
      c = 3 * I[t + 2]!;
    s +=
      P[a]! * (P[b + 1]! * P[c + 2]! - P[b + 2]! * P[c + 1]!) -
      P[a + 1]! * (P[b]! * P[c + 2]! - P[b + 2]! * P[c]!) +
      P[a + 2]! * (P[b]! * P[c + 1]! - P[b + 1]! * P[c]!);
  }
  return s / 6;
}

/** The mesh of a carved grid: smooth, extract, simplify. */
export async function surface(grid: VoxelGrid, opts?: Partial<SurfaceOptions>): Promise<SurfaceResult> {
  const o = withDefaults(SURFACE_DEFAULTS, opts);
  assertNumber(STAGE, 'smooth', o.smooth, 0, 8);
  assertInteger(STAGE, 'triangles', o.triangles, 0, 1e9);
  assertNumber(STAGE, 'maxError', o.maxError, 0, 1);
  const pad = Math.ceil(2.5 * o.smooth) + 1;
  const field = occupancyField(grid, pad);
  blurField(field, o.smooth);
  const full = surfaceNets(field, 0.5);
  const extracted = full.indices.length / 3;
  if (!o.triangles || extracted <= o.triangles) return { mesh: compact(full), extracted, simplifyError: 0 };
  await MeshoptSimplifier.ready;
  const [indices, error] = MeshoptSimplifier.simplify(full.indices, full.positions, 3, o.triangles * 3, o.maxError, []);
  return { mesh: compact({ positions: full.positions, indices }), extracted, simplifyError: error };
}
