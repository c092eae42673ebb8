/**
 * Classify: tell object, shadow and reflection apart in one frame against its row's clean plate.
 * A cast shadow changes the backdrop's brightness and keeps its colour (a neutral darkening); an
 * object changes its colour, or brightens it. A reflection on a glossy floor lies below the object,
 * mirrored about the contact line and dimmer than the object it mirrors.
 */
import { close, components, dilate, fillHoles } from '../core/mask.js';
import { assertNumber, withDefaults } from '../core/options.js';
import type { RgbImage } from '../core/frames.js';
import type { Plate } from './plate.js';
import { expose, neighbour, unexpose } from './pixels.js';

const STAGE = 'classify';

export interface ClassifyOptions {
  /** Object threshold on the RGB distance from the plate, as a multiple of the plate's noise (the floor below applies too). */
  noiseFactor: number;
  /** Lowest RGB distance from the plate that can be object. */
  minDistance: number;
  /** A change whose colour shift is below this angle (degrees) is neutral: a shadow when it darkens. */
  neutralAngle: number;
  /** Components smaller than this fraction of the largest are dropped. */
  minComponent: number;
  /** Holes smaller than this fraction of the object's area are filled. */
  fillHoles: number;
  /** A part further than this fraction of the frame from the largest part (box to box) is dropped unless it is large itself… */
  detached: number;
  /** …at least this fraction of the largest part's area (a cup beside a teapot stays; a lit patch of floor does not). */
  detachedArea: number;
  /** Weak (hysteresis) threshold as a fraction of the object threshold. */
  weakFactor: number;
  /** A hue change this many times the noise is weak evidence of object. */
  weakHue: number;
  /**
   * A neutral darkening deeper than this (mean RGB levels) is object, not shadow, and so is one much deeper
   * than its surroundings (an edge, a spoke): for a black product on a white sweep. 255 (the default) is
   * off: the contact shadow under the committed stool sample on light grey is deeper than 100 levels.
   */
  maxShadow: number;
  /**
   * Where the object covers a pixel in every frame the plate is interpolated (plate.ts, source 0) and its
   * brightness is a guess: a neutral brightening of at most this fraction over it is the guess's error,
   * not object (a darkening is a shadow there anyway). 0 treats it like any plate.
   */
  interpolatedGain: number;
}

export const CLASSIFY_DEFAULTS: ClassifyOptions = {
  noiseFactor: 6,
  minDistance: 10,
  neutralAngle: 0.5,
  minComponent: 0.01,
  fillHoles: 0.002,
  detached: 0.02,
  detachedArea: 0.1,
  weakFactor: 0.5,
  weakHue: 2,
  maxShadow: 255,
  interpolatedGain: 0.1,
};

function checkOptions(o: ClassifyOptions): void {
  assertNumber(STAGE, 'noiseFactor', o.noiseFactor, 0, 1000);
  assertNumber(STAGE, 'minDistance', o.minDistance, 0, 442);
  assertNumber(STAGE, 'neutralAngle', o.neutralAngle, 0, 90);
  assertNumber(STAGE, 'minComponent', o.minComponent, 0, 1);
  assertNumber(STAGE, 'fillHoles', o.fillHoles, 0, 1);
  assertNumber(STAGE, 'detached', o.detached, 0, 1);
  assertNumber(STAGE, 'detachedArea', o.detachedArea, 0, 1);
  assertNumber(STAGE, 'weakFactor', o.weakFactor, 0, 1);
  assertNumber(STAGE, 'weakHue', o.weakHue, 0, 1000);
  assertNumber(STAGE, 'maxShadow', o.maxShadow, 0, 255);
  assertNumber(STAGE, 'interpolatedGain', o.interpolatedGain, 0, 1);
}

/** Per-pixel class of one frame: 0 backdrop, 1 object, 2 shadow (or light change), 3 reflection. */
export interface FrameClasses {
  width: number;
  height: number;
  classes: Uint8Array;
  /** The object mask (1 = object) after clean-up. */
  mask: Uint8Array;
}

