/**
 * Plate: the empty backdrop behind a turntable row, estimated from the turn itself. On a turntable
 * the backdrop stands still while the object turns, so every pixel shows the backdrop in the frames
 * where the object is elsewhere. Pixels that agree over most of the turn are the backdrop outright;
 * the rest (the region the object sweeps) are filled from the outside in: each takes the frames whose
 * value continues the plate already found around it (cloth folds, stains, the disk, vignetting and
 * gradients are followed), and where the object covers a pixel in every frame, the plate is
 * interpolated from around it. Per-frame exposure and colour-cast drift is measured and taken out.
 */
import { boxSums } from '../core/box-sum.js';
import { assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import { atUnitGain, neighbour, setRgb } from './pixels.js';

const STAGE = 'plate';

export interface PlateOptions {
  /** Fraction of a row's frames that must agree for a pixel to be backdrop outright. */
  agree: number;
  /** The lowest noise level used (8-bit levels per channel); it sets the tolerances and the hue floor (lower finds pale tinted objects on a white sweep). */
  minNoise: number;
  /** Frames that must continue the surrounding plate for a swept pixel to take their value (else it is interpolated). */
  minFrames: number;
  /** Tolerance, as a multiple of the row's noise, for a frame to continue the surrounding plate. */
  tolerance: number;
  /** Largest hue change (degrees between RGB directions) for a frame to continue the surrounding plate. */
  hueAngle: number;
  /** A plate pixel darker than this fraction of a neighbour's, in the same hue, may be a shadow that stayed: it is re-lit from frames where it is lit. */
  shadowRatio: number;
  /** How far (fraction of the frame's longer side) a swept pixel whose frames recur at one value looks for plate of that value, before it is interpolated instead (0: never). */
  recurRadius: number;
}

export const PLATE_DEFAULTS: PlateOptions = { agree: 0.7, minNoise: 0.7, minFrames: 2, tolerance: 4, hueAngle: 0.4, shadowRatio: 0.9, recurRadius: 0.02 };

/** A row's clean plate and what was learnt making it. */
export interface Plate {
  width: number;
  height: number;
  /** Backdrop colour per pixel, RGB, linear in the frames' 8-bit values, at unit gain. */
  rgb: Float32Array;
  /** Per-frame, per-channel gain of the frame against the plate (exposure and colour-cast drift). */
  gains: [number, number, number][];
  /** How each pixel's plate was found: 2 = agreed over the turn, 1 = frames that continue the plate around it, 0 = interpolated (the object covers it in every frame). */
  source: Uint8Array;
  /** Robust noise of a frame against the plate (RGB distance, 8-bit levels). */
  noise: number;
  /** Frame-major (`vis[i * width * height + k]`): 1 where frame i showed the plate at pixel k while it was made. */
  vis: Uint8Array;
}

function checkOptions(o: PlateOptions): void {
  assertNumber(STAGE, 'agree', o.agree, 0.3, 1);
  assertNumber(STAGE, 'minNoise', o.minNoise, 0.05, 50);
  assertInteger(STAGE, 'minFrames', o.minFrames, 1, 1000);
  assertNumber(STAGE, 'tolerance', o.tolerance, 0.5, 100);
  assertNumber(STAGE, 'hueAngle', o.hueAngle, 0, 90);
  assertNumber(STAGE, 'shadowRatio', o.shadowRatio, 0, 1);
  assertNumber(STAGE, 'recurRadius', o.recurRadius, 0, 0.5);
}

/** Let the event loop run (a signal handler, progress) between slices of a long computation. */
export const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Median of the first `n` values of `a` (sorted in place: by insertion for a row's few frames, no allocation). */
function medianOf(a: Float32Array, n: number): number {
  if (n > 64) a.subarray(0, n).sort();
  else {
    for (let i = 1; i < n; i++) {
      const v = a[i]!;
      let j = i - 1;
      while (j >= 0 && a[j]! > v) {
        a[j + 1] = a[j]!;
        j--;
      }
      a[j + 1] = v;
    }
  }
  return n & 1 ? a[n >> 1]! : 0.5 * (a[(n >> 1) - 1]! + a[n >> 1]!);
}

/**
 * Per-frame gains: the median ratio of each frame to the per-pixel median of the row, over pixels
 * bright enough to measure (the object covers a minority of them in most frames, and moves).
 */
export function frameGains(frames: readonly RgbImage[]): [number, number, number][] {
  const n = frames.length;
  const { width: w, height: h } = frames[0]!;
  const N = w * h;
  const step = Math.max(1, Math.round(Math.sqrt(N / 10000)));
  // Per frame and channel, the ratios in a buffer of the most the samples can give (no growing arrays).
  const cap = Math.ceil(h / step) * Math.ceil(w / step);
  const ratios = frames.map(() => [0, 1, 2].map(() => new Float32Array(cap)));
  const counts = frames.map(() => [0, 0, 0]);
  const v = new Float32Array(n);
  for (let y = 0; y < h; y += step) {
    for (let x = 0; x < w; x += step) {
      const k = y * w + x;
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < n; i++) v[i] = frames[i]!.data[k * frames[i]!.channels + c]!;
        const m = medianOf(v, n);
        if (m < 24 || m > 250) continue;
        for (let i = 0; i < n; i++) {
          const r = frames[i]!.data[k * frames[i]!.channels + c]! / m;
          if (r > 0.7 && r < 1.4) ratios[i]![c]![counts[i]![c]!++] = r;
        }
      }
    }
  }
  const gains = ratios.map((rc, i) => rc.map((r, c) => (counts[i]![c]! >= 50 ? medianOf(r, counts[i]![c]!) : 1)) as [number, number, number]);
  // Relative to the row's median gain, so the plate stays in the frames' own levels.
  const ref = [0, 1, 2].map((c) => medianOf(Float32Array.from(gains.map((g) => g[c]!)), n));
  return gains.map((g) => g.map((x, c) => x / ref[c]!) as [number, number, number]);
}

