/** Binary-mask helpers on Uint8Array masks (1 = set), row-major width × height. */

/**
 * A mask's box (x0, y0 inclusive; x1, y1 exclusive), the sums of its pixel centres (sx, sy) and its
 * area, in pixels of the mask; an empty mask has area 0 (and a box with x1 < x0).
 */
export function maskMoments(mask: Uint8Array, w: number, h: number): { x0: number; y0: number; x1: number; y1: number; sx: number; sy: number; area: number } {
  let x0 = w,
    y0 = h,
    x1 = 0,
    y1 = 0,
    sx = 0,
    sy = 0,
    area = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      area++;
      sx += x + 0.5;
      sy += y + 0.5;
      if (x < x0) x0 = x;
      if (x + 1 > x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y + 1 > y1) y1 = y + 1;
    }
  }
  return { x0, y0, x1, y1, sx, sy, area };
}

/** Intersection over union of two masks of the same size (any non-zero = set; 1 when both are empty). */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
  let inter = 0,
    union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0,
      y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union ? inter / union : 1;
}

/**
 * `op` applied to the part of `mask` inside its set pixels' box grown by `margin`, the rest of the result
 * left clear: for operations whose result lies within that box and does not depend on what is beyond it
 * (a dilation by r < margin, an erosion with margin ≥ 1), at a fraction of the whole frame's cost.
 */
function withinBox(mask: Uint8Array, w: number, h: number, margin: number, op: (m: Uint8Array, w: number, h: number) => Uint8Array): Uint8Array {
  const m = maskMoments(mask, w, h);
  if (!m.area) return new Uint8Array(w * h);
  // The set pixels' box grown by `margin`, within the frame.
  const b = { x0: Math.max(0, m.x0 - margin), y0: Math.max(0, m.y0 - margin), x1: Math.min(w, m.x1 + margin), y1: Math.min(h, m.y1 + margin) };
  const cw = b.x1 - b.x0,
    ch = b.y1 - b.y0;
  if (cw * ch > 0.8 * w * h) return op(mask, w, h);
  const sub = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) sub.set(mask.subarray((y + b.y0) * w + b.x0, (y + b.y0) * w + b.x1), y * cw);
  const res = op(sub, cw, ch);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < ch; y++) out.set(res.subarray(y * cw, (y + 1) * cw), (y + b.y0) * w + b.x0);
  return out;
}

/** Dilate by a square of radius r (separable max filter). */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  return withinBox(mask, w, h, r + 1, (m, cw, ch) => dilateFrame(m, cw, ch, r));
}

function dilateFrame(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let last = -Infinity;
    // forward pass: distance to last set pixel on the left; then a backward pass for the right.
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) last = x;
      if (x - last <= r) tmp[y * w + x] = 1;
    }
    last = Infinity;
    for (let x = w - 1; x >= 0; x--) {
      if (mask[y * w + x]) last = x;
      if (last - x <= r) tmp[y * w + x] = 1;
    }
  }
  // The vertical passes row by row (the last set row per column), in memory order.
  const out = new Uint8Array(w * h);
  const last = new Int32Array(w).fill(-r - 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (tmp[row + x]) last[x] = y;
      if (y - last[x]! <= r) out[row + x] = 1;
    }
  }
  last.fill(h + r + 1);
  for (let y = h - 1; y >= 0; y--) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (tmp[row + x]) last[x] = y;
      if (last[x]! - y <= r) out[row + x] = 1;
    }
  }
  return out;
}

/** Erode by a square of radius r (the complement of dilating the complement; outside the frame counts as set). */
export function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  // Within the box grown by one pixel: a clear border around the set pixels erodes as the frame would.
  return withinBox(mask, w, h, 1, (m, cw, ch) => erodeFrame(m, cw, ch, r));
}

function erodeFrame(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const inv = new Uint8Array(w * h);
  for (let i = 0; i < inv.length; i++) inv[i] = mask[i] ? 0 : 1;
  const grown = dilateFrame(inv, w, h, r);
  for (let i = 0; i < grown.length; i++) grown[i] = grown[i] ? 0 : 1;
  return grown;
}

/** Morphological closing (dilate, then erode) by a square of radius r: fills cracks and gaps narrower than about 2r. */
export function close(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return r <= 0 ? mask.slice() : erode(dilate(mask, w, h, r), w, h, r);
}

export interface Component {
  area: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Label 8-connected components; returns the label image (0 = none, k = component k-1) and the components,
 * numbered in the raster order of their first pixel. Runs of set pixels per row are joined to the runs they
 * touch in the row above (union-find), so a large region costs its runs, not a visit of each neighbour.
 */
export function components(mask: Uint8Array, w: number, h: number): { labels: Int32Array; comps: Component[] } {
  const starts: number[] = [],
    ends: number[] = [],
    rows: number[] = [],
    parent: number[] = [];
  const find = (r: number): number => {
    let root = r;
    while (parent[root]! !== root) root = parent[root]!;
    while (parent[r]! !== root) {
      const next = parent[r]!;
      parent[r] = root;
      r = next;
    }
    return root;
  };
  const union = (a: number, b: number) => {
    const ra = find(a),
      rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  let prevFirst = 0,
    prevEnd = 0;
  for (let y = 0; y < h; y++) {
    const first = starts.length;
    const row = y * w;
    for (let x = 0; x < w; ) {
      if (!mask[row + x]) {
        x++;
        continue;
      }
      const s0 = x;
      while (x < w && mask[row + x]) x++;
      const id = starts.length;
      starts.push(s0);
      ends.push(x);
      rows.push(y);
      parent.push(id);
      // 8-connected to a run above that covers [s0 - 1, x] (ends are exclusive).
      let j = prevFirst;
      while (j < prevEnd && ends[j]! < s0) j++;
      for (let k = j; k < prevEnd && starts[k]! <= x; k++) union(id, k);
      prevFirst = j;
    }
    prevFirst = first;
    prevEnd = starts.length;
  }
  const labels = new Int32Array(w * h);
  const comps: Component[] = [];
  const labelOf = new Int32Array(starts.length);
  for (let r = 0; r < starts.length; r++) {
    const root = find(r);
    let id = labelOf[root]!;
    if (!id) {
      id = labelOf[root] = comps.length + 1;
      comps.push({ area: 0, x0: w, y0: h, x1: 0, y1: 0 });
    }
    const c = comps[id - 1]!,
      s0 = starts[r]!,
      e0 = ends[r]!,
      y = rows[r]!;
    c.area += e0 - s0;
    if (s0 < c.x0) c.x0 = s0;
    if (e0 > c.x1) c.x1 = e0;
    if (y < c.y0) c.y0 = y;
    if (y + 1 > c.y1) c.y1 = y + 1;
    labels.fill(id, y * w + s0, y * w + e0);
  }
  return { labels, comps };
}

/** Fill the holes of a mask (unset components not touching the frame) smaller than `fraction` of its set area. */
export function fillHoles(mask: Uint8Array, w: number, h: number, fraction: number): Uint8Array {
  const inv = new Uint8Array(w * h);
  let area = 0;
  for (let i = 0; i < inv.length; i++) {
    if (mask[i]) area++;
    else inv[i] = 1;
  }
  const { labels, comps } = components(inv, w, h);
  const fill = comps.map((c) => c.x0 > 0 && c.y0 > 0 && c.x1 < w && c.y1 < h && c.area < fraction * area);
  if (!fill.some(Boolean)) return mask;
  const out = mask.slice();
  for (let i = 0; i < out.length; i++) {
    const l = labels[i]!;
    if (l && fill[l - 1]) out[i] = 1;
  }
  return out;
}
