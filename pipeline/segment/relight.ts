/**
 * Relight: the plate of the swept region made again as the backdrop's lit state, once a first pass has
 * said where the object is in each frame. Where the object sweeps, its cast shadow sweeps too (over
 * the floor, the disk, the cloth between its legs), so the frames that show the backdrop there show it
 * lit in some and shadowed in others; a plate that mixes the two reads a lit frame as a brightening,
 * which is classed as object. A shadow is a darkening of the lit plate, so the plate is taken from the
 * brightest of the frames that show the backdrop (away from that frame's object), and a shadow is then
 * classed as shadow. Pixels the turn agreed on outright keep their plate.
 */
import { dilate } from '../core/mask.js';
import { assertInteger, assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import { type ClassifyOptions, classifyFrame } from './classify.js';
import type { Plate } from './plate.js';
import { atUnitGain, setRgb } from './pixels.js';

const STAGE = 'relight';

export interface RelightOptions {
  /** A frame shows the backdrop at a pixel only this far (working pixels) from its object mask or further (a mask's edge may be short of the object's). */
  margin: number;
  /** Fraction of those frames, the brightest, whose per-channel median is the lit plate. */
  brightest: number;
  /** Fewest frames showing the backdrop at a pixel for it to be relit (else it keeps its plate). */
  minFrames: number;
  /** The first pass that finds the object for relighting runs at 1 / scale of the working size (its masks need only say where the object is, within the margin). */
  scale: number;
}

export const RELIGHT_DEFAULTS: RelightOptions = { margin: 3, brightest: 0.1, minFrames: 3, scale: 3 };

function checkOptions(o: RelightOptions): void {
  assertInteger(STAGE, 'margin', o.margin, 0, 64);
  assertNumber(STAGE, 'brightest', o.brightest, 0.01, 1);
  assertInteger(STAGE, 'minFrames', o.minFrames, 1, 1000);
  assertInteger(STAGE, 'scale', o.scale, 1, 8);
}

/** `img` (RGB, `channels` per pixel) reduced by `s` in each direction (mean of each s × s block; the last partial blocks dropped). */
function reduce(data: ArrayLike<number>, channels: number, w: number, h: number, s: number, out: Uint8Array | Float32Array): void {
  const W = Math.floor(w / s),
    H = Math.floor(h / s),
    area = s * s;
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let dy = 0; dy < s; dy++) {
        let p = ((Y * s + dy) * w + X * s) * channels;
        for (let dx = 0; dx < s; dx++, p += channels) {
          r += data[p]!;
          g += data[p + 1]!;
          b += data[p + 2]!;
        }
      }
      const q = (Y * W + X) * 3;
      out[q] = r / area;
      out[q + 1] = g / area;
      out[q + 2] = b / area;
    }
  }
}

/**
 * The object masks a relighting needs, at the working size, from a first pass over the frames reduced by
 * `scale` against the plate reduced alike (a pixel of the reduced mask marks its whole block).
 */
export function coarseMasks(frames: readonly RgbImage[], plate: Plate, classify: Partial<ClassifyOptions>, opts?: Partial<RelightOptions>): Uint8Array[] {
  const o = withDefaults(RELIGHT_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = plate;
  const s = o.scale,
    W = Math.floor(w / s),
    H = Math.floor(h / s);
  if (s === 1 || W < 16 || H < 16) return frames.map((f, i) => classifyFrame(f, plate, i, classify).mask);
  const small: Plate = { ...plate, width: W, height: H, rgb: new Float32Array(W * H * 3), source: new Uint8Array(0), vis: new Uint8Array(0) };
  reduce(plate.rgb, 3, w, h, s, small.rgb);
  const img = { data: new Uint8Array(W * H * 3), width: W, height: H, channels: 3 };
  return frames.map((f, i) => {
    reduce(f.data, f.channels, w, h, s, img.data);
    const m = classifyFrame(img, small, i, classify).mask;
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      const Y = Math.min(H - 1, Math.floor(y / s));
      for (let x = 0; x < w; x++) out[y * w + x] = m[Y * W + Math.min(W - 1, Math.floor(x / s))]!;
    }
    return out;
  });
}

/**
 * Relight `plate` (in place) from the row's `frames` and each frame's first-pass object `masks` (1 =
 * object; a floor's mirror image is in them too, as the first pass knows no contact line, so it is never
 * taken for the lit plate; a shadow is not, but it is darker than the lit frames and so is not among the
 * brightest). Returns the number of pixels relit.
 */
export function relightPlate(frames: readonly RgbImage[], plate: Plate, masks: readonly Uint8Array[], opts?: Partial<RelightOptions>): number {
  const o = withDefaults(RELIGHT_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = plate;
  const N = w * h,
    n = frames.length;
  if (masks.length !== n) throw new Error(`${STAGE}: ${masks.length} masks for ${n} frames`);
  const near = masks.map((m) => {
    if (m.length !== N) throw new Error(`${STAGE}: a mask of ${m.length} pixels for a plate of ${w} × ${h}`);
    return dilate(m, w, h, o.margin);
  });
  const inv = plate.gains.map((g) => g.map((x) => 1 / x));
  const lum = new Float32Array(n),
    order = new Int32Array(n),
    vals = new Float32Array(n * 3),
    tmp = new Float32Array(n);
  let relit = 0;
  for (let k = 0; k < N; k++) {
    if (plate.source[k] === 2) continue;
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (near[i]![k]) continue;
      const r = atUnitGain(frames, inv, i, k, 0),
        gg = atUnitGain(frames, inv, i, k, 1),
        b = atUnitGain(frames, inv, i, k, 2);
      setRgb(vals, m, r, gg, b);
      lum[m] = r + gg + b;
      order[m] = m;
      m++;
    }
    if (m < o.minFrames) continue;
    // The brightest `top` of them (by insertion, brightest first: a row has few frames).
    for (let a = 1; a < m; a++) {
      const t = order[a]!,
        tl = lum[t]!;
      let j = a - 1;
      while (j >= 0 && lum[order[j]!]! < tl) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = t;
    }
    const top = Math.max(1, Math.round(m * o.brightest));
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < top; j++) tmp[j] = vals[order[j]! * 3 + c]!;
      // median of `top` values (few): sort the prefix
      const s = tmp.subarray(0, top).sort();
      plate.rgb[k * 3 + c] = top & 1 ? s[top >> 1]! : 0.5 * (s[(top >> 1) - 1]! + s[top >> 1]!);
    }
    relit++;
  }
  return relit;
}