/** Of the first `m` RGB values in `v`, the one with the most values within `tol` of it (itself included): its index and that count. */
function largestCluster(v: Float32Array, m: number, tol: number): { centre: number; size: number } {
  let size = 0,
    centre = -1;
  for (let a = 0; a < m; a++) {
    let c = 0;
    for (let j = 0; j < m; j++) {
      const d0 = v[a * 3]! - v[j * 3]!,
        d1 = v[a * 3 + 1]! - v[j * 3 + 1]!,
        d2 = v[a * 3 + 2]! - v[j * 3 + 2]!;
      if (d0 * d0 + d1 * d1 + d2 * d2 <= tol * tol) c++;
    }
    if (c > size) {
      size = c;
      centre = a;
    }
  }
  return { centre, size };
}

/** Pixels per slice of step 1; each slice starts its frame order afresh, so any split on slices gives the same plate. */
export const AGREE_CHUNK = 65536;

/** Step 1 done elsewhere (a helper thread): the plate and spread of pixels [k0, k1). */
export interface AgreeHelper {
  agree(k0: number, k1: number, inv: number[][], K: number): Promise<{ rgb: Float32Array; spread: Float32Array }>;
}

/**
 * Step 1 of the plate over pixels [k0, k1) (written at k − `offset` in `rgb` and `spread`): per pixel, the
 * tightest window of K frames by brightness (at unit gain: `inv` = 1 / each frame's gains), its spread
 * and the per-channel median of its frames.
 */
export function agreeRange(
  frames: readonly RgbImage[],
  inv: readonly (readonly number[])[],
  K: number,
  k0: number,
  k1: number,
  rgb: Float32Array,
  spread: Float32Array,
  offset = 0,
): void {
  const n = frames.length;
  const lum = new Float32Array(n),
    order = Int32Array.from({ length: n }, (_, i) => i),
    tmp = new Float32Array(n),
    vals = new Float64Array(n * 3);
  for (let k = k0; k < k1; k++) {
    for (let i = 0; i < n; i++) {
      const v0 = atUnitGain(frames, inv, i, k, 0),
        v1 = atUnitGain(frames, inv, i, k, 1),
        v2 = atUnitGain(frames, inv, i, k, 2);
      vals[i * 3] = v0;
      vals[i * 3 + 1] = v1;
      vals[i * 3 + 2] = v2;
      lum[i] = v0 + v1 + v2;
    }
    // Insertion sort of the frame order by brightness, from the previous pixel's order: neighbouring
    // pixels order the frames almost alike, so few moves are needed.
    for (let a = 1; a < n; a++) {
      const t = order[a]!,
        tl = lum[t]!;
      let b = a - 1;
      while (b >= 0 && lum[order[b]!]! > tl) {
        order[b + 1] = order[b]!;
        b--;
      }
      order[b + 1] = t;
    }
    let best = Infinity,
      start = 0;
    for (let s = 0; s + K <= n; s++) {
      const sp = lum[order[s + K - 1]!]! - lum[order[s]!]!;
      if (sp < best) {
        best = sp;
        start = s;
      }
    }
    spread[k - offset] = best;
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < K; j++) tmp[j] = vals[order[start + j]! * 3 + c]!;
      rgb[(k - offset) * 3 + c] = medianOf(tmp, K);
    }
  }
}

/**
 * Estimate the clean plate of one row (asynchronous only to let the event loop run between slices). `frames` are the row's frames at one working size; `fallback`,
 * when given, is the plate where the object covers a pixel in every frame (a studio clean plate, or
 * a parametric backdrop); otherwise those pixels are interpolated from the plate around them.
 */
