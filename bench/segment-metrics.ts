/**
 * How a mask is scored against a ground-truth mask (bench:segment): IoU, boundary F-score with a pixel
 * tolerance, and a mask made at a smaller working size brought back to the frame's size. Pure: masks are
 * Uint8Array, 1 (any non-zero) = object, row-major width × height.
 */
import { maskIoU } from '../pipeline/core/mask.js';

/** Intersection over union of two masks of one size (1 when both are empty): pipeline/core/mask.ts maskIoU. */
export function iou(mask: Uint8Array, truth: Uint8Array): number {
  return maskIoU(mask, truth);
}

/** The boundary of a mask: its set pixels with an unset 4-neighbour inside the frame (the frame edge is not a boundary). */
export function boundary(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!mask[k]) continue;
      if ((x > 0 && !mask[k - 1]) || (x < w - 1 && !mask[k + 1]) || (y > 0 && !mask[k - w]) || (y < h - 1 && !mask[k + w])) out[k] = 1;
    }
  }
  return out;
}

/** Every pixel within Euclidean distance `r` of a set pixel of a sparse map (a disk stamped at each set pixel). */
function nearSet(map: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const offsets: [number, number][] = [];
  const ri = Math.floor(r);
  for (let dy = -ri; dy <= ri; dy++) for (let dx = -ri; dx <= ri; dx++) if (dx * dx + dy * dy <= r * r) offsets.push([dx, dy]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!map[y * w + x]) continue;
      for (const [dx, dy] of offsets) {
        const xx = x + dx,
          yy = y + dy;
        if (xx >= 0 && xx < w && yy >= 0 && yy < h) out[yy * w + xx] = 1;
      }
    }
  }
  return out;
}

export interface BoundaryScore {
  /** Fraction of the mask's boundary pixels within the tolerance of the truth's boundary. */
  precision: number;
  /** Fraction of the truth's boundary pixels within the tolerance of the mask's boundary. */
  recall: number;
  /** 2PR / (P + R); 0 when either is 0. */
  f: number;
}

/**
 * Boundary F-score (as in the DAVIS benchmark): boundary pixels of the mask and of the truth match when
 * they lie within `tolerance` pixels (Euclidean) of each other. Two empty masks score 1, one empty 0.
 */
export function boundaryF(mask: Uint8Array, truth: Uint8Array, w: number, h: number, tolerance = 2): BoundaryScore {
  const bm = boundary(mask, w, h),
    bt = boundary(truth, w, h);
  const nearM = nearSet(bm, w, h, tolerance),
    nearT = nearSet(bt, w, h, tolerance);
  let nm = 0,
    nt = 0,
    hitM = 0,
    hitT = 0;
  for (let k = 0; k < bm.length; k++) {
    if (bm[k]) {
      nm++;
      if (nearT[k]) hitM++;
    }
    if (bt[k]) {
      nt++;
      if (nearM[k]) hitT++;
    }
  }
  if (!nm && !nt) return { precision: 1, recall: 1, f: 1 };
  const precision = nm ? hitM / nm : 0,
    recall = nt ? hitT / nt : 0;
  return { precision, recall, f: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * A mask made at a working size (w × h) brought to the frame's size (W × H): bilinear interpolation of
 * 0/1 between pixel centres, set where it reaches 0.5 (a smooth edge, not the staircase of nearest-neighbour).
 */
export function upsampleMask(mask: Uint8Array, w: number, h: number, W: number, H: number): Uint8Array {
  if (w === W && h === H) return Uint8Array.from(mask, (v) => (v ? 1 : 0));
  const out = new Uint8Array(W * H);
  const sx = w / W,
    sy = h / H;
  for (let Y = 0; Y < H; Y++) {
    const fy = Math.min(Math.max((Y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy),
      y1 = Math.min(y0 + 1, h - 1),
      ty = fy - y0;
    for (let X = 0; X < W; X++) {
      const fx = Math.min(Math.max((X + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx),
        x1 = Math.min(x0 + 1, w - 1),
        tx = fx - x0;
      const at = (x: number, y: number) => (mask[y * w + x] ? 1 : 0);
      const v = (at(x0, y0) * (1 - tx) + at(x1, y0) * tx) * (1 - ty) + (at(x0, y1) * (1 - tx) + at(x1, y1) * tx) * ty;
      if (v >= 0.5) out[Y * W + X] = 1;
    }
  }
  return out;
}