/**
 * Classify frame `i` of a row against the row's plate (same size). `line`, when given, is the contact
 * line of a glossy floor (reflection.ts): the mask below it is reflection.
 */
export function classifyFrame(frame: RgbImage, plate: Plate, i: number, opts?: Partial<ClassifyOptions>, line?: Int32Array | null): FrameClasses {
  const o = withDefaults(CLASSIFY_DEFAULTS, opts);
  checkOptions(o);
  const { width: w, height: h } = plate;
  const T = Math.max(o.noiseFactor * plate.noise, o.minDistance);
  const { classes, strong, weak, dark } = pixelClasses(frame, plate, i, o, T);
  if (o.maxShadow < 255) deepDarkenings(dark, weak, w, h, T);
  const raw = connectedToStrong(strong, weak, classes, w, h);
  if (line) cutBelowLine(raw, classes, line, w, h);
  const mask = cleanUp(raw, w, h, o);
  for (let k = 0; k < w * h; k++) if (classes[k] === 1 && !mask[k]) classes[k] = 0;
  return { width: w, height: h, classes, mask };
}

/** Per pixel against the plate: the classes found so far, the strong and weak object candidates, and each neutral darkening's depth (with 1 where a pixel is backdrop or shadow). */
function pixelClasses(
  frame: RgbImage,
  plate: Plate,
  i: number,
  o: ClassifyOptions,
  T: number,
): { classes: Uint8Array; strong: Uint8Array; weak: Uint8Array; dark: Float32Array } {
  const { width: w, height: h } = plate;
  const N = w * h;
  const ch = frame.channels,
    data = frame.data;
  const g = plate.gains[i]!;
  const i0 = 1 / g[0],
    i1 = 1 / g[1],
    i2 = 1 / g[2];
  const P = plate.rgb;
  const floor = 3 * plate.noise * Math.sqrt(3);
  const tanA = Math.tan((o.neutralAngle * Math.PI) / 180);
  const classes = new Uint8Array(N);
  // Strong: far from the plate and not a shadow. Weak: a smaller change of hue (a pale tinted object on
  // a white sweep) or of brightness; weak pixels count only when connected to strong ones (hysteresis).
  const strong = new Uint8Array(N),
    weak = new Uint8Array(N);
  const tLo = o.weakFactor * T;
  const eLo = o.weakHue * plate.noise * Math.sqrt(3);
  // Per pixel: the depth of a neutral darkening, and 1 where the pixel is backdrop or shadow (not a candidate for object).
  const dark = new Float32Array(N * 2);
  for (let k = 0; k < N; k++) {
    const p = k * ch;
    const r = unexpose(data[p]!, i0),
      gg = unexpose(data[p + 1]!, i1),
      b = unexpose(data[p + 2]!, i2);
    const B0 = P[k * 3]!,
      B1 = P[k * 3 + 1]!,
      B2 = P[k * 3 + 2]!;
    const d0 = r - B0,
      d1 = gg - B1,
      d2 = b - B2;
    const d = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
    if (d <= Math.min(tLo, eLo)) {
      dark[k * 2 + 1] = 1;
      continue;
    }
    const bb = B0 * B0 + B1 * B1 + B2 * B2;
    const s = bb > 1 ? (r * B0 + gg * B1 + b * B2) / bb : 2;
    const e0 = r - s * B0,
      e1 = gg - s * B1,
      e2 = b - s * B2;
    const e = Math.sqrt(e0 * e0 + e1 * e1 + e2 * e2);
    const li = Math.sqrt(r * r + gg * gg + b * b);
    const neutral = e <= Math.max(floor, tanA * li);
    const depth = neutral && s < 1 ? (1 - s) * Math.sqrt(bb / 3) : 0;
    if (neutral && s > 1 && s <= 1 + o.interpolatedGain && plate.source[k] === 0) {
      dark[k * 2 + 1] = 1;
      continue;
    }
    if (neutral && s < 1 && depth <= o.maxShadow) {
      if (d > tLo) classes[k] = 2;
      dark[k * 2] = depth;
      dark[k * 2 + 1] = 1;
      continue;
    }
    if (d > T) strong[k] = 1;
    if (d > tLo || e > eLo) weak[k] = 1;
  }
  return { classes, strong, weak, dark };
}