export async function estimatePlate(
  frames: readonly RgbImage[],
  opts?: Partial<PlateOptions>,
  fallback?: Float32Array,
  helper?: AgreeHelper | null,
): Promise<Plate> {
  const o = withDefaults(PLATE_DEFAULTS, opts);
  checkOptions(o);
  const n = frames.length;
  const { width: w, height: h } = frames[0]!;
  const N = w * h;
  const gains = frameGains(frames);
  const inv = gains.map((g) => g.map((x) => 1 / x));
  // 1. Pixels that agree over most of the turn are the backdrop outright, when reached from the frame's edge
  // or when they continue the backdrop (seen through the object).
  const { rgb, spread } = await agreeOverTurn(frames, inv, Math.max(2, Math.ceil(o.agree * n)), helper ?? null);
  const { noise, agreeLimit, tol, sstep } = rowNoise(spread, o);
  const source = new Uint8Array(N);
  for (let k = 0; k < N; k++) if (spread[k]! <= agreeLimit) source[k] = 2;
  const reached = reachFromEdge(rgb, source, w, h, sstep, tol);
  const tests = plateTests(rgb, reached, w, h, sstep, noise, tol, o.hueAngle);
  throughObject(rgb, source, reached, tests);
  const vis = visibility(frames, inv, rgb, source, Math.max(tol, agreeLimit / Math.sqrt(3)));
  const plate: Plate = { width: w, height: h, rgb, gains, source, noise, vis };
  if (!source.includes(2)) {
    // Nothing agrees (a very short row): the per-pixel median.
    source.fill(1);
    return plate;
  }
  const s: Sweep = {
    ...tests,
    frames,
    o,
    n,
    w,
    h,
    N,
    inv,
    rgb,
    source,
    vis,
    tol,
    fallback,
    known: new Uint8Array(N),
    state: new Uint8Array(N),
    waiting: [],
    judged: new Uint8Array(N),
    recurRadius: Math.round(o.recurRadius * Math.max(w, h)),
    tmp: new Float32Array(n),
    cand: new Float32Array(n * 3),
    picked: new Int32Array(n),
    supports: new Int32Array(n),
    pred: [0, 0, 0],
  };
  // 2. The swept region, from the outside in.
  await fillSwept(s);
  // 3. Shadows that stayed, re-lit.
  await relightStayingShadows(s);
  return plate;
}

/** Step 1: per pixel, the plate and spread of the frames that agree over most of the turn, in slices (a helper thread takes the later half when given). */
async function agreeOverTurn(
  frames: readonly RgbImage[],
  inv: number[][],
  K: number,
  helper: AgreeHelper | null,
): Promise<{ rgb: Float32Array; spread: Float32Array }> {
  const { width: w, height: h } = frames[0]!;
  const N = w * h;
  const rgb = new Float32Array(N * 3);
  const spread = new Float32Array(N).fill(Infinity);
  const chunks = Math.ceil(N / AGREE_CHUNK);
  const mid = helper ? Math.ceil(chunks / 2) * AGREE_CHUNK : N;
  const theirs = helper && mid < N ? helper.agree(mid, N, inv, K) : null;
  for (let k0 = 0; k0 < Math.min(mid, N); k0 += AGREE_CHUNK) {
    await yieldNow(); // a signal is honoured between slices of the work
    agreeRange(frames, inv, K, k0, Math.min(N, k0 + AGREE_CHUNK), rgb, spread);
  }
  if (theirs) {
    const r = await theirs;
    rgb.set(r.rgb, mid * 3);
    spread.set(r.spread, mid);
  }
  return { rgb, spread };
}

/** The row's noise: the typical spread of agreeing pixels (sum of channels → RGB distance), and the limits that follow from it. */
function rowNoise(spread: Float32Array, o: PlateOptions): { noise: number; agreeLimit: number; tol: number; sstep: number } {
  const N = spread.length;
  const sample: number[] = [];
  const sstep = Math.max(1, Math.floor(N / 50000));
  for (let k = 0; k < N; k += sstep) sample.push(spread[k]!);
  sample.sort((a, b) => a - b);
  const typical = sample[Math.floor(sample.length * 0.25)]!; // most pixels are backdrop; the quartile is safely inside them
  const noise = Math.max(o.minNoise, typical / Math.sqrt(3) / 2);
  const agreeLimit = Math.max(12, 4 * typical);
  const tol = o.tolerance * noise * Math.sqrt(3);
  return { noise, agreeLimit, tol, sstep };
}

/**
 * Agreement inside the swept region is the object's own surface where it covers a pixel in most
 * frames (a seat, a table top, a shadow that stays): only agreement reached from the frame's edge counts.
 * Reached through neighbours whose plates differ by no more than the backdrop's own texture does: an
 * object edge that stays put over the turn (the top of a box) is a jump, and is not crossed.
 */
