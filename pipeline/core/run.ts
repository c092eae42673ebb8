/**
 * What the file-writing orchestrators (`spin`, `model`, `reconstruct`) repeat, in one place: stage events,
 * lap timings, warnings (kept for the report and sent as events), and the output folder's life cycle (opened
 * before the first byte is written, committed when the step list has finished, aborted on any error).
 *
 *   const run = startRun<SpinEvent>(ctx.onEvent);
 *   return withOutput(output, { stage: STAGE, inputs: [input], force: o.force }, async (out) => {
 *     run.stage('ingest');
 *     const set = await ingest(…);
 *     run.lap('ingest');
 *     …
 *   });
 */
import { XoayError } from './errors.js';
import { openOutput, type OpenOutputOptions, type OutputFolder } from './fsout.js';

/** The events every run sends: a stage begins, or a warning for the user. */
export type RunEvent = { type: 'stage'; stage: string } | { type: 'warning'; message: string };

export interface Run<E> {
  /** Seconds per step, in the order the steps ran (a step timed in several parts adds up). */
  readonly timings: Record<string, number>;
  /** Every warning given so far (for the report). */
  readonly warnings: string[];
  /** Announce a stage: a `{ type: 'stage', stage }` event (after checking that the run was not cancelled). */
  stage(name: string): void;
  /** Close a lap: the time since the previous lap (or the start) is added to `timings[name]`. */
  lap(name: string): void;
  /** Record a warning and send it as a `{ type: 'warning', message }` event. */
  warn(message: string): void;
  /** Send any other event (progress and the like; a frame done), after checking that the run was not cancelled. */
  emit(event: E): void;
  /** Throw XoayError CANCELLED (naming the stage) when the run's signal has been aborted. */
  check(stage: string): void;
}

/** Throw XoayError CANCELLED, naming `stage`, when `signal` has been aborted (an API caller's AbortSignal). */
export function checkSignal(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new XoayError(stage, 'CANCELLED', 'cancelled (its AbortSignal was aborted)');
}

/**
 * Start a run. `onEvent` receives every event (none are sent when it is missing). `signal` cancels the run at its
 * next stage or progress event (between steps and between frames): the error thrown there goes through
 * `withOutput`, which removes the temporary output.
 */
export function startRun<E = RunEvent>(onEvent?: (event: E) => void, signal?: AbortSignal): Run<E> {
  const warnings: string[] = [];
  const send = (onEvent ?? (() => {})) as (event: E | RunEvent) => void;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  let current: string | undefined;
  const check = (stage: string) => checkSignal(signal, stage);
  return {
    timings,
    warnings,
    check,
    stage(stage) {
      check(current ?? stage);
      current = stage;
      send({ type: 'stage', stage });
    },
    lap(name) {
      const t = performance.now();
      timings[name] = Math.round((timings[name] ?? 0) * 1000 + (t - t0)) / 1000;
      t0 = t;
    },
    warn(message) {
      warnings.push(message);
      send({ type: 'warning', message });
    },
    emit(event) {
      check(current ?? 'start');
      send(event);
    },
  };
}

/**
 * Open an atomic output folder (pipeline/core/fsout.ts), run `body` in it, and move the folder into place when
 * `body` returns; on any error the temporary folder is removed and the error passed on. The destination is
 * checked (not inside an input, not existing without `force`, writable) before `body` starts.
 */
export async function withOutput<T>(target: string, options: OpenOutputOptions, body: (out: OutputFolder) => Promise<T>): Promise<T> {
  const out = await openOutput(target, options);
  try {
    const result = await body(out);
    await out.commit();
    return result;
  } catch (e) {
    await out.abort();
    throw e;
  }
}
