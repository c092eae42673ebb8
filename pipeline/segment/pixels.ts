/**
 * Pixels: the small reads the segmentation's per-pixel loops share: a frame's level brought to the row's
 * exposure (unit gain), a plate level at a frame's exposure, and the index of a neighbour in a window.
 * Each is small and called from one kind of place, so V8 inlines it into the hot loops (millions of
 * pixels a frame) and they cost what the code written out in place did.
 */
import type { RgbImage } from '../core/frames.js';

/** Levels at or above this are the sensor's white (a backdrop lit to clipping): they stay white at any exposure. */
const CLIPPED = 254;

/**
 * A frame's level `v` brought to the row's exposure (`inv` = 1 / the frame's gain). A clipped level says
 * only that the light was at least white, so it stays white rather than being scaled below it; nothing
 * is brought above white.
 */
export function unexpose(v: number, inv: number): number {
  return v >= CLIPPED ? 255 : Math.min(255, v * inv);
}

/** A plate level `v` at a frame's exposure (`g` = its gain), as the frame would record it. */
export function expose(v: number, g: number): number {
  return Math.min(255, v * g);
}

/** Channel `c` of frame `i`'s pixel `k` at unit gain (`inv[i]` = 1 / that frame's per-channel gains). */
export function atUnitGain(frames: readonly RgbImage[], inv: readonly (readonly number[])[], i: number, k: number, c: number): number {
  const f = frames[i]!;
  return unexpose(f.data[k * f.channels + c]!, inv[i]![c]!);
}

/** Write (`r`, `g`, `b`) as the `j`th RGB triple of `a`. */
export function setRgb(a: Float32Array, j: number, r: number, g: number, b: number): void {
  a[j * 3] = r;
  a[j * 3 + 1] = g;
  a[j * 3 + 2] = b;
}

/** The index of the pixel `dx`, `dy` away from pixel (`x`, `y`) of a `w` × `h` image, or −1 where that falls outside it. */
export function neighbour(x: number, y: number, dx: number, dy: number, w: number, h: number): number {
  const xx = x + dx,
    yy = y + dy;
  return xx < 0 || xx >= w || yy < 0 || yy >= h ? -1 : yy * w + xx;
}
