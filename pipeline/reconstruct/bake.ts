/**
 * Bake: colours for the texels of an atlas from the photos. Every covered texel has a 3D point and an
 * interpolated normal; per view a depth map of the mesh (z-buffer at the image's resolution) says
 * whether the point is seen (its depth within `eps` of the map's), and the view's weight is
 * cos(angle between the normal and the direction to the camera)^power, lowered near the mesh's
 * outline in that view and outside the view's silhouette when given (where the photo shows or
 * mixes in backdrop). The best three views are blended by
 * weight (bilinear samples). Texels no view sees take the nearest seen texel of their chart (else
 * the mean colour); `dilate` rounds of 8-neighbour averaging push colour across chart borders.
 *
 * Also here: the projection and triangle set-up the iou check rasterises with, the z-buffer (depthMap) and
 * bilinear sampling; the tests' renderer of a textured mesh (test/helpers/reconstruct.ts renderTextured) uses them.
 */

import { dilate as dilateMask } from '../core/mask.js';
import { project } from './cameras.js';
import { vertexNormals } from './glb.js';
import { at, dot, sub, type Vec3Like } from '../core/vec3.js';

/** Raw pixels, row-major, 3 (RGB) or 4 (RGBA, alpha ignored) channels. */
export interface ViewImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** A mesh projected through P: image coordinates and depth (camera z) per vertex. */
export interface Projected {
  us: Float64Array;
  vs: Float64Array;
  ws: Float64Array;
}

export function projectVertices(positions: Float32Array, P: readonly number[]): Projected {
  const nv = positions.length / 3;
  const us = new Float64Array(nv),
    vs = new Float64Array(nv),
    ws = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    [us[i], vs[i], ws[i]] = project(P, positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!);
  }
  return { us, vs, ws };
}

/** A triangle on an image or atlas: its vertices, corners (x, y) and twice its signed area, (b − a) × (c − a). */
export interface Triangle2 {
  a: number;
  b: number;
  c: number;
  ax: number;
  ay: number;
  bx: number;
  by: number;
  cx: number;
  cy: number;
  area: number;
}

/** A Triangle2 to fill (one per loop, reused from triangle to triangle). */
export function triangle2(): Triangle2 {
  return { a: 0, b: 0, c: 0, ax: 0, ay: 0, bx: 0, by: 0, cx: 0, cy: 0, area: 0 };
}

/**
 * The triangle whose vertices are `indices[i]`, `indices[i + 1]`, `indices[i + 2]` through a projection, in
 * pixels, into `out`: false when a corner is behind the camera (depth ≤ 0) or the triangle is seen edge-on
 * (area 0).
 */
export function projectedTriangle(indices: Uint32Array, i: number, pr: Projected, out: Triangle2): boolean {
  const ws = pr.ws;
  const a = (out.a = indices[i]!),
    b = (out.b = indices[i + 1]!),
    c = (out.c = indices[i + 2]!);
  if (ws[a]! <= 0 || ws[b]! <= 0 || ws[c]! <= 0) return false;
  return corners(out, pr.us, pr.vs, 1, 0);
}

/**
 * The triangle whose vertices are `indices[i]`, `indices[i + 1]`, `indices[i + 2]` in an atlas (`texels`: x, y per
 * vertex, in texels) into `out`: false when it has no area.
 */
export function texelTriangle(texels: Float32Array, indices: Uint32Array, i: number, out: Triangle2): boolean {
  out.a = indices[i]!;
  out.b = indices[i + 1]!;
  out.c = indices[i + 2]!;
  return corners(out, texels, texels, 2, 1);
}

/** The corners of `out`'s vertices (x of vertex v at xs[stride·v], y at ys[stride·v + yOffset]) and its area; false when 0. */
function corners(out: Triangle2, xs: ArrayLike<number>, ys: ArrayLike<number>, stride: number, yOffset: number): boolean {
  const ax = (out.ax = xs[stride * out.a]!),
    ay = (out.ay = ys[stride * out.a + yOffset]!),
    bx = (out.bx = xs[stride * out.b]!),
    by = (out.by = ys[stride * out.b + yOffset]!),
    cx = (out.cx = xs[stride * out.c]!),
    cy = (out.cy = ys[stride * out.c + yOffset]!);
  out.area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return out.area !== 0;
}

