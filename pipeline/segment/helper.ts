/**
 * Helper: a second thread for a row's segmentation, so it uses two cores: it makes the later half of the
 * plate's first step (agreement over the turn), takes frames of the first pass (classify, mirror image)
 * from the queue it shares with this thread, and runs the last pass (matte, fill) of the frames it took.
 * Results are the same as in one thread. The frames are copied once into shared memory
 * that both threads read (not cloned into each message).
 * Available when the compiled worker (worker.js next to this module) exists; run from the TypeScript
 * sources, segmentation stays in one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../core/frames.js';
import type { FinishedFrame, FirstResult, FramePassOptions, FrameQueue } from './passes.js';
import type { AgreeHelper, Plate } from './plate.js';

export interface SegmentHelper extends AgreeHelper {
  /** Hand it the finished plate (before `first`). */
  usePlate(plate: Plate): void;
  /** The first pass of the frames it takes from the queue until none is left (it keeps them for `finish`). */
  first(queue: FrameQueue): Promise<FirstResult[]>;
  /** The last pass of the frames it took, in order, with each frame's mirror line (or null): those this thread has not claimed (the frame's index with each). */
  finish(queue: FrameQueue, indices: number[], lines: (Int32Array | null)[]): Promise<{ i: number; done: FinishedFrame }[]>;
  close(): Promise<void>;
}

/** Messages to the worker. */
export type HelperRequest =
  | { cmd: 'agree'; k0: number; k1: number; inv: number[][]; K: number }
  | { cmd: 'plate'; plate: Plate }
  | { cmd: 'first'; queue: FrameQueue }
  | { cmd: 'finish'; queue: FrameQueue; indices: number[]; lines: (Int32Array | null)[] };

const WORKER = new URL('./worker.js', import.meta.url);

/** A helper thread for `frames` (null when there is no compiled worker or too few frames to share). */
export function openHelper(frames: readonly RgbImage[], options: FramePassOptions): SegmentHelper | null {
  if (frames.length < 4 || !WORKER.href.endsWith('.js') || !existsSync(fileURLToPath(WORKER))) return null;
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
    agree: (k0, k1, inv, K) => ask({ cmd: 'agree', k0, k1, inv, K }),
    // The plate without its bookkeeping: the passes read its colours, gains, noise, size and where it was interpolated.
    usePlate: (plate) => worker.postMessage({ cmd: 'plate', plate: { ...plate, vis: new Uint8Array(0) } } satisfies HelperRequest),
    first: (queue) => ask({ cmd: 'first', queue }),
    finish: (queue, indices, lines) => ask({ cmd: 'finish', queue, indices, lines }),
    close: async () => {
      await worker.terminate();
    },
  };
}