function reachFromEdge(rgb: Float32Array, source: Uint8Array, w: number, h: number, sstep: number, tol: number): Uint8Array {
  const N = w * h;
  const diffs: number[] = [];
  for (let k = 0; k < N - 1; k += sstep) {
    if (source[k] === 2 && source[k + 1] === 2)
      diffs.push(Math.hypot(rgb[k * 3]! - rgb[k * 3 + 3]!, rgb[k * 3 + 1]! - rgb[k * 3 + 4]!, rgb[k * 3 + 2]! - rgb[k * 3 + 5]!));
  }
  diffs.sort((a, b) => a - b);
  const jump = Math.max(tol, 3 * (diffs[diffs.length >> 1] ?? 0));
  const reached = new Uint8Array(N);
  const stack: number[] = [];
  for (let k = 0; k < N; k++) {
    const x = k % w,
      y = (k - x) / w;
    if (source[k] === 2 && (x === 0 || y === 0 || x === w - 1 || y === h - 1)) {
      reached[k] = 1;
      stack.push(k);
    }
  }
  while (stack.length) {
    const k = stack.pop()!;
    const x = k % w,
      y = (k - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const q = neighbour(x, y, dx, dy, w, h);
        if (q < 0 || reached[q] || source[q] !== 2) continue;
        const d0 = rgb[k * 3]! - rgb[q * 3]!,
          d1 = rgb[k * 3 + 1]! - rgb[q * 3 + 1]!,
          d2 = rgb[k * 3 + 2]! - rgb[q * 3 + 2]!;
        if (d0 * d0 + d1 * d1 + d2 * d2 > jump * jump) continue;
        reached[q] = 1;
        stack.push(q);
      }
    }
  }
  return reached;
}

/** The tests a frame's colour must pass to continue the plate at a pixel: against a smooth surface through the reached plate. */
interface PlateTests {
  /** A smooth surface through the reached plate (RGB per pixel). */
  smooth: Float32Array;
  /** Whether (r, g, b) strays from the smooth surface at pixel k no further than the reached backdrop does. */
  inBand(k: number, r: number, g: number, b: number): boolean;
  /** Whether (r, g, b) has the hue of p (brightness may change: light falls off). */
  sameHue(r: number, g: number, b: number, p: number[]): boolean;
}

function plateTests(rgb: Float32Array, reached: Uint8Array, w: number, h: number, sstep: number, noise: number, tol: number, hueAngle: number): PlateTests {
  const N = w * h;
  // How far the backdrop strays from a smooth surface through the agreed plate (folds, stains, the
  // disk's edge): the swept region's plate may stray as far and no further, so it cannot creep into
  // an object whose colour is close to the backdrop's (a white object on a white sweep).
  const smooth = smoothPlate(rgb, reached, w, h);
  const res: number[] = [];
  for (let k = 0; k < N; k += sstep) {
    if (!reached[k]) continue;
    res.push(Math.hypot(rgb[k * 3]! - smooth[k * 3]!, rgb[k * 3 + 1]! - smooth[k * 3 + 1]!, rgb[k * 3 + 2]! - smooth[k * 3 + 2]!));
  }
  res.sort((a, b) => a - b);
  const band = (res.length ? res[Math.floor(0.99 * (res.length - 1))]! : 0) * 1.25 + tol;
  const inBand = (k: number, r: number, g: number, b: number) => {
    const d0 = r - smooth[k * 3]!,
      d1 = g - smooth[k * 3 + 1]!,
      d2 = b - smooth[k * 3 + 2]!;
    return d0 * d0 + d1 * d1 + d2 * d2 <= band * band;
  };
  // The colour of a frame continuing the plate may change in brightness (light falls off) but not in hue:
  // a tinted object close to the backdrop's brightness (a pale table on a white sweep) is not backdrop.
  const tanHue = Math.tan((hueAngle * Math.PI) / 180),
    hueFloor = 3 * noise * Math.sqrt(3);
  const sameHue = (r: number, g: number, b: number, p: number[]) => {
    const pp = p[0]! * p[0]! + p[1]! * p[1]! + p[2]! * p[2]!;
    if (pp < 1) return true;
    const s = (r * p[0]! + g * p[1]! + b * p[2]!) / pp;
    const e0 = r - s * p[0]!,
      e1 = g - s * p[1]!,
      e2 = b - s * p[2]!;
    return e0 * e0 + e1 * e1 + e2 * e2 <= Math.max(hueFloor * hueFloor, tanHue * tanHue * (r * r + g * g + b * b));
  };
  return { smooth, inBand, sameHue };
}

/**
 * Agreement not reached from the edge is backdrop seen through the object (between a table's legs) when it
 * continues the smooth backdrop in brightness and hue; otherwise it is the object's own surface (source 0).
 */
function throughObject(rgb: Float32Array, source: Uint8Array, reached: Uint8Array, t: PlateTests): void {
  const { smooth, inBand, sameHue } = t;
  const N = source.length;
  for (let k = 0; k < N; k++) {
    if (source[k] !== 2 || reached[k]) continue;
    const r = rgb[k * 3]!,
      g = rgb[k * 3 + 1]!,
      b = rgb[k * 3 + 2]!;
    if (!(inBand(k, r, g, b) && sameHue(r, g, b, [smooth[k * 3]!, smooth[k * 3 + 1]!, smooth[k * 3 + 2]!]))) source[k] = 0;
  }
}

/**
 * Which frames show the backdrop at each agreed pixel (frame-major: vis[i * N + k]), within `agreeTol`; only
 * worked out beside the swept region (step 2 asks it of the known neighbours of the pixel it fills).
 */