/**
 * Z-buffer of a mesh in a width × height image (pixel centres at whole numbers): per pixel the depth
 * (camera z; Infinity where empty) and the nearest triangle (−1 where empty). Depth is interpolated
 * perspective-correctly (1/z linear on screen). Both windings are drawn.
 */
export function depthMap(
  positions: Float32Array,
  indices: Uint32Array,
  P: readonly number[],
  width: number,
  height: number,
  pr = projectVertices(positions, P),
): { depth: Float32Array; tri: Int32Array } {
  const depth = new Float32Array(width * height).fill(Infinity);
  const tri = new Int32Array(width * height).fill(-1);
  const { ws } = pr;
  const tr = triangle2();
  for (let t = 0; t < indices.length; t += 3) {
    if (!projectedTriangle(indices, t, pr, tr)) continue;
    const { a, b, c, ax, ay, bx, by, cx, cy, area } = tr;
    const ia = 1 / ws[a]!,
      ib = 1 / ws[b]!,
      ic = 1 / ws[c]!;
    const x0 = Math.max(0, Math.ceil(Math.min(ax, bx, cx))),
      x1 = Math.min(width - 1, Math.floor(Math.max(ax, bx, cx)));
    const y0 = Math.max(0, Math.ceil(Math.min(ay, by, cy))),
      y1 = Math.min(height - 1, Math.floor(Math.max(ay, by, cy)));
    const inv = 1 / area;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const l0 = ((cx - bx) * (y - by) - (cy - by) * (x - bx)) * inv; // weight of a
        const l1 = ((ax - cx) * (y - cy) - (ay - cy) * (x - cx)) * inv; // weight of b
        const l2 = 1 - l0 - l1;
        if (l0 < 0 || l1 < 0 || l2 < 0) continue;
        const z = 1 / (l0 * ia + l1 * ib + l2 * ic);
        const p = y * width + x;
        if (z < depth[p]!) {
          depth[p] = z;
          tri[p] = t / 3;
        }
      }
    }
  }
  return { depth, tri };
}

/**
 * Every texel whose centre lies in a triangle of the atlas: its index (y·size + x), triangle and
 * barycentric weights of the triangle's three corners, in triangle order (triangle t's texels are
 * start[t] … start[t + 1] − 1). The first triangle to claim a texel keeps it.
 */
export function atlasTexels(
  texels: Float32Array,
  indices: Uint32Array,
  size: number,
): { index: Uint32Array; tri: Int32Array; bary: Float32Array; owner: Int32Array; start: Uint32Array } {
  const owner = new Int32Array(size * size).fill(-1);
  const bary = new Float32Array(size * size * 2);
  let count = 0;
  const tr = triangle2();
  for (let t = 0; t < indices.length; t += 3) {
    if (!texelTriangle(texels, indices, t, tr)) continue;
    const { ax, ay, bx, by, cx, cy, area } = tr;
    const inv = 1 / area;
    const x0 = Math.max(0, Math.ceil(Math.min(ax, bx, cx) - 0.5)),
      x1 = Math.min(size - 1, Math.floor(Math.max(ax, bx, cx) - 0.5));
    const y0 = Math.max(0, Math.ceil(Math.min(ay, by, cy) - 0.5)),
      y1 = Math.min(size - 1, Math.floor(Math.max(ay, by, cy) - 0.5));
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const l0 = ((cx - bx) * (py - by) - (cy - by) * (px - bx)) * inv;
        const l1 = ((ax - cx) * (py - cy) - (ay - cy) * (px - cx)) * inv;
        if (l0 < 0 || l1 < 0 || l0 + l1 > 1) continue;
        const p = y * size + x;
        if (owner[p] !== -1) continue;
        owner[p] = t / 3;
        bary[2 * p] = l0;
        bary[2 * p + 1] = l1;
        count++;
      }
    }
  }
  // Grouped by triangle (counting sort), so a view can skip the texels of a triangle turned away.
  const nt = indices.length / 3;
  const start = new Uint32Array(nt + 1);
  for (let p = 0; p < owner.length; p++) if (owner[p] !== -1) start[owner[p]! + 1] = start[owner[p]! + 1]! + 1;
  for (let t = 0; t < nt; t++) start[t + 1] = start[t + 1]! + start[t]!;
  const next = start.slice(0, nt);
  const index = new Uint32Array(count),
    tri = new Int32Array(count),
    b2 = new Float32Array(2 * count);
  for (let p = 0; p < owner.length; p++) {
    const t = owner[p]!;
    if (t === -1) continue;
    const k = next[t]!++;
    index[k] = p;
    tri[k] = t;
    b2[2 * k] = bary[2 * p]!;
    b2[2 * k + 1] = bary[2 * p + 1]!;
  }
  return { index, tri, bary: b2, owner, start };
}

