/**
 * The config file: `xoay.config.json` or `xoay.config.yaml` (`.yml`), found from the working folder upwards or given
 * with `--config <file>`. One section per command, in the API's camelCase option names:
 *
 *   { "build": { "baseUrl": "https://ocop.example.vn/san-pham/", "widths": [512, 1024] }, "spin": { "shadow": "remove" } }
 *
 * Each section is checked with the same tables as the API (api/checks.ts); the JSON Schema of the file
 * (schema/config.schema.json) is generated from them too. Relative paths in it are relative to the file's folder.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BUILD_CHECKS,
  type Check,
  CHECK_SITE_CHECKS,
  ENQUEUE_CHECKS,
  MODEL_CHECKS,
  PREVIEW_CHECKS,
  RECONSTRUCT_CHECKS,
  RENDER_CHECKS,
  SPIN_CHECKS,
  STATUS_CHECKS,
  WORKER_CHECKS,
} from '../api/checks.js';
import { isXoayError } from '../pipeline/core/errors.js';
import { CliError } from './errors.js';

export const CONFIG_NAMES = ['xoay.config.json', 'xoay.config.yaml', 'xoay.config.yml'] as const;

/** The options a config file may set, per command: the API's for spin, model, reconstruct and build; the CLI's for the rest. */
export const CONFIG_CHECKS: Record<string, Record<string, Check>> = {
  spin: SPIN_CHECKS,
  model: MODEL_CHECKS,
  reconstruct: RECONSTRUCT_CHECKS,
  render: RENDER_CHECKS,
  build: { ...BUILD_CHECKS, ...ENQUEUE_CHECKS },
  preview: PREVIEW_CHECKS,
  worker: WORKER_CHECKS,
  status: STATUS_CHECKS,
  'check-site': CHECK_SITE_CHECKS,
};

/** Options that are paths: a relative one in a config file is relative to the file's folder. */
const PATH_KEYS = new Set(['cleanPlate', 'masks', 'cameras', 'cache', 'allowLinksInto']);

/** The JSON Schema of the config file (`npm run schema` writes it to schema/config.schema.json). */
export function configSchema(): object {
  return {
    $id: 'https://xoay.dev/schema/config.schema.json',
    title: 'xoay.config.json / xoay.config.yaml',
    description: "Options of each xoay command, in the JavaScript API's camelCase names; command-line flags override them.",
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      ...Object.fromEntries(
        Object.entries(CONFIG_CHECKS).map(([cmd, checks]) => [
          cmd,
          {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(Object.entries(checks).map(([k, c]) => [k, c.schema])),
          },
        ]),
      ),
    },
  };
}

/** The config file that applies in `cwd`: the nearest xoay.config.* in it or a folder above it. */
export function findConfig(cwd: string): string | null {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const n of CONFIG_NAMES) {
      const f = path.join(dir, n);
      if (existsSync(f)) return f;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

const bad = (file: string, problem: string) => new CliError('BAD_CONFIG', problem, file, 2);
const given = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);

/** Reads and checks a config file; returns its section for `command` (empty when it has none). */
export async function loadConfig(file: string, command: string): Promise<Record<string, unknown>> {
  let textContent: string;
  try {
    textContent = await readFile(file, 'utf8');
  } catch (e) {
    throw bad(file, `cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let data: unknown;
  const ext = path.extname(file).toLowerCase();
  // The YAML parser loads only for a YAML file (it is most of the CLI's start-up otherwise).
  const YAML = ext === '.json' ? undefined : (await import('yaml')).default;
  try {
    data = YAML ? YAML.parse(textContent, { prettyErrors: false }) : JSON.parse(textContent);
  } catch (e) {
    const what = ext === '.json' ? 'JSON' : 'YAML';
    throw bad(file, `not valid ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw bad(file, `expected an object of command sections (${Object.keys(CONFIG_CHECKS).join(', ')}), given ${given(data)}`);
  for (const [cmd, section] of Object.entries(data)) {
    if (cmd === '$schema') continue;
    const checks = CONFIG_CHECKS[cmd];
    if (!checks) throw bad(file, `unknown key ${JSON.stringify(cmd)}: expected a command section (${Object.keys(CONFIG_CHECKS).join(', ')})`);
    if (typeof section !== 'object' || section === null || Array.isArray(section))
      throw bad(file, `${cmd}: expected an object of ${cmd}'s options, given ${given(section)}`);
    for (const [k, v] of Object.entries(section)) {
      const c = checks[k];
      if (!c) throw bad(file, `${cmd}.${k}: unknown option (${cmd}'s options are: ${Object.keys(checks).join(', ')})`);
      try {
        c(cmd, k, v);
      } catch (e) {
        if (!isXoayError(e)) throw e;
        const m = /expected (.*) for option \S+ but received (.*)$/.exec(e.message);
        throw bad(file, m ? `${cmd}.${k}: expected ${m[1]}, given ${m[2]}` : `${cmd}.${k}: ${e.message}`);
      }
    }
  }
  const section = ((data as Record<string, unknown>)[command] ?? {}) as Record<string, unknown>;
  const dir = path.dirname(path.resolve(file));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    if (!PATH_KEYS.has(k)) out[k] = v;
    else out[k] = Array.isArray(v) ? v.map((p: string) => path.resolve(dir, p)) : path.resolve(dir, v as string);
  }
  return out;
}
