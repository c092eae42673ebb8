/**
 * Crop: one crop box per row (the union of the re-centred object boxes plus a margin, widened to the
 * chosen aspect) with the same size for every row, so rows can be switched in the viewer. The box may
 * reach past the frame; the render step pads it with backdrop. It never clips the object.
 */
import { XoayError } from '../core/errors.js';

export interface CropOptions {
  /** Margin around the union box, as a fraction of its larger side. */
  margin: number;
  /** Output aspect as width / height, or null to keep the union box's own aspect. */
  aspect: number | null;
}

export const CROP_DEFAULTS: CropOptions = { margin: 0.05, aspect: 1 };

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A crop rectangle in source pixels (integers; may extend past the frame). */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Parse `1:1`, `4:3`, `16:9`, `keep` into a width/height ratio (null for keep). */
export function parseAspect(s: string): number | null {
  if (s === 'keep') return null;
  const m = /^(\d+(?:\.\d+)?)[:/x](\d+(?:\.\d+)?)$/.exec(s.trim());
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) {
    throw new XoayError('crop', 'BAD_OPTION', `expected W:H (e.g. 1:1, 4:3) or keep for option --aspect but received ${JSON.stringify(s)}`);
  }
  return Number(m[1]) / Number(m[2]);
}

/**
 * Crop rectangles, one per row. `rows[r]` lists each frame's object box after its re-centring shift,
 * in source pixels.
 */
export function cropRows(rows: readonly (readonly Box[])[], opts?: Partial<CropOptions>): CropRect[] {
  const o = { ...CROP_DEFAULTS, ...opts };
  const unions = rows.map((boxes) =>
    boxes.reduce<Box>((u, b) => ({ x0: Math.min(u.x0, b.x0), y0: Math.min(u.y0, b.y0), x1: Math.max(u.x1, b.x1), y1: Math.max(u.y1, b.y1) }), {
      x0: Infinity,
      y0: Infinity,
      x1: -Infinity,
      y1: -Infinity,
    }),
  );
  let w = Math.max(...unions.map((u) => u.x1 - u.x0));
  let h = Math.max(...unions.map((u) => u.y1 - u.y0));
  const m = o.margin * Math.max(w, h);
  w += 2 * m;
  h += 2 * m;
  if (o.aspect !== null) {
    if (w / h < o.aspect) w = h * o.aspect;
    else h = w / o.aspect;
  }
  const W = Math.ceil(w),
    H = Math.ceil(h);
  return unions.map((u) => ({
    x: Math.round((u.x0 + u.x1) / 2 - W / 2),
    y: Math.round((u.y0 + u.y1) / 2 - H / 2),
    width: W,
    height: H,
  }));
}
