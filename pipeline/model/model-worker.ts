/**
 * The worker thread that runs one `model()` for isolate.ts: events and the result go back as messages; anything thrown
 * becomes a plain object (a XoayError keeps its stage, code and file; anything else its name and first line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isXoayError } from '../core/errors.js';
import { model, type ModelOptions } from './model.js';

export interface ModelWorkerData {
  input: string;
  output: string;
  options: Partial<ModelOptions>;
}

export type ModelWorkerMessage =
  | { type: 'event'; stage: string }
  | { type: 'done'; result: Awaited<ReturnType<typeof model>> }
  | { type: 'error'; xoay: boolean; stage?: string; code?: string; file?: string; message: string };

const port = parentPort!;
const { input, output, options } = workerData as ModelWorkerData;
try {
  const result = await model(input, output, options, { onEvent: (e) => port.postMessage({ type: 'event', stage: e.stage } satisfies ModelWorkerMessage) });
  port.postMessage({ type: 'done', result } satisfies ModelWorkerMessage);
} catch (e) {
  const msg: ModelWorkerMessage = isXoayError(e)
    ? { type: 'error', xoay: true, stage: e.stage, code: e.code, file: e.file, message: e.message }
    : { type: 'error', xoay: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  port.postMessage(msg);
}
