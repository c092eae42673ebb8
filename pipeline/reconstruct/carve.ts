/**
 * Carve: the visual hull on a voxel grid. A voxel is kept when its centre projects inside the
 * silhouette in all views but `tolerance` of them. The box is found by a coarse carve of a box that
 * surely holds the object (from where the cameras look and how large the silhouettes are), then the
 * fine grid (`resolution` voxels along the longest side) is carved in that box.
 *
 * Memory: one bit per voxel (256 × 216 × 216 ≈ 1.5 MB); the masks are shared with the workers.
 * Parallelism: layers of the grid are split between worker threads (the kernel is one
 * self-contained function, run as is in the workers, so the same code runs from the sources and
 * from dist/).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { XoayError } from '../core/errors.js';
import { solve } from '../core/linalg.js';
import { add, at, scale, sub, type Vec3 } from '../core/vec3.js';
import { assertInteger, withDefaults } from '../core/options.js';
import { type Camera, cameraCentre, project, viewDirection } from './cameras.js';
import type { Silhouette } from './silhouettes.js';

const STAGE = 'carve';

/** An axis-aligned box in world coordinates. */
export interface Box {
  min: [number, number, number];
  max: [number, number, number];
}

/** One view to carve with: its camera at the mask's resolution and its mask. */
export interface CarveView {
  /** Projection (3×4, row-major) into the mask's pixels. */
  P: readonly number[];
  width: number;
  height: number;
  /** 1 = object. */
  mask: Uint8Array;
  /** Points that project outside the frame count as inside (the object is cut off by the frame here). */
  open: boolean;
}

export interface CarveOptions {
  /** Voxels along the longest side of the box. */
  resolution: number;
  /** Views a voxel may fall outside of and still be kept (against imperfect masks). */
  tolerance: number;
  /** The box to carve, in world coordinates (null: found from the cameras and silhouettes). */
  box: Box | null;
  /** Voxels along the longest side of the coarse carve that finds the box. */
  coarse: number;
  /** Worker threads (1: carve in this thread). */
  workers: number;
}

export const CARVE_DEFAULTS: CarveOptions = {
  resolution: 256,
  tolerance: 0,
  box: null,
  coarse: 64,
  workers: Math.min(os.availableParallelism(), 8),
};

/**
 * A bit grid of voxels: voxel (i, j, k) has its centre at origin + (i, j, k)·voxel. Bits are stored
 * layer by layer (k), each layer padded to whole 32-bit words, so layers can be written in parallel.
 */
export interface VoxelGrid {
  nx: number;
  ny: number;
  nz: number;
  /** Centre of voxel (0, 0, 0). */
  origin: [number, number, number];
  /** Edge length of a voxel, world units. */
  voxel: number;
  /** 32-bit words per layer. */
  wordsPerLayer: number;
  bits: Uint32Array;
  /** Voxels kept. */
  count: number;
}

