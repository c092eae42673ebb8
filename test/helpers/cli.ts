/** Runs the built `xoay` command as a user would, and captures its exit code and output. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './data.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function xoay(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/xoay.js'), ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