function visibility(frames: readonly RgbImage[], inv: number[][], rgb: Float32Array, source: Uint8Array, agreeTol: number): Uint8Array {
  const n = frames.length;
  const { width: w, height: h } = frames[0]!;
  const N = w * h;
  const vis = new Uint8Array(n * N);
  const besideSwept = (k: number): boolean => {
    const x = k % w,
      y = (k - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const q = neighbour(x, y, dx, dy, w, h);
        if (q >= 0 && source[q] !== 2) return true;
      }
    }
    return false;
  };
  for (let k = 0; k < N; k++) {
    if (source[k] !== 2 || !besideSwept(k)) continue;
    for (let i = 0; i < n; i++) {
      const d0 = atUnitGain(frames, inv, i, k, 0) - rgb[k * 3]!,
        d1 = atUnitGain(frames, inv, i, k, 1) - rgb[k * 3 + 1]!,
        d2 = atUnitGain(frames, inv, i, k, 2) - rgb[k * 3 + 2]!;
      if (d0 * d0 + d1 * d1 + d2 * d2 <= agreeTol * agreeTol) vis[i * N + k] = 1;
    }
  }

  return vis;
}

/** What step 2 (the swept region's fill) works with. */
interface Sweep extends PlateTests {
  frames: readonly RgbImage[];
  o: PlateOptions;
  n: number;
  w: number;
  h: number;
  N: number;
  /** 1 / each frame's gains. */
  inv: number[][];
  rgb: Float32Array;
  source: Uint8Array;
  vis: Uint8Array;
  /** A frame continues the plate within this RGB distance. */
  tol: number;
  /** The plate where the object covers a pixel in every frame, when given. */
  fallback: Float32Array | undefined;
  /** 1 where the plate is known (agreed, or settled by an earlier front). */
  known: Uint8Array;
  /** Per pixel: 1 queued on a front, 2 waiting. */
  state: Uint8Array;
  /** The pixels waiting to be reached from another side. */
  waiting: number[];
  /** Per pixel: 0 not judged yet, 1 plausible backdrop, 2 not. */
  judged: Uint8Array;
  /** How far a recurring value looks for plate of that value (working pixels). */
  recurRadius: number;
  /** Scratch buffers: n values, n RGB candidates, their frames and supports, a predicted colour. */
  tmp: Float32Array;
  cand: Float32Array;
  picked: Int32Array;
  supports: Int32Array;
  pred: number[];
}

const QUEUED = 1,
  WAITING = 2;

/**
 * 2. The swept region, from the outside in (breadth-first from the agreed pixels). A frame can
 * give a pixel its plate only if it continues the plate around it and showed the backdrop at a
 * neighbour: the backdrop is seen through spatially coherent gaps, so the plate cannot creep into
 * an object whose colour is close to the backdrop's.
 * A pixel no frame continues waits (it may be reached from another side, through a gap the object
 * leaves there); it is interpolated only when nothing else can be filled.
 */
async function fillSwept(s: Sweep): Promise<void> {
  const { w, h, N, source, known, state } = s;
  for (let k = 0; k < N; k++) known[k] = source[k] === 2 ? 1 : 0;
  let front: number[] = [];
  const push = (k: number, list: number[]) => {
    if (!known[k] && state[k] !== QUEUED) {
      state[k] = QUEUED;
      list.push(k);
    }
  };
  // The four neighbours of pixel k, onto `list`.
  const pushAround = (k: number, list: number[]) => {
    const x = k % w,
      y = (k - x) / w;
    if (x > 0) push(k - 1, list);
    if (x < w - 1) push(k + 1, list);
    if (y > 0) push(k - w, list);
    if (y < h - 1) push(k + w, list);
  };
  for (let k = 0; k < N; k++) if (known[k]) pushAround(k, front);
  while (front.length || s.waiting.length) {
    await yieldNow();
    const next: number[] = [];
    const settled: number[] = [];
    // Nothing left to continue: the waiting pixels are interpolated.
    const interpolate = !front.length;
    if (interpolate) {
      front = s.waiting.filter((k) => !known[k] && state[k] === WAITING);
      s.waiting = [];
    }
    for (const k of front) if (fillPixel(s, k, interpolate)) settled.push(k);
    for (const k of settled) known[k] = 1;
    for (const k of settled) pushAround(k, next);
    front = next;
  }
}

/** One pixel of a front: its plate from the frames that continue the plate around it, or it waits, or it is interpolated. Returns whether it settled. */
function fillPixel(s: Sweep, k: number, interpolate: boolean): boolean {
  const { o, w, N, rgb, source, vis, state, cand, picked, tmp } = s;
  const x = k % w,
    y = (k - x) / w;
  predictFromKnown(s, x, y);
  const m = interpolate ? 0 : keepBestSupported(s, continuingFrames(s, k, x, y));
  if (m >= o.minFrames) {
    channelMedians(cand, m, tmp, rgb, k);
    for (let j = 0; j < m; j++) vis[picked[j]! * N + k] = 1;
    source[k] = 1;
  } else if (!interpolate && plausible(s, k)) {
    state[k] = WAITING;
    s.waiting.push(k);
    return false;
  } else if (s.recurRadius > 0 && interpolate && recurring(s, k)) {
    source[k] = 1;
  } else {
    interpolatePixel(s, k);
    source[k] = 0;
  }
  return true;
}