/** Bilinear sample of an image at (u, v) (pixel centres at whole numbers) into out[0..2]. */
export function sampleBilinear(img: ViewImage, u: number, v: number, out: Float64Array): void {
  const { width: w, height: h, channels: ch, data } = img;
  const x = Math.min(Math.max(u, 0), w - 1),
    y = Math.min(Math.max(v, 0), h - 1);
  const x0 = Math.min(Math.floor(x), w - 2 < 0 ? 0 : w - 2),
    y0 = Math.min(Math.floor(y), h - 2 < 0 ? 0 : h - 2);
  const fx = w > 1 ? x - x0 : 0,
    fy = h > 1 ? y - y0 : 0;
  const x1 = Math.min(x0 + 1, w - 1),
    y1 = Math.min(y0 + 1, h - 1);
  const p00 = (y0 * w + x0) * ch,
    p10 = (y0 * w + x1) * ch,
    p01 = (y1 * w + x0) * ch,
    p11 = (y1 * w + x1) * ch;
  for (let k = 0; k < 3; k++) {
    const top = data[p00 + k]! + (data[p10 + k]! - data[p00 + k]!) * fx;
    const bottom = data[p01 + k]! + (data[p11 + k]! - data[p01 + k]!) * fx;
    out[k] = top + (bottom - top) * fy;
  }
}

export interface BakeView {
  image: ViewImage;
  /** Projection into the image's pixels (3×4, row-major). */
  P: readonly number[];
  /** Camera centre, world coordinates. */
  centre: Vec3Like;
  /** The object's silhouette at the image's size (1 = object), when known. */
  mask?: Uint8Array;
}

export interface BakeTimes {
  depth: number;
  visibility: number;
  colour: number;
  fill: number;
}

const TOP = 3;

/** Covered texels grouped by triangle (`atlasTexels`). */
type TexelTris = { index: Uint32Array; tri: Int32Array; bary: Float32Array; owner: Int32Array; start: Uint32Array };

/** Per covered texel, the best TOP views so far: their weights (largest first; 0: none) and view numbers. */
interface Ranking {
  w: Float32Array;
  v: Uint16Array;
}

/**
 * Colours of the covered texels (RGBA, size × size) for a mesh whose output vertex o has position
 * positions[xref[o]] and the atlas layout's texel coordinates. Returns the image and times (s).
 */
