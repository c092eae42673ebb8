/**
 * Isolation: `model()` on untrusted input runs in a worker thread with a memory cap and a time limit, so a crash in the
 * glTF-Validator's compiled Dart code, a stack overflow in a library, a runaway allocation or a loop that never ends
 * becomes one line naming the file and the stage (a XoayError), never the end of the process (one product of a
 * catalogue, a whole `xoay build`). The calling thread stays free: a signal, an abort or the time limit terminates the
 * worker at once, and the temporary output the worker had started is removed.
 *
 * The worker runs the compiled module (dist/pipeline/model/model-worker.js): beside this file when it is compiled,
 * from dist/ when this file runs from the sources (vitest builds dist/ first).
 */
import { readdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import 'sharp'; // loaded by the main thread first, as sharp asks of programs that use it in worker threads
import { oneLine, XoayError, type XoayErrorCode } from '../core/errors.js';
import { tmpName } from '../core/fsout.js';
import { assertInteger, withDefaults } from '../core/options.js';
import type { ModelEvent, ModelOptions, ModelReport } from './model.js';
import type { ModelWorkerData, ModelWorkerMessage } from './model-worker.js';

const STAGE = 'model';

export interface IsolateOptions {
  /** Memory cap of the worker's JavaScript heap, MiB (what a runaway model may take before it is stopped). */
  maxMemoryMb: number;
  /** Time limit for one model, seconds (0: none). */
  timeoutSeconds: number;
}

export const ISOLATE_DEFAULTS: IsolateOptions = { maxMemoryMb: 2048, timeoutSeconds: 1200 };

/** The compiled worker module. */
export function workerFile(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./model-worker.js', import.meta.url);
  const root = path.resolve(path.dirname(here), '../..');
  const built = path.join(root, 'dist/pipeline/model/model-worker.js');
  if (!existsSync(built)) throw new XoayError(STAGE, 'INPUT_MISSING', 'the model worker is not built: run `npm run build`', built);
  return new URL(`file://${built}`);
}

/** Removes what a stopped worker left next to `output`: its temporary folders (this process's), and the folders made for it. */
function removeLeftovers(output: string, createdTop: string | undefined): void {
  const abs = path.resolve(output);
  const parent = path.dirname(abs);
  const prefix = tmpName(abs, `${process.pid}-`);
  try {
    for (const name of readdirSync(parent)) if (name.startsWith(prefix)) rmSync(path.join(parent, name), { recursive: true, force: true });
  } catch {
    /* the parent is gone */
  }
  if (createdTop && !existsSync(abs)) rmSync(createdTop, { recursive: true, force: true });
}

/** The first folder on the way to `output` that does not exist yet (the worker may create it). */
function firstMissing(output: string): string | undefined {
  let top: string | undefined;
  for (let d = path.dirname(path.resolve(output)); !existsSync(d); d = path.dirname(d)) {
    top = d;
    if (path.dirname(d) === d) break;
  }
  return top;
}

/** `model()` in a worker thread: the same result, or one-line XoayErrors for crashes, memory, time and aborts. */
export async function modelIsolated(
  input: string,
  output: string,
  opts?: Partial<ModelOptions>,
  ctx: { onEvent?: (e: ModelEvent) => void; isolate?: Partial<IsolateOptions>; signal?: AbortSignal } = {},
): Promise<{ output: string; report: ModelReport }> {
  const iso = withDefaults(ISOLATE_DEFAULTS, ctx.isolate);
  assertInteger(STAGE, 'maxMemoryMb', iso.maxMemoryMb, 64, 1 << 20);
  assertInteger(STAGE, 'timeoutSeconds', iso.timeoutSeconds, 0, 1e7);
  const file = path.resolve(input);
  const createdTop = firstMissing(output);
  const data: ModelWorkerData = { input, output, options: opts ?? {} };
  const worker = new Worker(workerFile(), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: iso.maxMemoryMb, maxYoungGenerationSizeMb: Math.min(64, iso.maxMemoryMb / 8) },
    stdout: false,
    stderr: false,
  });
  // Ctrl-C or a kill while the worker runs: main.ts exits through process.exit; the worker's own clean-up may not run.
  const onExit = () => removeLeftovers(output, createdTop);
  process.once('exit', onExit);
  let stage = 'read';
  const failure = (code: XoayErrorCode, problem: string) => new XoayError(stage, code, problem, file);
  try {
    return await new Promise((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ctx.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const stop = (e: XoayError) => finish(() => void worker.terminate().finally(() => reject(e)));
      const timer = iso.timeoutSeconds
        ? setTimeout(
            () => stop(failure('LIMIT', `took longer than the time limit of ${iso.timeoutSeconds} s in the ${stage} stage; stopped`)),
            iso.timeoutSeconds * 1000,
          )
        : undefined;
      const onAbort = () => stop(failure('CANCELLED', `cancelled in the ${stage} stage`));
      if (ctx.signal?.aborted) return onAbort();
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: ModelWorkerMessage) => {
        if (m.type === 'event') {
          stage = m.stage;
          ctx.onEvent?.({ type: 'stage', stage: m.stage });
        } else if (m.type === 'done') finish(() => resolve(m.result));
        else if (m.xoay) {
          const e = new XoayError(m.stage ?? stage, (m.code ?? 'MODEL_INVALID') as XoayErrorCode, '', m.file);
          e.message = oneLine(m.message);
          finish(() => reject(e));
        } else
          finish(() => reject(failure('CRASHED', `this model cannot be processed: the ${stage} stage failed with ${oneLine(m.message.split('\n')[0]!, 300)}`)));
      });
      worker.on('error', (e: Error & { code?: string }) => {
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
          stop(failure('LIMIT', `needs more than the memory limit of ${iso.maxMemoryMb} MiB in the ${stage} stage; stopped`));
        else
          stop(failure('CRASHED', `this model cannot be processed: the ${stage} stage crashed with ${oneLine(String(e?.message ?? e).split('\n')[0]!, 300)}`));
      });
      worker.on('exit', (code) => finish(() => reject(failure('CRASHED', `the ${stage} stage stopped unexpectedly (exit code ${code})`))));
    });
  } catch (e) {
    removeLeftovers(output, createdTop);
    throw e;
  } finally {
    process.removeListener('exit', onExit);
  }
}