/** The prediction at pixel (x, y), into `s.pred`: the mean of the plate already known around it (5 × 5). */
function predictFromKnown(s: Sweep, x: number, y: number): void {
  const { w, h, known, rgb, pred } = s;
  let cnt = 0;
  pred[0] = pred[1] = pred[2] = 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const q = neighbour(x, y, dx, dy, w, h);
      if (q < 0 || !known[q]) continue;
      pred[0] += rgb[q * 3]!;
      pred[1] += rgb[q * 3 + 1]!;
      pred[2] += rgb[q * 3 + 2]!;
      cnt++;
    }
  }
  pred[0] /= cnt;
  pred[1] /= cnt;
  pred[2] /= cnt;
}

/**
 * The frames whose value at pixel k (at (x, y)) may continue the plate: each showed the backdrop at a known
 * neighbour, is in the band, and continues some known neighbours. Into `s.cand`, `s.picked` and `s.supports`; returns how many.
 */
function continuingFrames(s: Sweep, k: number, x: number, y: number): number {
  const { frames, n, N, inv, inBand, cand, picked, supports } = s;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!seenAround(s, i * N, x, y)) continue;
    const r = atUnitGain(frames, inv, i, k, 0),
      gg = atUnitGain(frames, inv, i, k, 1),
      b = atUnitGain(frames, inv, i, k, 2);
    if (!inBand(k, r, gg, b)) continue;
    const support = supportOf(s, x, y, r, gg, b);
    if (support === 0) continue;
    setRgb(cand, m, r, gg, b);
    picked[m] = i;
    supports[m] = support;
    m++;
  }
  return m;
}

/** Whether the frame whose visibility starts at `base` showed the backdrop at a known neighbour of pixel (x, y) (3 × 3). */
function seenAround(s: Sweep, base: number, x: number, y: number): boolean {
  const { w, h, known, vis } = s;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const q = neighbour(x, y, dx, dy, w, h);
      if (q >= 0 && known[q] && vis[base + q]) return true;
    }
  }
  return false;
}

/**
 * Support: the known neighbours of pixel (x, y) (5 × 5) that the value (r, g, b) continues (within the
 * tolerance). Neighbours may disagree (the edge of a shadow that stays): the frame follows those it matches.
 */
function supportOf(s: Sweep, x: number, y: number, r: number, g: number, b: number): number {
  const { w, h, known, rgb, tol } = s;
  let support = 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const q = neighbour(x, y, dx, dy, w, h);
      if (q < 0 || !known[q]) continue;
      const d0 = r - rgb[q * 3]!,
        d1 = g - rgb[q * 3 + 1]!,
        d2 = b - rgb[q * 3 + 2]!;
      if (d0 * d0 + d1 * d1 + d2 * d2 <= tol * tol) support++;
    }
  }
  return support;
}

/**
 * Of the `m` candidates, keep the frames continuing the most neighbours (a lit floor beside its lit
 * neighbours rather than a passing shadow), then the hue test against what they continue (the prediction).
 * The kept ones move to the front of `s.cand` and `s.picked`; returns how many.
 */
function keepBestSupported(s: Sweep, m: number): number {
  const { sameHue, cand, picked, supports, pred } = s;
  let best = 0;
  for (let j = 0; j < m; j++) if (supports[j]! > best) best = supports[j]!;
  let kept = 0;
  for (let j = 0; j < m; j++) {
    if (supports[j]! < Math.max(1, 0.6 * best)) continue;
    if (!sameHue(cand[j * 3]!, cand[j * 3 + 1]!, cand[j * 3 + 2]!, pred)) continue;
    setRgb(cand, kept, cand[j * 3]!, cand[j * 3 + 1]!, cand[j * 3 + 2]!);
    picked[kept] = picked[j]!;
    kept++;
  }
  return kept;
}

/** The plate of a pixel no frame gives: the fallback when given, else the prediction when it is in the band, else the smooth surface. */
function interpolatePixel(s: Sweep, k: number): void {
  const { rgb, fallback, inBand, pred, smooth } = s;
  if (fallback) setRgb(rgb, k, fallback[k * 3]!, fallback[k * 3 + 1]!, fallback[k * 3 + 2]!);
  else if (inBand(k, pred[0]!, pred[1]!, pred[2]!)) setRgb(rgb, k, pred[0]!, pred[1]!, pred[2]!);
  else setRgb(rgb, k, smooth[k * 3]!, smooth[k * 3 + 1]!, smooth[k * 3 + 2]!);
}

/** The per-channel median of the first `m` RGB values of `v` (`tmp`: room for m values), written as RGB value `at` of `out`. */
function channelMedians(v: Float32Array, m: number, tmp: Float32Array, out: Float32Array | number[], at: number): void {
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < m; j++) tmp[j] = v[j * 3 + c]!;
    out[at * 3 + c] = medianOf(tmp, m);
  }
}

