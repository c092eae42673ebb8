/**
 * Atlas: a UV atlas for a triangle mesh, in TypeScript (no xatlas build runs here fast enough: the
 * watlas WASM build of xatlas runs under Node but charts a 51k-triangle mesh in 13–16 s, half the
 * whole reconstruction's budget, and is only a transitive dev dependency).
 *
 * Charts: triangles are grown into edge-connected regions whose normals stay within 65° of the
 * seed's dominant axis (±X, ±Y, ±Z); seeds are taken most-aligned first, so charts start at flat
 * middles and absorb the noisy borders between axis classes; charts under 24 triangles are then
 * absorbed by a neighbour whose axis the triangle faces within 80°. Each chart is projected
 * orthographically along its area-weighted mean normal, scaled to one texel density for the whole
 * atlas, and its bounding rectangle packed on shelves (tallest first); the density is the largest
 * that fits (bisection). A chart that folds over itself in projection (a texel centre inside two of
 * its triangles) is split, up to 4 rounds. Vertices are duplicated along chart seams.
 *
 * Measured on the dino (50k triangles, 2048²): 811 charts, 25k → 31.5k vertices, 15 triangles still
 * folded, 0.8 s. xatlas's charts (LSCM) would stretch less and pack tighter.
 */
import { XoayError } from '../core/errors.js';
import { at, cross, dot, length, normalize, triangleCross, type Vec3, type Vec3Like } from '../core/vec3.js';
import { texelTriangle, triangle2 } from './bake.js';

/** A chart layout: per output vertex the source vertex and its UV in texels. */
export interface AtlasLayout {
  /** Source vertex of every output vertex. */
  xref: Uint32Array;
  /** Three output vertex indices per triangle (same triangle order as the input). */
  indices: Uint32Array;
  /** x, y per output vertex, in texels (0..size, y down: row of the image). */
  texels: Float32Array;
  /** Chart of every triangle. */
  chartOf: Int32Array;
  charts: number;
  /** Texels per world unit. */
  density: number;
  /** Triangles still overlapping another triangle of their chart (0 unless 4 rounds of splitting were not enough). */
  folded: number;
}

/** Charts with fewer triangles than this are absorbed into their neighbours where they can be. */
const SMALL_CHART = 24;

const AXES: readonly Vec3Like[] = [
  [1, 0, 0],
  [-1, 0, 0],
  [0, 1, 0],
  [0, -1, 0],
  [0, 0, 1],
  [0, 0, -1],
];

/** Unit face normals and areas. */
export function faceNormals(positions: Float32Array, indices: Uint32Array): { normals: Float32Array; areas: Float32Array } {
  const nt = indices.length / 3;
  const normals = new Float32Array(nt * 3),
    areas = new Float32Array(nt);
  const P = positions;
  for (let t = 0; t < nt; t++) {
    const a = 3 * indices[3 * t]!,
      b = 3 * indices[3 * t + 1]!,
      c = 3 * indices[3 * t + 2]!;
    const [nx, ny, nz] = triangleCross(P, a, b, c);
    const l = Math.hypot(nx, ny, nz);
    areas[t] = l / 2;
    if (l > 0) {
      normals[3 * t] = nx / l;
      normals[3 * t + 1] = ny / l;
      normals[3 * t + 2] = nz / l;
    }
  }
  return { normals, areas };
}

/** For every triangle edge (3t + e), the triangle across it (−1: none, or not uniquely one). */
export function edgeNeighbours(indices: Uint32Array, vertexCount: number): Int32Array {
  const nt = indices.length / 3;
  const across = new Int32Array(nt * 3).fill(-1);
  const map = new Map<number, number>();
  for (let t = 0; t < nt; t++) {
    for (let e = 0; e < 3; e++) {
      const a = indices[3 * t + e]!,
        b = indices[3 * t + ((e + 1) % 3)]!;
      const key = Math.min(a, b) * vertexCount + Math.max(a, b);
      const other = map.get(key);
      if (other === undefined) map.set(key, 3 * t + e);
      else if (other >= 0) {
        across[3 * t + e] = Math.floor(other / 3);
        across[other] = t;
        map.set(key, -1); // a third triangle on this edge joins nothing
      }
    }
  }
  return across;
}

