/**
 * Autoplay: turns the spin at a steady pace with requestAnimationFrame; never under prefers-reduced-motion; stops for
 * good on the first interaction; pauses while the viewer is off screen.
 */
export interface Autoplay {
  start(): void;
  /** Stops (an interaction): it does not come back. */
  stop(): void;
  /** Off screen / back on screen. */
  pause(): void;
  resume(): void;
  readonly running: boolean;
}

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** `advance(frames)` is called with the (fractional) frames to move; `secondsPerTurn` for a whole turn of `frames`. */
export function createAutoplay(frames: () => number, advance: (by: number) => void, secondsPerTurn = 8): Autoplay {
  let wanted = false,
    paused = false,
    raf = 0,
    last = 0;
  const tick = (t: number) => {
    if (last) advance(((t - last) / 1000) * (frames() / secondsPerTurn));
    last = t;
    raf = requestAnimationFrame(tick);
  };
  const run = () => {
    if (!raf && wanted && !paused) {
      last = 0;
      raf = requestAnimationFrame(tick);
    }
  };
  const halt = () => {
    cancelAnimationFrame(raf);
    raf = 0;
  };
  return {
    start() {
      if (prefersReducedMotion()) return;
      wanted = true;
      run();
    },
    stop() {
      wanted = false;
      halt();
    },
    pause() {
      paused = true;
      halt();
    },
    resume() {
      paused = false;
      run();
    },
    get running() {
      return raf !== 0;
    },
  };
}
