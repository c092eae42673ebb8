/**
 * Re-centre (dewobble): an object placed off the turntable axis orbits, so its centre traces a
 * first harmonic over a full turn. Fit x(θ) = a + b·sin θ + c·cos θ (and the same for y) to the
 * frame centres and remove the harmonic, keeping the shape-dependent residual.
 */
export interface RecentreOptions {
  /** Remove the orbit (false: measure it only). */
  enabled: boolean;
}

export const RECENTRE_DEFAULTS: RecentreOptions = { enabled: true };

export interface Harmonic {
  /** Mean (the axis position). */
  a: number;
  /** sin and cos coefficients. */
  b: number;
  c: number;
  /** Amplitude √(b² + c²). */
  amplitude: number;
}

/** Angle of frame i of n, for a full turn in equal steps. */
export function frameAngle(i: number, n: number): number {
  return (2 * Math.PI * i) / n;
}

/** Least-squares first-harmonic fit over equally spaced angles (exact closed form for a full turn). */
export function fitHarmonic(values: readonly number[]): Harmonic {
  const n = values.length;
  let a = 0,
    b = 0,
    c = 0;
  for (let i = 0; i < n; i++) {
    const t = frameAngle(i, n);
    a += values[i]!;
    b += values[i]! * Math.sin(t);
    c += values[i]! * Math.cos(t);
  }
  a /= n;
  b = (2 * b) / n;
  c = (2 * c) / n;
  return { a, b, c, amplitude: Math.hypot(b, c) };
}

export function harmonicAt(h: Harmonic, i: number, n: number): number {
  const t = frameAngle(i, n);
  return h.b * Math.sin(t) + h.c * Math.cos(t);
}

export interface OrbitMeasure {
  /** Fitted harmonics of the centre's x and y. */
  x: Harmonic;
  y: Harmonic;
  /** Orbit amplitude: the larger of the x and y amplitudes, in pixels. */
  orbit: number;
  /** Std of the frame-to-frame change of the centre after removing the orbit, in pixels. */
  jitter: number;
}

/** Measure the orbit and residual jitter of a row's centres (in any pixel unit). */
export function measureOrbit(centres: readonly { x: number; y: number }[]): OrbitMeasure {
  const n = centres.length;
  const x = fitHarmonic(centres.map((c) => c.x));
  const y = fitHarmonic(centres.map((c) => c.y));
  const steps: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const rx = centres[j]!.x - harmonicAt(x, j, n) - (centres[i]!.x - harmonicAt(x, i, n));
    const ry = centres[j]!.y - harmonicAt(y, j, n) - (centres[i]!.y - harmonicAt(y, i, n));
    steps.push(Math.hypot(rx, ry));
  }
  // Over a closed turn the residual steps sum to zero, so their RMS is their standard deviation.
  const rms = Math.sqrt(steps.reduce((s, v) => s + v * v, 0) / n);
  return { x, y, orbit: Math.max(x.amplitude, y.amplitude), jitter: rms };
}

/**
 * The shift (in the centres' pixel unit) that moves each frame so its orbit is removed: the object
 * then turns about its own mean position.
 */
export function recentre(centres: readonly { x: number; y: number }[], opts?: Partial<RecentreOptions>): { dx: number; dy: number }[] {
  const o = { ...RECENTRE_DEFAULTS, ...opts };
  const n = centres.length;
  if (!o.enabled) return centres.map(() => ({ dx: 0, dy: 0 }));
  const m = measureOrbit(centres);
  return centres.map((_, i) => ({ dx: -harmonicAt(m.x, i, n), dy: -harmonicAt(m.y, i, n) }));
}
