/**
 * Draws pipeline events on stderr: a bar with frames done / total and an ETA on a terminal, plain
 * lines otherwise, nothing with --quiet. stdout is left for --json.
 */
import type { SpinEvent } from '../pipeline/spin/spin.js';

export interface Progress {
  onEvent(e: SpinEvent): void;
  done(): void;
}

export function createProgress(opts: { quiet: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  let start = Date.now();
  let lastLine = '';
  let lastPlain = -1;
  const clear = () => {
    if (tty && lastLine) stream.write('\r\x1b[K');
    lastLine = '';
  };
  return {
    onEvent(e) {
      if (opts.quiet) return;
      if (e.type === 'warning') {
        clear();
        stream.write(`warning: ${e.message}\n`);
      } else if (e.type === 'stage') {
        start = Date.now();
        lastPlain = -1;
      } else {
        const frac = e.done / e.total;
        const elapsed = (Date.now() - start) / 1000;
        const eta = e.done > 0 ? (elapsed / e.done) * (e.total - e.done) : 0;
        if (tty) {
          const width = 28;
          const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
          lastLine = `${e.stage.padEnd(8)} ${bar} ${e.done}/${e.total} frames  ETA ${eta.toFixed(0)} s`;
          stream.write(`\r\x1b[K${lastLine}`);
          if (e.done === e.total) {
            stream.write('\n');
            lastLine = '';
          }
        } else {
          const tenth = Math.floor(frac * 10);
          if (tenth !== lastPlain) {
            lastPlain = tenth;
            stream.write(`${e.stage}: ${e.done}/${e.total} frames\n`);
          }
        }
      }
    },
    done() {
      clear();
    },
  };
}
