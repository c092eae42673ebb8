/** Runs the built `xoay` command as a user would, and captures its exit code and output. */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
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

/**
 * Whether the two runs of a bad input may run side by side, each process mostly starting up and reading (the cores
 * are shared): not for build, worker and preview (a shared cache, queue or port; build also tidies the site's
 * unfinished folders), nor when an output's folder does not exist yet (each run would create it and remove it on
 * failure, under the other). Otherwise a run writes only into a temporary sibling of its output named after its
 * process, and removes it on failure.
 */
function sideBySide(args: string[], cwd: string): boolean {
  if (['build', 'worker', 'preview'].includes(args[0] ?? '')) return false;
  for (const [i, a] of args.entries()) {
    const out = a === '-o' || a === '--output' ? args[i + 1] : a.startsWith('--output=') ? a.slice('--output='.length) : undefined;
    if (out === undefined) continue;
    try {
      if (!statSync(path.dirname(path.resolve(cwd, out))).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * A bad input, run as typed and again with --json (issue 17's convention), side by side when that is safe (sideBySide),
 * else one after the other: without --json nothing on stdout; with it, stdout is one JSON document,
 * `{"error":{"code","message","file"}}`, and nothing else, with the same exit code and the same error line on stderr.
 * Returns the run without --json, for the caller's checks of its message and of what was (not) left behind, which
 * then hold after both runs, and the --json run's `error`.
 */
export async function xoayFails(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult & { error: { code: string; message: string; file: string | null } }> {
  const both = sideBySide(args, opts.cwd ?? ROOT);
  const plainRun = xoay(args, opts);
  const [plain, json] = both ? await Promise.all([plainRun, xoay([...args, '--json'], opts)]) : [await plainRun, await xoay([...args, '--json'], opts)];
  const what = `xoay ${args.join(' ')}`;
  expect(plain.code, `${what}\n${plain.stderr}`).not.toBe(0);
  expect(plain.stdout, `${what}: stdout without --json`).toBe('');
  expect(json.code, `${what} --json\n${json.stderr}`).toBe(plain.code);
  const lines = json.stdout.split('\n');
  expect(lines, `${what} --json: one JSON document on stdout`).toHaveLength(2);
  expect(lines[1]).toBe('');
  const doc = JSON.parse(lines[0]!) as { error: { code: string; message: string; file: string | null } };
  expect(Object.keys(doc), what).toEqual(['error']);
  expect(doc.error).toEqual({ code: expect.any(String), message: expect.any(String), file: doc.error.file === null ? null : expect.any(String) });
  const last = (r: CliResult) => r.stderr.trim().split('\n').at(-1) ?? '';
  expect(last(json), `${what} --json: the same error line on stderr`).toBe(last(plain));
  expect(last(json)).toContain(doc.error.message);
  return { ...plain, error: doc.error };
}

/** stdout of `build --json` (or `worker --json`): JSON lines and nothing else; returns them parsed. */
export function jsonLines(r: CliResult): Record<string, any>[] {
  expect(r.stdout.endsWith('\n'), r.stdout).toBe(true);
  return r.stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
}