/**
 * Whether frames at pixel k could be the backdrop (in the band and hue of the smooth plate), agreeing
 * among themselves: a backdrop seen from another side, so the pixel waits for it (judged once per pixel).
 */
function plausible(s: Sweep, k: number): boolean {
  if (!s.judged[k]) s.judged[k] = judgePlausible(s, k) ? 1 : 2;
  return s.judged[k] === 1;
}

function judgePlausible(s: Sweep, k: number): boolean {
  const { frames, n, inv, smooth, inBand, sameHue, cand, tol, o } = s;
  const sm = [0, 0, 0];
  sm[0] = smooth[k * 3]!;
  sm[1] = smooth[k * 3 + 1]!;
  sm[2] = smooth[k * 3 + 2]!;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const r = atUnitGain(frames, inv, i, k, 0),
      gg = atUnitGain(frames, inv, i, k, 1),
      b = atUnitGain(frames, inv, i, k, 2);
    if (!inBand(k, r, gg, b) || !sameHue(r, gg, b, sm)) continue;
    setRgb(cand, m, r, gg, b);
    m++;
  }
  if (m < Math.max(3, o.minFrames)) return false;
  return largestCluster(cand, m, tol).size >= Math.max(3, o.minFrames);
}

/**
 * A pixel left to interpolate whose frames recur at one value (the backdrop seen through a gap the
 * object leaves in some frames, while a moving object's colour there changes) takes that value when
 * the plate already found near it has it too. Returns whether it did.
 */
function recurring(s: Sweep, k: number): boolean {
  const { frames, n, w, N, inv, rgb, vis, cand, tmp, tol, o } = s;
  const all = new Float32Array(n * 3),
    member = new Uint8Array(n);
  for (let i = 0; i < n; i++) setRgb(all, i, atUnitGain(frames, inv, i, k, 0), atUnitGain(frames, inv, i, k, 1), atUnitGain(frames, inv, i, k, 2));
  const { size: most, centre: best } = largestCluster(all, n, tol);
  if (most < Math.max(3, o.minFrames)) return false;
  let m = 0;
  for (let j = 0; j < n; j++) {
    const d0 = all[best * 3]! - all[j * 3]!,
      d1 = all[best * 3 + 1]! - all[j * 3 + 1]!,
      d2 = all[best * 3 + 2]! - all[j * 3 + 2]!;
    member[j] = d0 * d0 + d1 * d1 + d2 * d2 <= tol * tol ? 1 : 0;
    if (member[j]) setRgb(cand, m++, all[j * 3]!, all[j * 3 + 1]!, all[j * 3 + 2]!);
  }
  const v = [0, 0, 0];
  channelMedians(cand, m, tmp, v, 0);
  const x = k % w,
    y = (k - x) / w;
  if (!plateNear(s, x, y, v)) return false;
  setRgb(rgb, k, v[0]!, v[1]!, v[2]!);
  for (let j = 0; j < n; j++) if (member[j]) vis[j * N + k] = 1;
  return true;
}

/** Whether plate found from frames (not interpolated) within `s.recurRadius` of pixel (x, y) (every other pixel) has the value `v`. */
function plateNear(s: Sweep, x: number, y: number, v: number[]): boolean {
  const { w, h, rgb, source, known, tol, recurRadius } = s;
  for (let dy = -recurRadius; dy <= recurRadius; dy += 2) {
    for (let dx = -recurRadius; dx <= recurRadius; dx += 2) {
      const q = neighbour(x, y, dx, dy, w, h);
      if (q < 0 || !known[q] || source[q] === 0) continue;
      const d0 = v[0]! - rgb[q * 3]!,
        d1 = v[1]! - rgb[q * 3 + 1]!,
        d2 = v[2]! - rgb[q * 3 + 2]!;
      if (d0 * d0 + d1 * d1 + d2 * d2 <= tol * tol) return true;
    }
  }
  return false;
}

/**
 * Step 3. A shadow that stays over most of the turn agrees, and would be taken for the backdrop: where the
 * plate is a neutral darkening of a neighbour's, look for frames in which the pixel is lit as that
 * neighbour is, and spread inwards from there.
 */
