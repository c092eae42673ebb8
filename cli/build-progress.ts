/**
 * Progress of `xoay build`: on a terminal, one live line per product being built (its stage and frames)
 * under a counter line; otherwise plain lines on stderr; with --json every event as a JSON line on stdout (frame
 * progress thinned to every 10 %) and nothing on stderr but errors.
 */
import type { BuildEvent } from '../pipeline/product/build.js';

export interface BuildProgress {
  onEvent(e: BuildEvent): void;
  done(): void;
}

export function createBuildProgress(opts: { total: number; json: boolean; quiet: boolean; stream?: NodeJS.WriteStream }): BuildProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !opts.json && !opts.quiet;
  // Not on a terminal (a log, a CI job, another program): plain lines on stderr; JSON lines on stdout only with --json.
  const active = new Map<string, string>();
  const lastTenth = new Map<string, number>();
  let finished = 0;
  let failed = 0;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    const lines = [
      `build: ${finished}/${opts.total} products done${failed ? `, ${failed} failed` : ''}`,
      ...[...active].map(([id, s]) => `  ${id.padEnd(28).slice(0, 28)} ${s}`),
    ];
    stream.write(`${drawn ? `\x1b[${drawn}A` : ''}\x1b[J${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const redraw = () => {
    if (!timer) timer = setTimeout(draw, 100);
  };
  const log = (line: string) => {
    if (tty) {
      if (drawn) stream.write(`\x1b[${drawn}A\x1b[J`);
      drawn = 0;
      stream.write(line + '\n');
      redraw();
    } else if (!opts.quiet && !opts.json) stream.write(line + '\n');
  };
  return {
    onEvent(e) {
      if (opts.json) {
        if (e.type === 'progress') {
          const tenth = Math.floor((e.done / e.total) * 10);
          const k = `${e.id}:${e.stage}`;
          if (lastTenth.get(k) === tenth) return;
          lastTenth.set(k, tenth);
        }
        process.stdout.write(JSON.stringify(e) + '\n');
        if (e.type !== 'done' && e.type !== 'failed') return;
      }
      switch (e.type) {
        case 'product':
          active.set(e.id, `${e.stage}${e.cached ? ' (cached)' : ''}`);
          if (tty) redraw();
          else log(`${e.id}: ${e.stage}${e.cached ? ' (from the cache)' : ''}`);
          break;
        case 'progress':
          active.set(e.id, `${e.stage} ${e.done}/${e.total} frames`);
          if (tty) redraw();
          break;
        case 'warning':
          log(`${e.id}: warning: ${e.message}`);
          break;
        case 'done':
          finished++;
          active.delete(e.id);
          log(`${e.id}: ${e.status}${e.ran.length ? ` (${e.ran.join(', ')})` : ''} in ${e.seconds.toFixed(1)} s`);
          break;
        case 'failed':
          finished++;
          failed++;
          active.delete(e.id);
          log(`${e.id}: FAILED: ${e.message}`);
          break;
      }
    },
    done() {
      if (timer) clearTimeout(timer);
      if (tty && drawn) {
        stream.write(`\x1b[${drawn}A\x1b[J`);
        drawn = 0;
      }
    },
  };
}
