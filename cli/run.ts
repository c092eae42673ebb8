/** Runs a command body: a XoayError or bad option becomes one line on stderr and exit code 1 (2 for usage). */
import { InvalidArgumentError } from 'commander';
import { isXoayError } from '../pipeline/core/errors.js';

export async function runCommand(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      process.stderr.write(`xoay ${name}: ${e.message}\n`);
      process.exitCode = 2;
    } else if (isXoayError(e)) {
      process.stderr.write(`xoay ${name}: error: ${e.message}\n`);
      process.exitCode = e.code === 'BAD_OPTION' ? 2 : 1;
    } else {
      process.stderr.write(`xoay ${name}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
