/**
 * The helper thread of a row's segmentation (helper.ts): it shares the row's frames, makes the part of
 * the plate's first step it is asked for, takes frames of the first pass from the queue it shares with
 * the main thread, and keeps its first-pass results for the last pass of those frames.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RgbImage } from '../core/frames.js';
import type { FrameClasses } from './classify.js';
import type { HelperRequest } from './helper.js';
import { claimFrame, type FinishedFrame, type FramePassOptions, finishFrame, firstPass, takeFrame } from './passes.js';
import { agreeRange, type Plate } from './plate.js';

const { frames, options } = workerData as { frames: RgbImage[]; options: FramePassOptions };
let plate: Plate | null = null;
const first = new Map<number, FrameClasses>();

parentPort!.on('message', (msg: HelperRequest) => {
  if (msg.cmd === 'plate') {
    plate = msg.plate;
  } else if (msg.cmd === 'agree') {
    const n = msg.k1 - msg.k0;
    const rgb = new Float32Array(n * 3),
      spread = new Float32Array(n);
    agreeRange(frames, msg.inv, msg.K, msg.k0, msg.k1, rgb, spread, msg.k0);
    parentPort!.postMessage({ rgb, spread }, [rgb.buffer, spread.buffer]);
  } else if (msg.cmd === 'first') {
    const out = [];
    for (let i = takeFrame(msg.queue); i >= 0; i = takeFrame(msg.queue)) {
      const r = firstPass(frames[i]!, plate!, i, options, msg.queue);
      first.set(i, r.classes);
      out.push(r);
    }
    parentPort!.postMessage(out);
  } else {
    const out: { i: number; done: FinishedFrame }[] = [];
    msg.indices.forEach((i, j) => {
      if (claimFrame(msg.queue, i)) out.push({ i, done: finishFrame(frames[i]!, plate!, i, first.get(i)!, msg.lines[j]!, options) });
    });
    parentPort!.postMessage(out, out.flatMap(({ done: f }) => [f.mask.buffer, f.alpha.buffer, f.classes.buffer]) as ArrayBuffer[]);
  }
});