async function relightStayingShadows(s: Sweep): Promise<void> {
  const { frames, o, n, w, h, N, inv, rgb, sameHue, tol, tmp, cand, pred } = s;
  const lumOf = (k: number) => rgb[k * 3]! + rgb[k * 3 + 1]! + rgb[k * 3 + 2]!;
  const darker = (k: number, q: number) => {
    const lk = lumOf(k),
      lq = lumOf(q);
    return (
      lk < o.shadowRatio * lq &&
      sameHue(rgb[q * 3]!, rgb[q * 3 + 1]!, rgb[q * 3 + 2]!, [
        rgb[k * 3]! * (lq / Math.max(lk, 1)),
        rgb[k * 3 + 1]! * (lq / Math.max(lk, 1)),
        rgb[k * 3 + 2]! * (lq / Math.max(lk, 1)),
      ])
    );
  };
  let lightFront: number[] = [];
  const inFront = new Uint8Array(N);
  const offsets = [-1, 1, -w, w];
  for (let k = 0; k < N; k++) {
    const x = k % w;
    for (const d of offsets) {
      const q = k + d;
      if (q < 0 || q >= N || (d === -1 && x === 0) || (d === 1 && x === w - 1)) continue;
      if (darker(k, q)) {
        inFront[k] = 1;
        lightFront.push(k);
        break;
      }
    }
  }
  while (lightFront.length) {
    await yieldNow();
    const next: number[] = [];
    for (const k of lightFront) {
      const x = k % w,
        y = (k - x) / w;
      let cnt = 0;
      pred[0] = pred[1] = pred[2] = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const q = neighbour(x, y, dx, dy, w, h);
          if (q < 0 || q === k || !darker(k, q)) continue;
          pred[0] += rgb[q * 3]!;
          pred[1] += rgb[q * 3 + 1]!;
          pred[2] += rgb[q * 3 + 2]!;
          cnt++;
        }
      }
      if (!cnt) continue;
      pred[0] /= cnt;
      pred[1] /= cnt;
      pred[2] /= cnt;
      let m = 0;
      for (let i = 0; i < n; i++) {
        const r = atUnitGain(frames, inv, i, k, 0),
          gg = atUnitGain(frames, inv, i, k, 1),
          b = atUnitGain(frames, inv, i, k, 2);
        const d0 = r - pred[0]!,
          d1 = gg - pred[1]!,
          d2 = b - pred[2]!;
        if (d0 * d0 + d1 * d1 + d2 * d2 <= tol * tol && sameHue(r, gg, b, pred)) setRgb(cand, m++, r, gg, b);
      }
      if (m < o.minFrames) continue;
      channelMedians(cand, m, tmp, rgb, k);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const q = neighbour(x, y, dx, dy, w, h);
          if (q >= 0 && !inFront[q] && darker(q, k)) {
            inFront[q] = 1;
            next.push(q);
          }
        }
      }
    }
    lightFront = next;
  }
}

/**
 * A smooth surface through the plate's known pixels: a normalised box blur at a radius of 6 % of the
 * frame, widened where no known pixel is near (the middle of a large swept region). Worked out on blocks
 * of `step` × `step` pixels (the blur is many blocks wide) and brought back to each pixel bilinearly.
 */
export function smoothPlate(rgb: Float32Array, known: Uint8Array, w: number, h: number): Float32Array {
  const r0 = Math.max(2, Math.round(0.06 * Math.max(w, h)));
  const step = Math.max(1, Math.floor(r0 / 8));
  const W = Math.ceil(w / step),
    H = Math.ceil(h / step),
    M = W * H;
  // Per block: the sums of the known pixels' colours and their count.
  const vals = new Float32Array(M * 4);
  for (let y = 0; y < h; y++) {
    const by = ((y / step) | 0) * W;
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!known[k]) continue;
      const b = (by + ((x / step) | 0)) * 4;
      vals[b] = vals[b]! + rgb[k * 3]!;
      vals[b + 1] = vals[b + 1]! + rgb[k * 3 + 1]!;
      vals[b + 2] = vals[b + 2]! + rgb[k * 3 + 2]!;
      vals[b + 3] = vals[b + 3]! + 1;
    }
  }
  const small = new Float32Array(M * 3);
  const done = new Uint8Array(M);
  let left = M;
  for (let r = Math.max(1, Math.round(r0 / step)); left > 0; r *= 2) {
    const sums = boxSums(vals, W, H, 4, r);
    for (let b = 0; b < M; b++) {
      if (done[b]) continue;
      const wt = sums[b * 4 + 3]!;
      if (wt < 1 && r < Math.max(W, H)) continue;
      const q = Math.max(wt, 1e-6);
      small[b * 3] = sums[b * 4]! / q;
      small[b * 3 + 1] = sums[b * 4 + 1]! / q;
      small[b * 3 + 2] = sums[b * 4 + 2]! / q;
      done[b] = 1;
      left--;
    }
  }
  if (step === 1) return small;
  // Bilinear between block centres.
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(H - 1, Math.max(0, (y + 0.5) / step - 0.5));
    const y0 = Math.floor(fy),
      y1 = Math.min(H - 1, y0 + 1),
      ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(W - 1, Math.max(0, (x + 0.5) / step - 0.5));
      const x0 = Math.floor(fx),
        x1 = Math.min(W - 1, x0 + 1),
        tx = fx - x0;
      const a = (y0 * W + x0) * 3,
        b = (y0 * W + x1) * 3,
        c = (y1 * W + x0) * 3,
        d = (y1 * W + x1) * 3,
        k = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        out[k + ch] = (1 - ty) * ((1 - tx) * small[a + ch]! + tx * small[b + ch]!) + ty * ((1 - tx) * small[c + ch]! + tx * small[d + ch]!);
      }
    }
  }
  return out;
}
