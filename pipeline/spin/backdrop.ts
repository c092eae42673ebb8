/**
 * The backdrop model: the colour of the studio backdrop at every point of a frame, fitted to the
 * frame's border band (plain white, grey, black or a smooth gradient), and the distance of a pixel
 * from it, which the mask and the background stages share.
 */
import { solve } from '../core/linalg.js';
import { median } from '../core/stats.js';
import type { RgbImage } from '../core/frames.js';
import type { BackdropModel } from './types.js';

export interface BackdropFitOptions {
  /** Width of the border band used for the fit, as a fraction of the shorter side. */
  band: number;
  /** Robust re-fit iterations. */
  iterations: number;
}

export const BACKDROP_FIT_DEFAULTS: BackdropFitOptions = { band: 0.04, iterations: 4 };

function terms(u: number, v: number, out: Float64Array): void {
  out[0] = 1;
  out[1] = u;
  out[2] = v;
  out[3] = u * u;
  out[4] = v * v;
  out[5] = u * v;
}

/** Backdrop colour at normalised position (u, v) ∈ [-0.5, 0.5] (clamped), written into `out`. */
export function backdropAt(model: BackdropModel, u: number, v: number, out: Float64Array | number[]): void {
  const cu = u < -0.5 ? -0.5 : u > 0.5 ? 0.5 : u;
  const cv = v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v;
  const uu = cu * cu,
    vv = cv * cv,
    uv = cu * cv;
  for (let c = 0; c < 3; c++) {
    const p = model.coeffs[c]!;
    out[c] = p[0]! + p[1]! * cu + p[2]! * cv + p[3]! * uu + p[4]! * vv + p[5]! * uv;
  }
}

/**
 * How far a pixel is from the backdrop behind it (RGB distance, 0–441). With `shadowRemove`, a pixel
 * that is a darker, neutral version of the backdrop (a cast shadow) counts only by its colour shift.
 */
export function backdropDistance(r: number, g: number, b: number, br: number, bg: number, bb: number, shadowRemove: boolean): number {
  const dr = r - br,
    dg = g - bg,
    db = b - bb;
  const d = Math.sqrt(dr * dr + dg * dg + db * db);
  if (!shadowRemove) return d;
  const bb2 = br * br + bg * bg + bb * bb;
  if (bb2 < 1) return d;
  const s = (r * br + g * bg + b * bb) / bb2; // brightness relative to the backdrop
  if (s >= 1 || s < 0.35) return d;
  const er = r - s * br,
    eg = g - s * bg,
    eb = b - s * bb;
  const e = Math.sqrt(er * er + eg * eg + eb * eb); // colour shift once the darkening is taken out
  return e < 0.12 * d ? e * 2 : d;
}

/** Fit the backdrop model to the border band of an image, robust to an object touching the border. */
export function fitBackdrop(img: RgbImage, opts: Partial<BackdropFitOptions> = {}): BackdropModel {
  const o = { ...BACKDROP_FIT_DEFAULTS, ...opts };
  const { n, X, P } = bandSamples(img, o.band);
  const med: [number, number, number] = [median(P[0]!), median(P[1]!), median(P[2]!)];
  let coeffs: [number[], number[], number[]] = [
    [med[0], 0, 0, 0, 0, 0],
    [med[1], 0, 0, 0, 0, 0],
    [med[2], 0, 0, 0, 0, 0],
  ];
  const model: BackdropModel = { coeffs, sigma: 0, median: med, kind: 'grey' };
  // Start with the pixels near the median colour, then iterate: fit, measure residuals, keep inliers.
  let inlier = new Uint8Array(n);
  const res = new Float64Array(n);
  residuals(model, X, P, res);
  let sigma = Math.max(1, 1.4826 * median(res));
  for (let k = 0; k < n; k++) inlier[k] = res[k]! < Math.max(3 * sigma, 12) ? 1 : 0;
  for (let it = 0; it < o.iterations; it++) {
    const next = fitInliers(X, P, inlier);
    if (!next) break;
    coeffs = next;
    model.coeffs = coeffs;
    residuals(model, X, P, res);
    const inl: number[] = [];
    for (let k = 0; k < n; k++) if (inlier[k]) inl.push(res[k]!);
    sigma = Math.max(0.75, 1.4826 * median(inl));
    inlier = new Uint8Array(n);
    for (let k = 0; k < n; k++) inlier[k] = res[k]! < Math.max(3.5 * sigma, 6) ? 1 : 0;
  }
  model.sigma = sigma;
  model.kind = backdropKind(model);
  return model;
}

/**
 * About 6000 samples spread over the border band (`band`: its width as a fraction of the shorter side):
 * the design matrix X (one row of six terms per sample) and the samples' channels P, as typed arrays.
 */
