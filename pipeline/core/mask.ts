/** Binary-mask helpers on Uint8Array masks (1 = set), row-major width × height. */

/** Dilate by a square of radius r (separable max filter). */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
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
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let last = -Infinity;
    for (let y = 0; y < h; y++) {
      if (tmp[y * w + x]) last = y;
      if (y - last <= r) out[y * w + x] = 1;
    }
    last = Infinity;
    for (let y = h - 1; y >= 0; y--) {
      if (tmp[y * w + x]) last = y;
      if (last - y <= r) out[y * w + x] = 1;
    }
  }
  return out;
}

/** Erode by a square of radius r (the complement of dilating the complement; outside the frame counts as set). */
export function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const inv = new Uint8Array(w * h);
  for (let i = 0; i < inv.length; i++) inv[i] = mask[i] ? 0 : 1;
  const grown = dilate(inv, w, h, r);
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

/** Label 8-connected components; returns the label image (0 = none, k = component k-1) and the components. */
export function components(mask: Uint8Array, w: number, h: number): { labels: Int32Array; comps: Component[] } {
  const labels = new Int32Array(w * h);
  const comps: Component[] = [];
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = comps.length + 1;
    const c: Component = { area: 0, x0: w, y0: h, x1: 0, y1: 0 };
    let sp = 0;
    stack[sp++] = start;
    labels[start] = id;
    while (sp > 0) {
      const p = stack[--sp]!;
      const x = p % w, y = (p - x) / w;
      c.area++;
      if (x < c.x0) c.x0 = x;
      if (x + 1 > c.x1) c.x1 = x + 1;
      if (y < c.y0) c.y0 = y;
      if (y + 1 > c.y1) c.y1 = y + 1;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = id;
            stack[sp++] = q;
          }
        }
      }
    }
    comps.push(c);
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
