/**
 * The rebuilds of `xoay preview` (pipeline/product/preview.ts): changed files gathered until the folder has been quiet
 * for a while, and builds run one at a time, none lost (a change during a build runs it once more after).
 */

export interface RebuildQueue {
  /** Runs the task now, or once more after the run in progress; resolves when the runs have ended. */
  run(): Promise<void>;
  /** The run in progress, if any. */
  readonly running: Promise<void> | undefined;
  /** No run after the one in progress; resolves when it has ended (its error ignored). */
  close(): Promise<void>;
}

export function rebuildQueue(task: () => Promise<void>): RebuildQueue {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  return {
    run() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        do {
          again = false;
          await task();
        } while (again && !closed);
      })().finally(() => {
        running = undefined;
      });
      return running;
    },
    get running() {
      return running;
    },
    async close() {
      closed = true;
      await running?.catch(() => {});
    },
  };
}

export interface ChangeBatch {
  /** A file changed: `flush` gets it with the others once no file has changed for the quiet time. */
  add(file: string): void;
  /** Stops: the files gathered are not handed over, further changes are ignored. */
  close(): void;
}

/** Gathers changed files and hands them over after `quiet` ms without a change. */
export function changeBatch(quiet: number, flush: (files: string[]) => void): ChangeBatch {
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  return {
    add(file) {
      if (closed) return;
      changed.add(file);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed];
        changed = new Set();
        flush(files);
      }, quiet);
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
