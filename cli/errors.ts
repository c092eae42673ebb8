/**
 * How every command reports a failure: one line on stderr, `xoay <command>: <file>: <problem>` (no file when there is
 * none), and with --json one document on stdout, `{"error":{"code","message","file"}}`; the exit code from EXIT.
 */
import { InvalidArgumentError } from 'commander';
import { isXoayError, oneLine } from '../pipeline/core/errors.js';

/** The exit codes of every command (README, "The command line"; `xoay --help`). */
export const EXIT = {
  ok: 0,
  /** The work failed: an input that cannot be used, a product that failed, a site with problems, a queue job that failed. */
  failed: 1,
  /** Usage: an unknown, missing or invalid option or argument, a bad config file. Nothing was written. */
  usage: 2,
  /** `xoay model`: the model was written but does not meet its --budget (or, with --fidelity, the render threshold). */
  budget: 3,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM (143); nothing half-written is left. */
  interrupted: 130,
} as const;

export const EXIT_TABLE: [number | string, string][] = [
  [0, 'success'],
  [1, 'the work failed: an input that cannot be used, a product that failed (build), problems found (check-site), a queue job that failed'],
  [2, 'usage: an unknown, missing or invalid option or argument, or a bad config file; nothing was written'],
  [3, 'model: written, but over its --budget, or (with --fidelity) below the render threshold'],
  ['130/143', 'stopped by Ctrl-C / SIGTERM; nothing half-written is left'],
];

/** A failure of the command line itself (usage, config file), with its code and exit code. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly file?: string,
    readonly exit: number = EXIT.usage,
  ) {
    super(message);
  }
}

export interface Failure {
  code: string;
  message: string;
  file: string | null;
  exit: number;
}

/** Turns what a command threw into its code, problem, file and exit code. */
export function toFailure(e: unknown, flags: Record<string, string> = {}): Failure {
  if (e instanceof CliError) return { code: e.code, message: oneLine(e.message), file: e.file ?? null, exit: e.exit };
  if (e instanceof InvalidArgumentError) return { code: 'BAD_OPTION', message: oneLine(e.message), file: null, exit: EXIT.usage };
  if (isXoayError(e)) {
    let message = e.message;
    if (message.startsWith(`${e.stage}: `)) message = message.slice(e.stage.length + 2);
    if (e.file && message.startsWith(`${e.file}: `)) message = message.slice(e.file.length + 2);
    // An option of the API named as its flag: "for option maxTextureSize" → "for --max-texture-size".
    message = message.replace(/for option (\w+)/, (_, k: string) => `for ${flags[k] ?? k}`);
    return { code: e.code, message, file: e.file ?? null, exit: e.code === 'BAD_OPTION' ? EXIT.usage : EXIT.failed };
  }
  return {
    code: 'UNEXPECTED',
    message: oneLine(`unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    file: null,
    exit: EXIT.failed,
  };
}

/** Prints a failure the one way: a line on stderr, and the JSON document on stdout with --json. Sets the exit code. */
export function report(command: string | null, f: Failure, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: f.code, message: f.message, file: f.file } })}\n`);
  process.stderr.write(`xoay${command ? ` ${command}` : ''}: ${f.file ? `${f.file}: ` : ''}${f.message}\n`);
  process.exitCode = f.exit;
}
