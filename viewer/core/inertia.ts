/**
 * Inertia for drags and swipes: the release velocity (from the last ~100 ms of samples) decays exponentially, so a
 * flick keeps turning the spin and slows to a stop. Pure: time is passed in.
 */

export interface InertiaOptions {
  /** Velocity lost per second, as a fraction (0.98: 2 % of it is left after one second). */
  friction: number;
  /** Below this speed (units per second) the motion stops. */
  minSpeed: number;
  /** Samples older than this (ms) do not count towards the release velocity. */
  window: number;
}

export const INERTIA_DEFAULTS: InertiaOptions = { friction: 0.98, minSpeed: 2, window: 100 };

export interface Inertia {
  /** A position sample during the drag (time in ms). */
  sample(position: number, time: number): void;
  /** The release: the velocity (units per second) the motion starts with. */
  release(time: number): number;
  /** Starts moving at `velocity` units per second (e.g. the release velocity converted to other units). */
  launch(velocity: number): void;
  /** Advance by `dt` ms: how far to move, or null when the motion has stopped. */
  step(dt: number): number | null;
  /** Stop at once (a new touch). */
  stop(): void;
  readonly moving: boolean;
}

export function createInertia(options?: Partial<InertiaOptions>): Inertia {
  const o: InertiaOptions = { ...INERTIA_DEFAULTS, ...options }; // internal options: the viewer never passes undefined
  let samples: { p: number; t: number }[] = [];
  let velocity = 0;
  // Per-millisecond decay so that after 1000 ms `friction` of the speed is gone.
  const decay = Math.pow(1 - o.friction, 1 / 1000);
  return {
    sample(p, t) {
      samples.push({ p, t });
      samples = samples.filter((s) => t - s.t <= o.window);
      velocity = 0;
    },
    release(t) {
      const recent = samples.filter((s) => t - s.t <= o.window);
      samples = [];
      if (recent.length < 2) return (velocity = 0);
      const a = recent[0]!,
        b = recent[recent.length - 1]!;
      velocity = b.t > a.t ? ((b.p - a.p) / (b.t - a.t)) * 1000 : 0;
      if (Math.abs(velocity) < o.minSpeed) velocity = 0;
      return velocity;
    },
    launch(v) {
      samples = [];
      velocity = Math.abs(v) < o.minSpeed ? 0 : v;
    },
    step(dt) {
      if (velocity === 0) return null;
      // Distance travelled over dt under exponential decay: v·(1 − k^dt)/(−ln k).
      const k = decay;
      const d = (velocity / 1000) * ((1 - Math.pow(k, dt)) / -Math.log(k));
      velocity *= Math.pow(k, dt);
      if (Math.abs(velocity) < o.minSpeed) velocity = 0;
      return d;
    },
    stop() {
      velocity = 0;
      samples = [];
    },
    get moving() {
      return velocity !== 0;
    },
  };
}