/** Chart of every triangle (cone: cosine of the largest angle between a normal and the chart axis). */
export function segmentCharts(
  positions: Float32Array,
  indices: Uint32Array,
  normals: Float32Array,
  cone: number,
  group?: Uint8Array,
): { chartOf: Int32Array; charts: number } {
  const nt = indices.length / 3;
  const across = edgeNeighbours(indices, positions.length / 3);
  const best = new Int8Array(nt),
    align = new Float32Array(nt);
  for (let t = 0; t < nt; t++) {
    let bi = 0,
      bv = -Infinity;
    for (let k = 0; k < 6; k++) {
      const v = dot(AXES[k]!, at(normals, 3 * t));
      if (v > bv) (bv = v), (bi = k);
    }
    best[t] = bi;
    align[t] = bv;
  }
  const order = Array.from({ length: nt }, (_, t) => t).sort((a, b) => align[b]! - align[a]!);
  const chartOf = new Int32Array(nt).fill(-1);
  const stack: number[] = [];
  let charts = 0;
  for (const seed of order) {
    if (chartOf[seed] !== -1) continue;
    const ax = AXES[best[seed]!]!;
    const c = charts++;
    chartOf[seed] = c;
    stack.push(seed);
    while (stack.length) {
      const t = stack.pop()!;
      for (let e = 0; e < 3; e++) {
        const u = across[3 * t + e]!;
        if (u < 0 || chartOf[u] !== -1 || (group && group[u] !== group[t])) continue;
        // (Degenerate triangles, normal 0, join any chart.)
        const along = dot(ax, at(normals, 3 * u));
        if (along < cone && (normals[3 * u] !== 0 || normals[3 * u + 1] !== 0 || normals[3 * u + 2] !== 0)) continue;
        chartOf[u] = c;
        stack.push(u);
      }
    }
  }
  // Small charts (the noisy borders between axis classes) are absorbed, triangle by triangle from
  // their borders, into a neighbouring chart whose axis the triangle still faces (within 80°).
  const axisOf = new Int8Array(charts),
    count = new Int32Array(charts);
  for (let t = 0; t < nt; t++) count[chartOf[t]!] = count[chartOf[t]!]! + 1;
  for (const seed of order) if (count[chartOf[seed]!]! > 0 && axisOf[chartOf[seed]!] === 0) axisOf[chartOf[seed]!] = best[seed]! + 1;
  const relaxed = Math.cos((80 * Math.PI) / 180);
  for (let pass = 0; pass < 8; pass++) {
    let changed = false;
    for (let t = 0; t < nt; t++) {
      const c = chartOf[t]!;
      if (count[c]! >= SMALL_CHART) continue;
      let to = -1,
        bv = relaxed;
      for (let e = 0; e < 3; e++) {
        const u = across[3 * t + e]!;
        if (u < 0) continue;
        const cu = chartOf[u]!;
        if (cu === c || count[cu]! < SMALL_CHART || (group && group[u] !== group[t])) continue;
        const ax = AXES[axisOf[cu]! - 1]!;
        const degenerate = normals[3 * t] === 0 && normals[3 * t + 1] === 0 && normals[3 * t + 2] === 0;
        const v = degenerate ? 1 : dot(ax, at(normals, 3 * t));
        if (v > bv) (bv = v), (to = cu);
      }
      if (to < 0) continue;
      count[c] = count[c]! - 1;
      count[to] = count[to]! + 1;
      chartOf[t] = to;
      changed = true;
    }
    if (!changed) break;
  }
  // Number the charts left 0 … n − 1.
  const renumber = new Int32Array(charts).fill(-1);
  let used = 0;
  for (let t = 0; t < nt; t++) {
    const c = chartOf[t]!;
    if (renumber[c] === -1) renumber[c] = used++;
    chartOf[t] = renumber[c]!;
  }
  return { chartOf, charts: used };
}

interface Rect {
  w: number;
  h: number;
  x: number;
  y: number;
}

/** Shelf packing of rectangles (already including their padding) into a size × size square; false when they do not fit. */
function shelfPack(rects: Rect[], order: number[], size: number, pad: number): boolean {
  let x = pad,
    y = pad,
    shelf = 0;
  for (const i of order) {
    const r = rects[i]!;
    if (r.w + pad > size - pad) return false;
    if (x + r.w > size - pad) {
      y += shelf + pad;
      x = pad;
      shelf = 0;
    }
    if (y + r.h > size - pad) return false;
    r.x = x;
    r.y = y;
    x += r.w + pad;
    shelf = Math.max(shelf, r.h);
  }
  return true;
}

/**
 * The atlas of a mesh: charts, their projections, packed into size × size texels with `padding`
 * texels between charts (and at the border).
 */
