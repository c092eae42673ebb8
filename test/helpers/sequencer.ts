/**
 * The order vitest starts the test files in: the longest first, so that the two workers end together (longest
 * processing time first). A file's duration is its last run's from vitest's cache (node_modules/.vite/vitest) when
 * there is one, else the estimate below; files known to neither keep vitest's own order (larger files first). Without
 * this, a fresh checkout starts the largest files first, and a small but long file (seg-truth: 3 KB, 382 s) ran last,
 * alone for its last ~320 s while the other worker had nothing left to do.
 */
import path from 'node:path';
import type { TestSequencer, TestSpecification, Vitest } from 'vitest/node';

/**
 * Seconds per file of a full run (`npx vitest run --reporter=json`, 2 workers, a machine shared with another suite:
 * only the order matters), the files over 40 s; re-measure when they move.
 */
export const SLOW_FILES: Record<string, number> = {
  'test/pipeline/reconstruct/seg-truth.test.ts': 382,
  'test/pipeline/segment/segment.test.ts': 245,
  'test/cli/conventions.test.ts': 191,
  'test/pipeline/hostile-fuzz.test.ts': 176,
  'test/pipeline/reconstruct/reconstruct.test.ts': 171,
  'test/pipeline/segment/spin-plate.test.ts': 154,
  'test/cli/model-errors.test.ts': 145,
  'test/viewer/cert.test.ts': 143,
  'test/viewer/ar.test.ts': 142,
  'test/pipeline/reconstruct/sample.test.ts': 139,
  'test/pipeline/product/build.test.ts': 120,
  'test/pipeline/queue/queue.test.ts': 112,
  'test/cli/reconstruct-errors.test.ts': 112,
  'test/pipeline/spin/spin.test.ts': 106,
  'test/api/package.test.ts': 105,
  'test/viewer/model3d.test.ts': 98,
  'test/pipeline/render/fidelity.test.ts': 98,
  'test/pipeline/spin/real-data.test.ts': 96,
  'test/pipeline/model/model.test.ts': 92,
  'test/cli/spin-errors.test.ts': 88,
  'test/pipeline/render/usdz.test.ts': 81,
  'test/cli/hostile.test.ts': 78,
  'test/pipeline/reconstruct/viewer.test.ts': 66,
  'test/cli/render.test.ts': 59,
  'test/pipeline/render/render.test.ts': 49,
  'test/pipeline/model/ktx2.test.ts': 45,
  'test/viewer/i18n.test.ts': 42,
  'test/cli/build.test.ts': 41,
};

export class SlowestFirst implements TestSequencer {
  constructor(private readonly ctx: Vitest) {}

  /** vitest's own sequencer (loaded here: the config that imports this file is also read by `vite build`). */
  private async base(): Promise<TestSequencer> {
    const { BaseSequencer } = await import('vitest/node');
    return new BaseSequencer(this.ctx);
  }

  async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await this.base()).shard(files);
  }

  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await (await this.base()).sort(files);
    const seconds = (f: TestSpecification): number => {
      const rel = path.relative(this.ctx.config.root, f.moduleId).split(path.sep).join('/');
      // (A file all skipped, as when Chromium is missing, is cached with no duration: the estimate then.)
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`)?.duration;
      return cached ? cached / 1000 : (SLOW_FILES[rel] ?? 0);
    };
    // A stable sort: files of equal (unknown) duration keep vitest's order.
    return ordered
      .map((f, i) => ({ f, i, s: seconds(f) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map(({ f }) => f);
  }
}
