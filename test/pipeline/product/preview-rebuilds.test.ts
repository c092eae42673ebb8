/**
 * The rebuilds of `xoay preview` (pipeline/product/preview-rebuilds.ts): builds one at a time, none lost, a change during
 * a build runs exactly one more; changed files handed over once the folder has been quiet. The build is a function
 * passed in (the preview's injected I/O): here one that records its runs and ends when the test says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { changeBatch, rebuildQueue } from '../../../pipeline/product/preview-rebuilds.js';

/** A build that records when it starts and ends, and ends when `finish()` is called. */
function gatedBuild() {
  const log: string[] = [];
  let running = 0;
  let most = 0;
  let release: (() => void)[] = [];
  let runs = 0;
  const task = async () => {
    const n = ++runs;
    running++;
    most = Math.max(most, running);
    log.push(`start ${n}`);
    await new Promise<void>((resolve) => release.push(resolve));
    log.push(`end ${n}`);
    running--;
  };
  return {
    task,
    log,
    most: () => most,
    /** Ends the build in progress (once it has started). */
    async finish() {
      await vi.waitFor(() => expect(release.length).toBeGreaterThan(0));
      const r = release;
      release = [];
      for (const f of r) f();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('rebuildQueue', () => {
  it('runs the build now when none is running, and is idle after', async () => {
    const b = gatedBuild();
    const q = rebuildQueue(b.task);
    const done = q.run();
    expect(q.running).toBe(done);
    await b.finish();
    await done;
    expect(b.log).toEqual(['start 1', 'end 1']);
    expect(q.running).toBeUndefined();
  });

  it('runs one build at a time; changes during a build run it exactly once more after', async () => {
    const b = gatedBuild();
    const q = rebuildQueue(b.task);
    const first = q.run();
    await vi.waitFor(() => expect(b.log).toEqual(['start 1']));
    // Three changes while the first build runs: one more build, not three, and not at the same time.
    const second = q.run();
    const third = q.run();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await b.finish();
    await vi.waitFor(() => expect(b.log).toEqual(['start 1', 'end 1', 'start 2']));
    await b.finish();
    await first;
    expect(b.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(b.most()).toBe(1);
    expect(q.running).toBeUndefined();
  });

  it('loses no change: one made during the extra build runs yet another', async () => {
    const b = gatedBuild();
    const q = rebuildQueue(b.task);
    const done = q.run();
    void q.run();
    await b.finish();
    await vi.waitFor(() => expect(b.log).toEqual(['start 1', 'end 1', 'start 2']));
    void q.run();
    await b.finish();
    await b.finish();
    await done;
    expect(b.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(b.most()).toBe(1);
  });

  it('a failed build rejects its run; the next change builds again', async () => {
    let runs = 0;
    const q = rebuildQueue(async () => {
      runs++;
      if (runs === 1) throw new Error('build: bad product.json');
    });
    await expect(q.run()).rejects.toThrow('build: bad product.json');
    expect(q.running).toBeUndefined();
    await q.run();
    expect(runs).toBe(2);
  });

  it('close: the build in progress ends, no more after it; its error ignored', async () => {
    const b = gatedBuild();
    const q = rebuildQueue(b.task);
    void q.run();
    await vi.waitFor(() => expect(b.log).toEqual(['start 1']));
    void q.run();
    const closed = q.close();
    await b.finish();
    await closed;
    expect(b.log).toEqual(['start 1', 'end 1']);

    const failing = rebuildQueue(async () => {
      throw new Error('build: failed');
    });
    failing.run().catch(() => {});
    await expect(failing.close()).resolves.toBeUndefined();
  });
});

describe('changeBatch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the changed files over once, after `quiet` ms without a change', () => {
    vi.useFakeTimers();
    const flushed: string[][] = [];
    const batch = changeBatch(100, (files) => flushed.push(files));
    batch.add('a/product.json');
    vi.advanceTimersByTime(60);
    batch.add('a/story.md');
    vi.advanceTimersByTime(60);
    // 120 ms since the first change, 60 since the last: still gathering.
    batch.add('a/product.json');
    vi.advanceTimersByTime(99);
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushed).toEqual([['a/product.json', 'a/story.md']]);
    // The next change starts a new batch.
    batch.add('b/product.json');
    vi.advanceTimersByTime(100);
    expect(flushed).toEqual([['a/product.json', 'a/story.md'], ['b/product.json']]);
    vi.advanceTimersByTime(1000);
    expect(flushed).toHaveLength(2);
  });

  it('close: the files gathered are not handed over, later changes are ignored', () => {
    vi.useFakeTimers();
    const flushed: string[][] = [];
    const batch = changeBatch(100, (files) => flushed.push(files));
    batch.add('a/product.json');
    batch.close();
    batch.add('a/story.md');
    vi.advanceTimersByTime(1000);
    expect(flushed).toEqual([]);
  });
});