export function buildAtlas(positions: Float32Array, indices: Uint32Array, size: number, padding: number, cone = Math.cos((65 * Math.PI) / 180)): AtlasLayout {
  const nt = indices.length / 3;
  const { normals, areas } = faceNormals(positions, indices);
  // Charts that fold over themselves in projection are split: the triangles that land on texels of
  // their own chart get a group of their own and charts never cross groups; a few rounds.
  const group = new Uint8Array(nt);
  let layout = layoutCharts(positions, indices, normals, areas, segmentCharts(positions, indices, normals, cone, group), size, padding);
  // (Checked at half the atlas's resolution: a quarter of the work; folds are larger than a texel.)
  const half = (l: AtlasLayout) =>
    foldedTriangles(
      l.texels.map((x) => x / 2),
      l.indices,
      l.chartOf,
      Math.ceil(size / 2),
    );
  for (let round = 1; round <= 4; round++) {
    const folded = half(layout);
    layout.folded = folded.length;
    if (folded.length === 0) break;
    for (const t of folded) group[t] = round;
    layout = layoutCharts(positions, indices, normals, areas, segmentCharts(positions, indices, normals, cone, group), size, padding);
    if (round === 4) layout.folded = half(layout).length;
  }
  return layout;
}

/**
 * Triangles that cover a texel centre (strictly inside) already covered by another triangle of the
 * same chart, in triangle order: where a chart folds over itself in its projection.
 */
export function foldedTriangles(texels: Float32Array, indices: Uint32Array, chartOf: Int32Array, size: number): number[] {
  const owner = new Int32Array(size * size).fill(-1);
  const out: number[] = [];
  const tr = triangle2();
  for (let t = 0; t < indices.length / 3; t++) {
    if (!texelTriangle(texels, indices, 3 * t, tr)) continue;
    const { ax, ay, bx, by, cx, cy, area } = tr;
    const inv = 1 / area;
    let hit = false;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, cx))),
      x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx, cx)));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy))),
      y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by, cy)));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5,
          py = y + 0.5;
        const l0 = ((cx - bx) * (py - by) - (cy - by) * (px - bx)) * inv,
          l1 = ((ax - cx) * (py - cy) - (ay - cy) * (px - cx)) * inv;
        if (l0 <= 1e-6 || l1 <= 1e-6 || l0 + l1 >= 1 - 1e-6) continue;
        const p = y * size + x;
        const o = owner[p]!;
        if (o === -1) owner[p] = t;
        else if (o !== t && chartOf[o] === chartOf[t]) hit = true;
      }
    }
    if (hit) out.push(t);
  }
  return out;
}

function layoutCharts(
  positions: Float32Array,
  indices: Uint32Array,
  normals: Float32Array,
  areas: Float32Array,
  seg: { chartOf: Int32Array; charts: number },
  size: number,
  padding: number,
): AtlasLayout {
  const { chartOf, charts } = seg;
  const { U, V } = chartAxes(indices, normals, areas, seg);
  const { xrefs, chartOfVertex, out } = chartVertices(positions, indices, chartOf);
  const n = xrefs.length;
  const { uv, lo, hi } = projectCharts(positions, xrefs, chartOfVertex, U, V, charts);
  const { rects, density } = packCharts(lo, hi, charts, size, padding);
  const texels = new Float32Array(2 * n);
  for (let o = 0; o < n; o++) {
    const c = chartOfVertex[o]!,
      r = rects[c]!;
    texels[2 * o] = r.x + 1 + (uv[2 * o]! - lo[2 * c]!) * density;
    texels[2 * o + 1] = r.y + 1 + (uv[2 * o + 1]! - lo[2 * c + 1]!) * density;
  }
  return { xref: Uint32Array.from(xrefs), indices: out, texels, chartOf, charts, density, folded: 0 };
}

/** Projection axes per chart (x, y, z each): U across the area-weighted mean normal, V = −(n × U) (image y is down). */
function chartAxes(
  indices: Uint32Array,
  normals: Float32Array,
  areas: Float32Array,
  seg: { chartOf: Int32Array; charts: number },
): { U: Float64Array; V: Float64Array } {
  const nt = indices.length / 3;
  const { chartOf, charts } = seg;
  const mean = new Float64Array(charts * 3);
  for (let t = 0; t < nt; t++) {
    for (let k = 0; k < 3; k++) {
      const q = 3 * chartOf[t]! + k;
      mean[q] = mean[q]! + normals[3 * t + k]! * (areas[t]! + 1e-30);
    }
  }
  const U = new Float64Array(charts * 3),
    V = new Float64Array(charts * 3);
  for (let c = 0; c < charts; c++) {
    const n = normalize(at(mean, 3 * c));
    // u: a horizontal-ish direction across n (world up is +Y for a turntable; fall back to +X).
    const across: Vec3 = Math.abs(n[1]) < 0.9 ? [n[2], 0, -n[0]] : [0, -n[2], n[1]];
    // (Divided by its own length, not by normalize(), which would take a length of 0 as 1: kept as it was.)
    const lu = length(across);
    const u: Vec3 = [across[0] / lu, across[1] / lu, across[2] / lu];
    // v = n × u, so (u, v) seen from outside is counter-clockwise like the triangles; image y is down, so use −v.
    const v = cross(n, u);
    U.set(u, 3 * c);
    V.set([-v[0], -v[1], -v[2]], 3 * c);
  }
  return { U, V };
}

