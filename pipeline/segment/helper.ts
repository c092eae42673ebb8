/**
 * Helper: a second thread for a row's segmentation, so it uses two cores: it makes the later half of the
 * plate's first step (agreement over the turn) and runs the per-frame passes (classify, matte, fill) of
 * every other frame. Results are the same as in one thread. The frames are copied once into shared memory
 * that both threads read (not cloned into each message).
 * Available when the compiled worker (worker.js next to this module) exists; run from the TypeScript
 * sources, segmentation stays in one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../spin/backdrop.js';
import type { FrameClasses } from './classify.js';
import type { FinishedFrame, FramePassOptions } from './passes.js';
import type { AgreeHelper, Plate } from './plate.js';

export interface SegmentHelper extends AgreeHelper {
  /** The frames whose passes this helper runs (every other one). */
  indices: number[];
  /** Hand it the finished plate (before `first`). */
  usePlate(plate: Plate): void;
  /** The first pass of its frames (it keeps them for `finish`). */
  first(): Promise<FrameClasses[]>;
  /** The last pass of its frames, with each frame's mirror line (or null). */
  finish(lines: (Int32Array | null)[]): Promise<FinishedFrame[]>;
  close(): Promise<void>;
}

/** Messages to the worker. */
export type HelperRequest =
  | { cmd: 'agree'; k0: number; k1: number; inv: number[][]; K: number }
  | { cmd: 'plate'; plate: Plate }
  | { cmd: 'first'; indices: number[] }
  | { cmd: 'finish'; indices: number[]; lines: (Int32Array | null)[] };

const WORKER = new URL('./worker.js', import.meta.url);

/** A helper thread for `frames` (null when there is no compiled worker or too few frames to share). */
export function openHelper(frames: readonly RgbImage[], options: FramePassOptions): SegmentHelper | null {
  if (frames.length < 4 || !WORKER.href.endsWith('.js') || !existsSync(fileURLToPath(WORKER))) return null;
  const indices = frames.map((_, i) => i).filter((i) => i % 2 === 1);
  const shared = frames.map((f) => {
    const data = new Uint8Array(new SharedArrayBuffer(f.data.length));
    data.set(f.data);
    return { ...f, data };
  });
  // Not unref'd: while this thread awaits the helper's answer, the helper is what keeps the process alive.
  const worker = new Worker(WORKER, { workerData: { frames: shared, options } });
  let failure: Error | null = null;
  worker.on('error', (e) => (failure = e));
  // One request at a time, answered in order.
  let queue: Promise<unknown> = Promise.resolve();
  const ask = <T>(msg: HelperRequest): Promise<T> => {
    const next = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          if (failure) return reject(failure);
          const onMessage = (v: T) => {
            worker.off('error', onError);
            resolve(v);
          };
          const onError = (e: Error) => {
            worker.off('message', onMessage);
            reject(e);
          };
          worker.once('message', onMessage);
          worker.once('error', onError);
          worker.postMessage(msg);
        }),
    );
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    indices,
    agree: (k0, k1, inv, K) => ask({ cmd: 'agree', k0, k1, inv, K }),
    // The plate without its bookkeeping: the passes read its colours, gains, noise, size and where it was interpolated.
    usePlate: (plate) => worker.postMessage({ cmd: 'plate', plate: { ...plate, vis: new Uint8Array(0) } } satisfies HelperRequest),
    first: () => ask({ cmd: 'first', indices }),
    finish: (lines) => ask({ cmd: 'finish', indices, lines }),
    close: async () => {
      await worker.terminate();
    },
  };
}