export function bakeAtlas(
  positions: Float32Array,
  sourceIndices: Uint32Array,
  texelTris: TexelTris,
  views: readonly BakeView[],
  size: number,
  dilate: number,
  opts: { power: number; eps: number; minCos: number; edgePx: number },
): { rgba: Uint8Array; times: BakeTimes; seen: number } {
  const times: BakeTimes = { depth: 0, visibility: 0, colour: 0, fill: 0 };
  let clock = performance.now();
  const lap = (k: keyof BakeTimes) => {
    const now = performance.now();
    times[k] += (now - clock) / 1000;
    clock = now;
  };
  const n = texelTris.index.length;
  const normalsV = vertexNormals(positions, sourceIndices);
  const { pts, nrm } = texelPoints(positions, sourceIndices, normalsV, texelTris);
  const top: Ranking = { w: new Float32Array(TOP * n), v: new Uint16Array(TOP * n) };
  for (let vi = 0; vi < views.length; vi++) {
    const view = views[vi]!;
    const { width: W, height: H } = view.image;
    const { depth } = depthMap(positions, sourceIndices, view.P, W, H);
    const edge = outlineBand(depth, W, H, opts.edgePx);
    lap('depth');
    rankView(vi, view, depth, edge, { positions, sourceIndices, normalsV }, { start: texelTris.start, pts, nrm }, top, opts);
    lap('visibility');
  }
  const { rgba, filled, seen, mean } = blend(views, texelTris.index, pts, top, size);
  lap('colour');
  fillUnseen(rgba, filled, texelTris.index, size, mean);
  dilateSeams(rgba, filled, texelTris.index, size, dilate);
  // The rest of the atlas: the mean colour (keeps mipmaps of chart borders from darkening).
  const m0 = mean[0]!,
    m1 = mean[1]!,
    m2 = mean[2]!;
  for (let p = 0; p < size * size; p++) {
    if (filled[p]) continue;
    rgba[4 * p] = m0;
    rgba[4 * p + 1] = m1;
    rgba[4 * p + 2] = m2;
    rgba[4 * p + 3] = 255;
  }
  lap('fill');
  return { rgba, times, seen };
}

/** The 3D point and interpolated unit normal of every covered texel (x, y, z each, in texel order). */
function texelPoints(
  positions: Float32Array,
  sourceIndices: Uint32Array,
  normalsV: Float32Array,
  texelTris: TexelTris,
): { pts: Float32Array; nrm: Float32Array } {
  const { index, tri, bary } = texelTris;
  const n = index.length;
  const pts = new Float32Array(3 * n),
    nrm = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) {
    const t = tri[k]!,
      l0 = bary[2 * k]!,
      l1 = bary[2 * k + 1]!,
      l2 = 1 - l0 - l1;
    const a = 3 * sourceIndices[3 * t]!,
      b = 3 * sourceIndices[3 * t + 1]!,
      c = 3 * sourceIndices[3 * t + 2]!;
    let nx = 0,
      ny = 0,
      nz = 0;
    for (let d = 0; d < 3; d++) {
      pts[3 * k + d] = l0 * positions[a + d]! + l1 * positions[b + d]! + l2 * positions[c + d]!;
    }
    nx = l0 * normalsV[a]! + l1 * normalsV[b]! + l2 * normalsV[c]!;
    ny = l0 * normalsV[a + 1]! + l1 * normalsV[b + 1]! + l2 * normalsV[c + 1]!;
    nz = l0 * normalsV[a + 2]! + l1 * normalsV[b + 2]! + l2 * normalsV[c + 2]!;
    const l = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
    nrm[3 * k] = nx / l;
    nrm[3 * k + 1] = ny / l;
    nrm[3 * k + 2] = nz / l;
  }
  return { pts, nrm };
}

/**
 * Pixels within `r` of the mesh's outline in a view (an empty pixel of its depth map within r, along rows and
 * columns: a square): the photo mixes in backdrop there. None when r is 0.
 */
function outlineBand(depth: Float32Array, W: number, H: number, r: number): Uint8Array {
  if (r <= 0) return new Uint8Array(W * H);
  const empty = new Uint8Array(W * H);
  for (let p = 0; p < empty.length; p++) if (depth[p] === Infinity) empty[p] = 1;
  return dilateMask(empty, W, H, r);
}

/**
 * Visibility in one view (number `vi`): every covered texel of a triangle facing the camera, seen within `eps`
 * of the depth map and at most `minCos` oblique, weighs cos^power (lowered on the outline band and outside the
 * view's mask), and enters the texel's ranking when among its best TOP.
 */