/**
 * A darkening much deeper than its surroundings is an edge or a thin part of a dark object (a spoke),
 * not a shadow: a shadow is as deep as some of the shadow around it (within 2 px), as its edge fades
 * softly or is cut off. Around = the backdrop and shadow pixels (an object beside a shadow is not). Marks such pixels weak.
 */
function deepDarkenings(dark: Float32Array, weak: Uint8Array, w: number, h: number, T: number): void {
  const N = w * h;
  for (let k = 0; k < N; k++) {
    const dk = dark[k * 2]!;
    if (dk <= T) continue;
    const x = k % w,
      y = (k - x) / w;
    let most = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const q = neighbour(x, y, dx, dy, w, h);
        if (q < 0 || q === k) continue;
        if (dark[q * 2 + 1] && dark[q * 2]! > most) most = dark[q * 2]!;
      }
    }
    if (dk - most > T) weak[k] = 1;
  }
}

/** Hysteresis: the weak candidates connected to a strong one are object (class 1). */
function connectedToStrong(strong: Uint8Array, weak: Uint8Array, classes: Uint8Array, w: number, h: number): Uint8Array {
  const N = w * h;
  const raw = new Uint8Array(N);
  const { labels, comps } = components(weak, w, h);
  const seeded = new Uint8Array(comps.length);
  for (let k = 0; k < N; k++) if (strong[k]) seeded[labels[k]! - 1] = 1;
  for (let k = 0; k < N; k++) {
    const l = labels[k]!;
    if (l && seeded[l - 1]) {
      raw[k] = 1;
      classes[k] = 1;
    }
  }
  return raw;
}

/** A mirror image below the contact line (a glossy floor) is reflection (class 3), not object. */
function cutBelowLine(raw: Uint8Array, classes: Uint8Array, line: Int32Array, w: number, h: number): void {
  for (let x = 0; x < w; x++) {
    for (let y = line[x]!; y < h; y++) {
      const k = y * w + x;
      if (raw[k]) {
        raw[k] = 0;
        classes[k] = 3;
      }
    }
  }
}

/** Clean-up: the object's big components, thin cracks closed, small holes filled. */
function cleanUp(raw: Uint8Array, w: number, h: number, o: ClassifyOptions): Uint8Array {
  const N = w * h;
  const { labels, comps } = components(raw, w, h);
  const largest = comps.reduce((m, c) => Math.max(m, c.area), 0);
  // One object stands on the turntable: a part away from the largest (further than `detached` of the frame)
  // is kept only when it is large itself (a lit patch of floor, a speck of cloth is not).
  const main = comps.find((c) => c.area === largest);
  const gap = o.detached * Math.max(w, h);
  const keep = comps.map((c) => {
    if (c.area < o.minComponent * largest) return false;
    if (!main || c === main || c.area >= o.detachedArea * largest) return true;
    const dx = Math.max(0, main.x0 - c.x1, c.x0 - main.x1),
      dy = Math.max(0, main.y0 - c.y1, c.y0 - main.y1);
    return Math.hypot(dx, dy) <= gap;
  });
  let mask: Uint8Array = new Uint8Array(N);
  for (let k = 0; k < N; k++) {
    const l = labels[k]!;
    if (l && keep[l - 1]) mask[k] = 1;
  }
  mask = close(mask, w, h, Math.max(1, Math.round(0.002 * Math.max(w, h))));
  if (o.fillHoles > 0) mask = fillHoles(mask, w, h, o.fillHoles);
  return mask;
}