export function voxelAt(g: VoxelGrid, i: number, j: number, k: number): boolean {
  const b = i + g.nx * j;
  return ((g.bits[k * g.wordsPerLayer + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
}

/** The views to carve with, from cameras (at the silhouettes' resolution) and silhouettes. */
export function carveViews(cameras: readonly Camera[], sils: readonly Silhouette[]): CarveView[] {
  return sils.map((s, i) => ({ P: cameras[i]!.P, width: s.width, height: s.height, mask: s.mask, open: s.touchesEdge }));
}

/** The arguments of the kernel (plain data, so they can be posted to a worker). */
interface KernelArgs {
  P: Float64Array;
  masks: Uint8Array;
  offsets: Int32Array;
  widths: Int32Array;
  heights: Int32Array;
  open: Uint8Array;
  views: number;
  nx: number;
  ny: number;
  ox: number;
  oy: number;
  oz: number;
  voxel: number;
  tolerance: number;
  wordsPerLayer: number;
  bits: Int32Array;
  /** Layers to carve: chunks of `chunk` layers, starting at chunk `first`, every `stride` chunks, below `nz`. */
  first: number;
  stride: number;
  chunk: number;
  nz: number;
}

/**
 * The carving kernel. Self-contained (no imports, no closures): it is also sent as source text to
 * the worker threads. Returns the number of voxels kept in its layers.
 */
function carveKernel(a: KernelArgs): number {
  const P = a.P,
    V = a.views,
    tol = a.tolerance;
  const baseX = new Float64Array(V),
    baseY = new Float64Array(V),
    baseW = new Float64Array(V);
  let kept = 0;
  let startView = 0;
  for (let c = a.first; c * a.chunk < a.nz; c += a.stride) {
    const kEnd = Math.min(a.nz, (c + 1) * a.chunk);
    for (let k = c * a.chunk; k < kEnd; k++) {
      const z = a.oz + k * a.voxel;
      const layer = k * a.wordsPerLayer;
      for (let j = 0; j < a.ny; j++) {
        const y = a.oy + j * a.voxel;
        for (let v = 0; v < V; v++) {
          const p = v * 12;
          baseX[v] = P[p + 1]! * y + P[p + 2]! * z + P[p + 3]!;
          baseY[v] = P[p + 5]! * y + P[p + 6]! * z + P[p + 7]!;
          baseW[v] = P[p + 9]! * y + P[p + 10]! * z + P[p + 11]!;
        }
        for (let i = 0; i < a.nx; i++) {
          const x = a.ox + i * a.voxel;
          let misses = 0;
          // Start with the view that rejected the last voxel: neighbours usually fail in the same view.
          for (let n = 0; n < V; n++) {
            const v = (startView + n) % V;
            const p = v * 12;
            const w = P[p + 8]! * x + baseW[v]!;
            let inside = false;
            if (w > 0) {
              const u = Math.round((P[p]! * x + baseX[v]!) / w);
              const r = Math.round((P[p + 4]! * x + baseY[v]!) / w);
              const W = a.widths[v]!,
                H = a.heights[v]!;
              if (u >= 0 && r >= 0 && u < W && r < H) inside = a.masks[a.offsets[v]! + r * W + u] === 1;
              else inside = a.open[v] === 1;
            }
            if (!inside) {
              misses++;
              if (misses > tol) {
                startView = v;
                break;
              }
            }
          }
          if (misses <= tol) {
            const b = i + a.nx * j;
            a.bits[layer + (b >>> 5)] = a.bits[layer + (b >>> 5)]! | (1 << (b & 31));
            kept++;
          }
        }
      }
    }
  }
  return kept;
}

const WORKER_SOURCE = `const { parentPort, workerData } = require('node:worker_threads');\n${carveKernel.toString()}\nparentPort.postMessage(carveKernel(workerData));\n`;

function runWorker(args: KernelArgs): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: args });
    w.once('message', (n: number) => resolve(n));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`carve worker exited with code ${code}`));
    });
  });
}

/** Carve `views` on a grid over `box` with `resolution` voxels along its longest side. */
export async function carveGrid(views: readonly CarveView[], box: Box, resolution: number, tolerance: number, workers: number): Promise<VoxelGrid> {
  const size = sub(box.max, box.min);
  const voxel = Math.max(...size) / resolution;
  const [nx, ny, nz] = size.map((s) => Math.max(1, Math.ceil(s / voxel - 1e-9))) as [number, number, number];
  const origin = add(box.min, [voxel / 2, voxel / 2, voxel / 2]);
  const wordsPerLayer = Math.ceil((nx * ny) / 32);
  const shared = workers > 1;
  const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const bitsBuf = alloc(wordsPerLayer * nz * 4);
  const total = views.reduce((s, v) => s + v.width * v.height, 0);
  const masks = new Uint8Array(alloc(total));
  const offsets = new Int32Array(views.length);
  let off = 0;
  views.forEach((v, i) => {
    offsets[i] = off;
    masks.set(v.mask, off);
    off += v.width * v.height;
  });
  const P = new Float64Array(views.length * 12);
  views.forEach((v, i) => P.set(v.P, i * 12));
  const base = {
    P,
    masks,
    offsets,
    widths: Int32Array.from(views, (v) => v.width),
    heights: Int32Array.from(views, (v) => v.height),
    open: Uint8Array.from(views, (v) => (v.open ? 1 : 0)),
    views: views.length,
    nx,
    ny,
    nz,
    ox: origin[0],
    oy: origin[1],
    oz: origin[2],
    voxel,
    tolerance,
    wordsPerLayer,
    bits: new Int32Array(bitsBuf),
    chunk: 2,
  };
  let count: number;
  const n = Math.min(workers, Math.ceil(nz / 2));
  if (n <= 1) {
    count = carveKernel({ ...base, first: 0, stride: 1 });
  } else {
    const counts = await Promise.all(Array.from({ length: n }, (_, w) => runWorker({ ...base, first: w, stride: n })));
    count = counts.reduce((s, c) => s + c, 0);
  }
  return { nx, ny, nz, origin, voxel, wordsPerLayer, bits: new Uint32Array(bitsBuf), count };
}