function rankView(
  vi: number,
  view: BakeView,
  depth: Float32Array,
  edge: Uint8Array,
  mesh: { positions: Float32Array; sourceIndices: Uint32Array; normalsV: Float32Array },
  texels: { start: Uint32Array; pts: Float32Array; nrm: Float32Array },
  top: Ranking,
  opts: { power: number; eps: number; minCos: number },
): void {
  const { positions, sourceIndices, normalsV } = mesh;
  const { start, pts, nrm } = texels;
  const { width: W, height: H } = view.image;
  const P = view.P;
  const C = view.centre;
  const mask = view.mask && view.mask.length === W * H ? view.mask : null;
  const topW = top.w,
    topV = top.v;
  const nt = sourceIndices.length / 3;
  for (let t = 0; t < nt; t++) {
    if (start[t] === start[t + 1]) continue;
    // A triangle whose three corners all face away from the camera is skipped.
    let facing = false;
    for (let e = 0; e < 3 && !facing; e++) {
      const v = 3 * sourceIndices[3 * t + e]!;
      facing = dot(at(normalsV, v), sub(C, at(positions, v))) > 0;
    }
    if (!facing) continue;
    for (let k = start[t]!; k < start[t + 1]!; k++) {
      const x = pts[3 * k]!,
        y = pts[3 * k + 1]!,
        z = pts[3 * k + 2]!;
      const dx = C[0] - x,
        dy = C[1] - y,
        dz = C[2] - z;
      const cos = (nrm[3 * k]! * dx + nrm[3 * k + 1]! * dy + nrm[3 * k + 2]! * dz) / Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (cos < opts.minCos) continue;
      // cameras.ts project's arithmetic, inline: this loop runs per texel and view, and w is checked before dividing.
      const w = P[8]! * x + P[9]! * y + P[10]! * z + P[11]!;
      if (w <= 0) continue;
      const u = (P[0]! * x + P[1]! * y + P[2]! * z + P[3]!) / w,
        v = (P[4]! * x + P[5]! * y + P[6]! * z + P[7]!) / w;
      const px = Math.round(u),
        py = Math.round(v);
      if (px < 0 || py < 0 || px >= W || py >= H) continue;
      const q = py * W + px;
      if (w > depth[q]! + opts.eps) continue;
      let weight = Math.pow(cos, opts.power);
      if (edge[q] || (mask && !mask[q])) weight *= 0.02;
      // Insert into the top list (sorted, largest first).
      const base = TOP * k;
      if (weight <= topW[base + TOP - 1]!) continue;
      let s = TOP - 1;
      while (s > 0 && topW[base + s - 1]! < weight) {
        topW[base + s] = topW[base + s - 1]!;
        topV[base + s] = topV[base + s - 1]!;
        s--;
      }
      topW[base + s] = weight;
      topV[base + s] = vi;
    }
  }
}

/**
 * Colour: every covered texel's best views blended by weight (bilinear samples). `filled` marks a texel 1 when
 * a view coloured it, 2 when covered but unseen; `mean` is the seen texels' mean colour (mid grey when none).
 */
function blend(
  views: readonly BakeView[],
  index: Uint32Array,
  pts: Float32Array,
  top: Ranking,
  size: number,
): { rgba: Uint8Array; filled: Uint8Array; seen: number; mean: number[] } {
  const rgba = new Uint8Array(size * size * 4);
  const filled = new Uint8Array(size * size); // 1: coloured from a view, 2: covered but unseen
  const sample = new Float64Array(3);
  const topW = top.w,
    topV = top.v;
  let seen = 0;
  let sumR = 0,
    sumG = 0,
    sumB = 0;
  for (let k = 0; k < index.length; k++) {
    const base = TOP * k;
    let ws = 0,
      r = 0,
      g = 0,
      b = 0;
    for (let s = 0; s < TOP; s++) {
      const w = topW[base + s]!;
      if (w <= 0) break;
      const view = views[topV[base + s]!]!;
      const x = pts[3 * k]!,
        y = pts[3 * k + 1]!,
        z = pts[3 * k + 2]!;
      const [u, v] = project(view.P, x, y, z);
      sampleBilinear(view.image, u, v, sample);
      r += w * sample[0]!;
      g += w * sample[1]!;
      b += w * sample[2]!;
      ws += w;
    }
    const p = index[k]!;
    if (ws > 0) {
      rgba[4 * p] = Math.round(r / ws);
      rgba[4 * p + 1] = Math.round(g / ws);
      rgba[4 * p + 2] = Math.round(b / ws);
      rgba[4 * p + 3] = 255;
      filled[p] = 1;
      sumR += rgba[4 * p]!;
      sumG += rgba[4 * p + 1]!;
      sumB += rgba[4 * p + 2]!;
      seen++;
    } else filled[p] = 2;
  }
  const mean = seen ? [sumR, sumG, sumB].map((s) => Math.round(s / seen)) : [128, 128, 128];
  return { rgba, filled, seen, mean };
}

