/** Frame maths for a turntable spin: wrap-around indices, angles, drag distance to frames, load order. Pure. */

/** `i` wrapped into 0…n−1 (negative indices count from the end). */
export function wrap(i: number, n: number): number {
  return ((Math.round(i) % n) + n) % n;
}

/** The angle of frame `i` of `n` in degrees, 0 ≤ angle < 360 (frames are equal steps over one turn). */
export function angleOf(i: number, n: number): number {
  return (wrap(i, n) * 360) / n;
}

/**
 * How many frames a horizontal drag of `dx` CSS pixels turns, for an element `width` pixels wide: one full turn per
 * `turnsPerWidth`⁻¹ widths (a drag across the whole element turns it once by default, like Sirv and PhotoRobot).
 * Dragging right turns the object so its front moves right: frames advance for a counter-clockwise shoot.
 */
export function framesForDrag(dx: number, width: number, n: number, turnsPerWidth = 1): number {
  if (width <= 0) return 0;
  return (dx / width) * n * turnsPerWidth;
}

/** The shorter signed distance from frame a to frame b on a ring of n (−n/2 < d ≤ n/2). */
export function ringDistance(a: number, b: number, n: number): number {
  let d = wrap(b - a, n);
  if (d > n / 2) d -= n;
  return d;
}

/**
 * Load order for a ring of `n` frames starting at `start`: spread out so any prefix covers the turn evenly —
 * the start, then every 180°, 90°, 45° … (a van der Corput sequence over the ring), each frame once.
 */
export function spreadOrder(n: number, start = 0): number[] {
  const out: number[] = [];
  const seen = new Uint8Array(n);
  const push = (i: number) => {
    const k = wrap(i, n);
    if (!seen[k]) {
      seen[k] = 1;
      out.push(k);
    }
  };
  push(start);
  for (let parts = 2; out.length < n && parts <= 2 * n; parts *= 2) {
    for (let j = 1; j < parts; j += 2) push(start + Math.round((j * n) / parts));
  }
  for (let i = 0; i < n; i++) push(start + i); // anything rounding skipped
  return out;
}

/** The frames within `radius` of `center` on a ring of n, nearest first (the window kept decoded). */
export function windowAround(center: number, radius: number, n: number): number[] {
  const out = [wrap(center, n)];
  for (let d = 1; d <= radius && out.length < n; d++) {
    for (const k of [wrap(center + d, n), wrap(center - d, n)]) if (!out.includes(k)) out.push(k);
  }
  return out;
}