/** The bounding box of the kept voxels (centres ± half a voxel), or null when none is kept. */
export function occupiedBox(g: VoxelGrid): Box | null {
  const lo: Vec3 = [Infinity, Infinity, Infinity],
    hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < g.nz; k++) {
    for (let j = 0; j < g.ny; j++) {
      for (let i = 0; i < g.nx; i++) {
        if (!voxelAt(g, i, j, k)) continue;
        const c = [i, j, k];
        for (let a = 0; a < 3; a++) {
          if (c[a]! < lo[a]!) lo[a] = c[a]!;
          if (c[a]! > hi[a]!) hi[a] = c[a]!;
        }
      }
    }
  }
  if (lo[0] === Infinity) return null;
  return {
    min: add(g.origin, scale(sub(lo, [0.5, 0.5, 0.5]), g.voxel)),
    max: add(g.origin, scale(add(hi, [0.5, 0.5, 0.5]), g.voxel)),
  };
}

/**
 * A box that surely holds the object: around the point the cameras' axes pass closest to, as large
 * as twice the largest silhouette seen at that distance.
 */
export function searchBox(cameras: readonly Camera[], views: readonly CarveView[]): Box {
  // Least squares: Σ (I − d dᵀ)(x − c) = 0.
  const A = new Array<number>(9).fill(0),
    b = [0, 0, 0];
  for (const cam of cameras) {
    const c = cameraCentre(cam),
      d = viewDirection(cam);
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < 3; s++) {
        const m = (r === s ? 1 : 0) - d[r]! * d[s]!;
        A[r * 3 + s] = A[r * 3 + s]! + m;
        b[r] = b[r]! + m * c[s]!;
      }
    }
  }
  // One camera (or axes that do not meet): a point one unit along its view.
  const centre = at((cameras.length > 1 ? solve(A, b, 3) : null) ?? add(cameraCentre(cameras[0]!), viewDirection(cameras[0]!)));
  let radius = 0;
  views.forEach((v, i) => {
    const [u0, v0, depth] = project(v.P, ...centre);
    const K = cameras[i]!.K;
    const f = Math.min(Math.abs(K[0]!), Math.abs(K[4]!));
    let far = 0;
    for (let y = 0; y < v.height; y++) {
      for (let x = 0; x < v.width; x++) {
        if (!v.mask[y * v.width + x]) continue;
        const dd = Math.hypot(x - u0, y - v0);
        if (dd > far) far = dd;
      }
    }
    // A view whose mask is cut by the frame could hide more: count the frame's far corner.
    if (v.open) far = Math.max(far, Math.hypot(Math.max(u0, v.width - u0), Math.max(v0, v.height - v0)));
    radius = Math.max(radius, (far * Math.abs(depth)) / f);
  });
  const r = 2 * radius;
  return { min: sub(centre, [r, r, r]), max: add(centre, [r, r, r]) };
}

export interface CarveResult {
  grid: VoxelGrid;
  /** The box carved (found by the coarse carve unless given). */
  box: Box;
}

/**
 * Carve the visual hull of `views` (cameras at the silhouettes' resolution, same order). `cameras`
 * are used to find the box when none is given.
 */
export async function carve(cameras: readonly Camera[], views: readonly CarveView[], opts?: Partial<CarveOptions>): Promise<CarveResult> {
  const o = withDefaults(CARVE_DEFAULTS, opts);
  assertInteger(STAGE, 'resolution', o.resolution, 8, 2048);
  assertInteger(STAGE, 'coarse', o.coarse, 8, 512);
  assertInteger(STAGE, 'workers', o.workers, 1, 64);
  assertInteger(STAGE, 'tolerance', o.tolerance, 0, Math.max(0, views.length - 1));
  if (cameras.length !== views.length) throw new XoayError(STAGE, 'RECONSTRUCT_FAILED', `${cameras.length} camera(s) for ${views.length} silhouette(s)`);
  let box = o.box;
  if (!box) {
    const search = searchBox(cameras, views);
    const coarse = await carveGrid(views, search, o.coarse, o.tolerance, 1);
    const found = occupiedBox(coarse);
    if (!found)
      throw new XoayError(
        STAGE,
        'RECONSTRUCT_FAILED',
        'nothing is left after carving: the silhouettes do not agree with the cameras (wrong calibration, frame order or direction?)',
      );
    // A coarse voxel is tested at its centre only: grow the box by a coarse voxel on every side.
    const m = coarse.voxel;
    box = { min: found.min.map((x) => x - m) as Box['min'], max: found.max.map((x) => x + m) as Box['max'] };
  }
  const grid = await carveGrid(views, box, o.resolution, o.tolerance, o.workers);
  if (grid.count === 0)
    throw new XoayError(
      STAGE,
      'RECONSTRUCT_FAILED',
      'nothing is left after carving: the silhouettes do not agree with the cameras (wrong calibration, frame order or direction?)',
    );
  return { grid, box };
}
