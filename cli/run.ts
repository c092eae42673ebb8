/**
 * The one way every command runs: its options are the config file's section for it (cli/config.ts) under the flags
 * the user typed (commander's value source), `--print-config` prints them merged, and a failure is reported the one
 * way (cli/errors.ts): `xoay <command>: <file>: <problem>` on stderr, `{"error":{…}}` on stdout with --json.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { CONFIG_CHECKS, findConfig, loadConfig } from './config.js';
import { CliError, EXIT, report, toFailure } from './errors.js';

/** Adds the options every command has: --json (unless `json: false`), --config and --print-config. */
export function common(cmd: Command, opts: { json?: string | false; quiet?: string | false } = {}): Command {
  if (opts.json !== false) cmd.option('--json', opts.json ?? 'print the result as one JSON document on stdout (errors too: {"error":{…}})', false);
  if (opts.quiet !== false) cmd.option('-q, --quiet', opts.quiet ?? 'no progress output on stderr', false);
  return cmd
    .option('--config <file>', 'config file (default: the nearest xoay.config.json / .yaml in this folder or above)')
    .option('--print-config', 'print the options (config file merged with the flags) as JSON and exit', false);
}

/** The flag of each option, by its camelCase name (`maxTextureSize` → `--max-texture-size`). */
export function flagNames(cmd: Command): Record<string, string> {
  return Object.fromEntries(cmd.options.map((o) => [o.attributeName(), o.long ?? o.short ?? o.attributeName()]));
}

/** A missing required argument or option: a usage error (exit 2), in the common format. */
export function required(what: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) throw new CliError('USAGE', `missing ${what}`);
}

export interface RunContext {
  json: boolean;
  quiet: boolean;
  /** The config file used, if any. */
  config: string | null;
}

/**
 * Runs a command's body with its merged options: for each option of the command's config section, the flag when the
 * user typed it, else the config file's value, else nothing (the API's default applies).
 */
export async function runCommand(cmd: Command, body: (o: Record<string, unknown>, ctx: RunContext) => Promise<void>): Promise<void> {
  const name = cmd.name();
  const flags = cmd.opts();
  const ctx: RunContext = { json: Boolean(flags.json), quiet: Boolean(flags.quiet) || Boolean(flags.json), config: null };
  try {
    ctx.config = flags.config ? path.resolve(String(flags.config)) : findConfig(process.cwd());
    const section = ctx.config ? await loadConfig(ctx.config, name) : {};
    const merged: Record<string, unknown> = {};
    for (const k of Object.keys(CONFIG_CHECKS[name] ?? {})) {
      const source = cmd.getOptionValueSource(k);
      if (source === 'cli' || source === 'env') merged[k] = flags[k];
      else if (section[k] !== undefined) merged[k] = section[k];
    }
    if (flags.printConfig) {
      const defaults = Object.fromEntries(Object.keys(CONFIG_CHECKS[name] ?? {}).flatMap((k) => (flags[k] === undefined ? [] : [[k, flags[k]]])));
      process.stdout.write(`${JSON.stringify({ command: name, config: ctx.config, options: { ...defaults, ...merged } }, null, 2)}\n`);
      return;
    }
    await body(merged, ctx);
  } catch (e) {
    report(name, toFailure(e, flagNames(cmd)), ctx.json);
  }
}

export { EXIT };