function bandSamples(img: RgbImage, bandFraction: number): { n: number; X: Float64Array; P: [Float64Array, Float64Array, Float64Array] } {
  const { width: w, height: h, channels: ch, data } = img;
  const band = Math.max(2, Math.round(bandFraction * Math.min(w, h)));
  const step = Math.max(1, Math.round(Math.sqrt((2 * band * (w + h)) / 6000)));
  const us: number[] = [],
    vs: number[] = [],
    px: [number[], number[], number[]] = [[], [], []];
  const take = (x: number, y: number) => {
    const i = (y * w + x) * ch;
    us.push((x + 0.5) / w - 0.5);
    vs.push((y + 0.5) / h - 0.5);
    px[0].push(data[i]!);
    px[1].push(data[i + 1]!);
    px[2].push(data[i + 2]!);
  };
  for (let y = 0; y < h; y += step) {
    if (y < band || y >= h - band) {
      for (let x = 0; x < w; x += step) take(x, y);
    } else {
      for (let x = 0; x < band; x += step) take(x, y);
      for (let x = w - band; x < w; x += step) take(x, y);
    }
  }
  const n = us.length;
  const X = new Float64Array(n * 6);
  const t = new Float64Array(6);
  for (let k = 0; k < n; k++) {
    terms(us[k]!, vs[k]!, t);
    X.set(t, k * 6);
  }
  return { n, X, P: [Float64Array.from(px[0]), Float64Array.from(px[1]), Float64Array.from(px[2])] };
}

/** Each sample's RGB distance from the model, into `res`. */
function residuals(model: BackdropModel, X: Float64Array, P: readonly Float64Array[], res: Float64Array): void {
  const [c0, c1, c2] = model.coeffs;
  for (let k = 0; k < res.length; k++) {
    let r0 = 0,
      r1 = 0,
      r2 = 0;
    for (let a = 0; a < 6; a++) {
      const x = X[k * 6 + a]!;
      r0 += c0[a]! * x;
      r1 += c1[a]! * x;
      r2 += c2[a]! * x;
    }
    const d0 = P[0]![k]! - r0,
      d1 = P[1]![k]! - r1,
      d2 = P[2]![k]! - r2;
    res[k] = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
  }
}

/** Least squares on the inliers (normal equations, lightly ridged): the six coefficients per channel, or null when too few inliers or singular. */
function fitInliers(X: Float64Array, P: readonly [Float64Array, Float64Array, Float64Array], inlier: Uint8Array): [number[], number[], number[]] | null {
  const A = new Float64Array(36);
  const B0 = new Float64Array(6),
    B1 = new Float64Array(6),
    B2 = new Float64Array(6);
  const [P0, P1, P2] = P;
  let count = 0;
  for (let k = 0; k < inlier.length; k++) {
    if (!inlier[k]) continue;
    count++;
    const row = k * 6;
    for (let a = 0; a < 6; a++) {
      const xa = X[row + a]!;
      for (let b = 0; b < 6; b++) A[a * 6 + b] = A[a * 6 + b]! + xa * X[row + b]!;
      B0[a] = B0[a]! + xa * P0[k]!;
      B1[a] = B1[a]! + xa * P1[k]!;
      B2[a] = B2[a]! + xa * P2[k]!;
    }
  }
  if (count < 24) return null;
  // A light ridge keeps the quadratic terms tame when the band covers few positions.
  for (let a = 1; a < 6; a++) A[a * 6 + a] = A[a * 6 + a]! + count * 1e-4;
  const next = [B0, B1, B2].map((b) => solve(A, b, 6));
  if (next.some((x) => x === null)) return null;
  return next as [number[], number[], number[]];
}

/** Describe the backdrop for the report: a gradient (corners and centre differ), coloured, white, black or grey. */
function backdropKind(model: BackdropModel): BackdropModel['kind'] {
  const med = model.median;
  const bgc = new Float64Array(3);
  const corners = [
    [-0.5, -0.5],
    [0.5, -0.5],
    [-0.5, 0.5],
    [0.5, 0.5],
    [0, 0],
  ].map(([u, v]) => {
    backdropAt(model, u!, v!, bgc);
    return (bgc[0]! + bgc[1]! + bgc[2]!) / 3;
  });
  const spread = Math.max(...corners) - Math.min(...corners);
  const lum = (med[0] + med[1] + med[2]) / 3;
  const chroma = Math.max(...med) - Math.min(...med);
  return spread > 16 ? 'gradient' : chroma > 24 ? 'coloured' : lum > 225 ? 'white' : lum < 48 ? 'black' : 'grey';
}