/** Output vertices: one per (chart, source vertex): the source vertex and chart of each, and the triangles' new indices. */
function chartVertices(positions: Float32Array, indices: Uint32Array, chartOf: Int32Array): { xrefs: number[]; chartOfVertex: number[]; out: Uint32Array } {
  const nt = indices.length / 3;
  const key = new Map<number, number>();
  const xrefs: number[] = [],
    chartOfVertex: number[] = [];
  const out = new Uint32Array(indices.length);
  const nv = positions.length / 3;
  for (let t = 0; t < nt; t++) {
    const c = chartOf[t]!;
    for (let k = 0; k < 3; k++) {
      const v = indices[3 * t + k]!;
      const kk = c * nv + v;
      let o = key.get(kk);
      if (o === undefined) {
        o = xrefs.length;
        key.set(kk, o);
        xrefs.push(v);
        chartOfVertex.push(c);
      }
      out[3 * t + k] = o;
    }
  }
  return { xrefs, chartOfVertex, out };
}

/** Every output vertex projected on its chart's axes (world units), and each chart's bounds (u, v each). */
function projectCharts(
  positions: Float32Array,
  xrefs: readonly number[],
  chartOfVertex: readonly number[],
  U: Float64Array,
  V: Float64Array,
  charts: number,
): { uv: Float64Array; lo: Float64Array; hi: Float64Array } {
  const n = xrefs.length;
  const uv = new Float64Array(2 * n);
  const lo = new Float64Array(2 * charts).fill(Infinity),
    hi = new Float64Array(2 * charts).fill(-Infinity);
  for (let o = 0; o < n; o++) {
    const c = chartOfVertex[o]!,
      p = 3 * xrefs[o]!;
    const x = positions[p]!,
      y = positions[p + 1]!,
      z = positions[p + 2]!;
    const u = U[3 * c]! * x + U[3 * c + 1]! * y + U[3 * c + 2]! * z;
    const v = V[3 * c]! * x + V[3 * c + 1]! * y + V[3 * c + 2]! * z;
    uv[2 * o] = u;
    uv[2 * o + 1] = v;
    lo[2 * c] = Math.min(lo[2 * c]!, u);
    lo[2 * c + 1] = Math.min(lo[2 * c + 1]!, v);
    hi[2 * c] = Math.max(hi[2 * c]!, u);
    hi[2 * c + 1] = Math.max(hi[2 * c + 1]!, v);
  }
  return { uv, lo, hi };
}

/**
 * The charts' rectangles packed at the largest density (texels per world unit) that fits size × size: from
 * the area estimate, then bisected on what the shelves take.
 */
function packCharts(lo: Float64Array, hi: Float64Array, charts: number, size: number, padding: number): { rects: Rect[]; density: number } {
  let worldArea = 0;
  for (let c = 0; c < charts; c++) worldArea += (hi[2 * c]! - lo[2 * c]!) * (hi[2 * c + 1]! - lo[2 * c + 1]!);
  const rects: Rect[] = Array.from({ length: charts }, () => ({ w: 0, h: 0, x: 0, y: 0 }));
  // A chart's content spans ceil(extent·s) + 1 texels plus one margin texel on each side.
  const sized = (s: number) => {
    for (let c = 0; c < charts; c++) {
      rects[c]!.w = Math.ceil((hi[2 * c]! - lo[2 * c]!) * s) + 3;
      rects[c]!.h = Math.ceil((hi[2 * c + 1]! - lo[2 * c + 1]!) * s) + 3;
    }
  };
  sized(0);
  const order = Array.from({ length: charts }, (_, c) => c).sort((a, b) => hi[2 * b + 1]! - lo[2 * b + 1]! - (hi[2 * a + 1]! - lo[2 * a + 1]!) || a - b);
  let good = 0,
    bad = Math.sqrt((size * size) / Math.max(worldArea, 1e-30)) * 1.2;
  sized(bad);
  while (shelfPack(rects, order, size, padding)) bad *= 2; // (only when the estimate was low)
  for (let it = 0; it < 24 && bad - good > good * 1e-3; it++) {
    const mid = (good + bad) / 2;
    sized(mid);
    if (shelfPack(rects, order, size, padding)) good = mid;
    else bad = mid;
  }
  if (good === 0)
    throw new XoayError(
      'texture',
      'RECONSTRUCT_FAILED',
      `the ${charts} charts of the atlas do not fit in ${size}×${size} texels with padding ${padding}: use a larger size`,
    );
  sized(good);
  shelfPack(rects, order, size, padding);
  return { rects, density: good };
}