/**
 * Fill the holes of a mask that look like the object around them rather than the backdrop behind them:
 * the inside of a pale table top whose colour is too close to a white sweep's for the threshold, not the
 * gap between a stool's rungs, through which the backdrop shows.
 */
export function fillObjectHoles(frame: RgbImage, plate: Plate, i: number, mask: Uint8Array, sealRadius = 0): Uint8Array {
  const { width: w, height: h } = plate;
  // Holes are found in the mask closed by `sealRadius` (a table top's far edge, as pale as the sweep,
  // leaves gaps that open the hole to the backdrop), then judged on the pixels the mask left out.
  const sealed = sealRadius > 0 ? close(mask, w, h, sealRadius) : mask;
  const inv = new Uint8Array(w * h);
  for (let k = 0; k < inv.length; k++) if (!sealed[k]) inv[k] = 1;
  const { labels, comps } = components(inv, w, h);
  const holes = comps.map((c) => c.x0 > 0 && c.y0 > 0 && c.x1 < w && c.y1 < h);
  if (!holes.some(Boolean)) return mask;
  const ch = frame.channels,
    data = frame.data,
    g = plate.gains[i]!;
  // Per hole: mean colour inside, mean plate inside, mean object colour on a ring around it.
  const m = comps.length;
  const inside = new Float64Array(m * 3),
    back = new Float64Array(m * 3),
    ring = new Float64Array(m * 3),
    ringN = new Float64Array(m);
  const inHole = new Uint8Array(w * h);
  for (let k = 0; k < w * h; k++) {
    const l = labels[k]!;
    if (l && holes[l - 1]) {
      inHole[k] = 1;
      const j = l - 1;
      for (let c = 0; c < 3; c++) {
        inside[j * 3 + c] = inside[j * 3 + c]! + data[k * ch + c]!;
        back[j * 3 + c] = back[j * 3 + c]! + expose(plate.rgb[k * 3 + c]!, g[c]!);
      }
    }
  }
  // The ring: object pixels within 2 px of a hole (the others credit none).
  const nearHole = dilate(inHole, w, h, 2);
  for (let k = 0; k < w * h; k++) {
    if (!nearHole[k] || inHole[k] || !mask[k] || !sealed[k]) continue;
    // an object pixel: credit each hole within 2 px of it once
    const x = k % w,
      y = (k - x) / w;
    let last = -1;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const j = neighbour(x, y, dx, dy, w, h);
        if (j < 0) continue;
        const q = labels[j]!;
        if (!q || !holes[q - 1] || q === last) continue;
        last = q;
        for (let c = 0; c < 3; c++) ring[(q - 1) * 3 + c] = ring[(q - 1) * 3 + c]! + data[k * ch + c]!;
        ringN[q - 1]!++;
      }
    }
  }
  const fill = comps.map((c, j) => {
    if (!holes[j] || !ringN[j]) return false;
    let dObj = 0,
      dBack = 0;
    for (let cc = 0; cc < 3; cc++) {
      const mi = inside[j * 3 + cc]! / c.area;
      dObj += (mi - ring[j * 3 + cc]! / ringN[j]!) ** 2;
      dBack += (mi - back[j * 3 + cc]! / c.area) ** 2;
    }
    return dObj < dBack;
  });
  if (!fill.some(Boolean)) return mask;
  const out = mask.slice();
  for (let k = 0; k < out.length; k++) {
    const l = labels[k]!;
    if (l && fill[l - 1]) out[k] = 1;
  }
  // The seal itself, around the filled holes.
  if (sealed !== mask) {
    for (let j = 0; j < comps.length; j++) {
      if (!fill[j]) continue;
      const c = comps[j]!;
      const r = sealRadius + 1;
      for (let y = Math.max(0, c.y0 - r); y < Math.min(h, c.y1 + r); y++) {
        for (let x = Math.max(0, c.x0 - r); x < Math.min(w, c.x1 + r); x++) if (sealed[y * w + x]) out[y * w + x] = 1;
      }
    }
  }
  return out;
}