/** Unseen covered texels (`filled` 2): the nearest seen texel through covered texels (breadth first), else `mean`. */
function fillUnseen(rgba: Uint8Array, filled: Uint8Array, index: Uint32Array, size: number, mean: readonly number[]): void {
  const n = index.length;
  const queue = new Int32Array(size * size);
  let head = 0,
    tail = 0;
  for (let k = 0; k < n; k++) if (filled[index[k]!] === 1) queue[tail++] = index[k]!;
  while (head < tail) {
    const p = queue[head++]!;
    const x = p % size,
      y = (p - x) / size;
    for (let e = 0; e < 4; e++) {
      const q = e === 0 ? (x > 0 ? p - 1 : -1) : e === 1 ? (x < size - 1 ? p + 1 : -1) : e === 2 ? (y > 0 ? p - size : -1) : y < size - 1 ? p + size : -1;
      if (q < 0 || filled[q] !== 2) continue;
      rgba[4 * q] = rgba[4 * p]!;
      rgba[4 * q + 1] = rgba[4 * p + 1]!;
      rgba[4 * q + 2] = rgba[4 * p + 2]!;
      rgba[4 * q + 3] = 255;
      filled[q] = 1;
      queue[tail++] = q;
    }
  }
  for (let k = 0; k < n; k++) {
    const p = index[k]!;
    if (filled[p] === 2) {
      rgba.set([mean[0]!, mean[1]!, mean[2]!, 255], 4 * p);
      filled[p] = 1;
    }
  }
}

/**
 * Seam dilation: `rounds` rounds of 8-neighbour averaging into the empty texels around the covered ones (a
 * colour operation, not a mask dilation: each new texel takes the mean of its coloured neighbours).
 */
function dilateSeams(rgba: Uint8Array, filled: Uint8Array, index: Uint32Array, size: number, rounds: number): void {
  let front: number[] = [];
  for (let k = 0; k < index.length; k++) front.push(index[k]!);
  for (let round = 0; round < rounds; round++) {
    const add: number[] = [],
      cols: number[] = [];
    for (const p of front) {
      const x = p % size,
        y = (p - x) / size;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx,
            yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
          const q = yy * size + xx;
          if (filled[q]) continue;
          filled[q] = 3; // being added this round (not a source yet)
          let cnt = 0,
            r = 0,
            g = 0,
            b = 0;
          for (let ey = -1; ey <= 1; ey++) {
            for (let ex = -1; ex <= 1; ex++) {
              const sx = xx + ex,
                sy = yy + ey;
              if (sx < 0 || sy < 0 || sx >= size || sy >= size) continue;
              const s = sy * size + sx;
              if (filled[s] !== 1) continue;
              r += rgba[4 * s]!;
              g += rgba[4 * s + 1]!;
              b += rgba[4 * s + 2]!;
              cnt++;
            }
          }
          add.push(q);
          cols.push(Math.round(r / cnt), Math.round(g / cnt), Math.round(b / cnt));
        }
      }
    }
    for (let i = 0; i < add.length; i++) {
      const q = add[i]!;
      rgba[4 * q] = cols[3 * i]!;
      rgba[4 * q + 1] = cols[3 * i + 1]!;
      rgba[4 * q + 2] = cols[3 * i + 2]!;
      rgba[4 * q + 3] = 255;
      filled[q] = 1;
    }
    front = add;
  }
}
