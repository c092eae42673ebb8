/** core/run.ts: the stage events, laps, warnings and output folder every orchestrator shares. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunEvent, startRun, withOutput } from '../../../pipeline/core/run.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-run-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startRun', () => {
  it('sends stage and warning events in order, keeps the warnings, and adds up a lap timed in two parts', async () => {
    const events: RunEvent[] = [];
    const run = startRun<RunEvent>((e) => events.push(e));
    run.stage('read');
    await sleep(30);
    run.lap('read');
    run.warn('frame 3 is dark');
    await sleep(30);
    run.lap('write');
    await sleep(30);
    run.lap('read');
    expect(events).toEqual([
      { type: 'stage', stage: 'read' },
      { type: 'warning', message: 'frame 3 is dark' },
    ]);
    expect(run.warnings).toEqual(['frame 3 is dark']);
    expect(Object.keys(run.timings)).toEqual(['read', 'write']);
    // Each lap is the time since the previous one; 'read' holds both of its parts.
    expect(run.timings.read!).toBeGreaterThanOrEqual(0.05);
    expect(run.timings.write!).toBeGreaterThanOrEqual(0.025);
    expect(run.timings.read! + run.timings.write!).toBeGreaterThanOrEqual(0.08);
  });

  it('a run with an aborted signal stops at its next stage or event: XoayError CANCELLED naming the stage that ran', () => {
    const ac = new AbortController();
    const events: RunEvent[] = [];
    const run = startRun<RunEvent>((e) => events.push(e), ac.signal);
    run.stage('analyse');
    run.emit({ type: 'warning', message: 'before the abort' });
    ac.abort();
    expect(() => run.emit({ type: 'warning', message: 'after' })).toThrow(
      expect.objectContaining({ code: 'CANCELLED', stage: 'analyse', message: 'analyse: cancelled (its AbortSignal was aborted)' }),
    );
    expect(() => run.stage('render')).toThrow(expect.objectContaining({ code: 'CANCELLED', stage: 'analyse' }));
    expect(() => run.check('segment')).toThrow(expect.objectContaining({ code: 'CANCELLED', stage: 'segment' }));
    expect(events).toEqual([
      { type: 'stage', stage: 'analyse' },
      { type: 'warning', message: 'before the abort' },
    ]);
  });

  it('sends nothing without a listener', () => {
    const run = startRun();
    run.stage('x');
    run.warn('w');
    expect(run.warnings).toEqual(['w']);
  });
});

describe('withOutput', () => {
  it('moves the folder into place when the body returns, and returns its result', async () => {
    const target = path.join(tmp, 'done');
    const r = await withOutput(target, { stage: 'test', inputs: [], force: false }, async (out) => {
      await out.write('a/b.txt', 'hello');
      return 42;
    });
    expect(r).toBe(42);
    expect(await readFile(path.join(target, 'a/b.txt'), 'utf8')).toBe('hello');
    expect((await readdir(tmp)).filter((n) => n.includes('.xoay-tmp-'))).toEqual([]);
  });

  it('leaves nothing behind when the body throws, and passes the error on', async () => {
    const target = path.join(tmp, 'nested/failed');
    await expect(
      withOutput(target, { stage: 'test', inputs: [], force: false }, async (out) => {
        await out.write('half.txt', 'half');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readdir(tmp)).not.toContain('nested');
  });

  it('refuses an existing output before the body runs', async () => {
    let ran = false;
    await expect(
      withOutput(path.join(tmp, 'done'), { stage: 'test', inputs: [], force: false }, async () => {
        ran = true;
      }),
    ).rejects.toThrow(/the output already exists/);
    expect(ran).toBe(false);
  });
});
