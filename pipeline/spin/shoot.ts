/**
 * Shoot metadata: the optional `shoot.json` of a shoot folder (schema/shoot.ts), read and checked up front,
 * and each row's settings from it. Ingest never takes it for a frame (it is not an image). Errors name the
 * file and the field; nothing has been written when they are thrown.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Shoot, ShootSchema } from '../../schema/shoot.js';
import { XoayError } from '../core/errors.js';
import { exists } from '../core/fsout.js';

const STAGE = 'shoot';

/** The metadata file's name in a shoot folder. */
export const SHOOT_FILE = 'shoot.json';

/** A shoot folder's metadata and where it came from. */
export interface ShootInfo {
  /** shoot.json (absolute). */
  file: string;
  /** Its validated content. */
  shoot: Shoot;
}

/** One row's settings from shoot.json (null: the file does not say). */
export interface RowSettings {
  /** The row's name (its folder). */
  name: string;
  /** Camera elevation, degrees: the row's own, else the shoot's. */
  elevation: number | null;
  /** Camera distance from the point it looks at: the row's own, else the shoot's. */
  distance: number | null;
  /** Height of the point on the axis the row's camera looks at (0: the common point). */
  aimHeight: number;
}

/** `shoot.json` of the folder `dir`, checked; null when there is none. */
export async function readShoot(dir: string): Promise<ShootInfo | null> {
  const file = path.join(path.resolve(dir), SHOOT_FILE);
  if (!(await exists(file))) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new XoayError(STAGE, 'BAD_SHOOT', code ? `cannot read the file (${code})` : 'is not valid UTF-8 text; save it as UTF-8', file, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const m = /at position (\d+)/.exec((e as Error).message);
    const where = m ? ` at line ${text.slice(0, Number(m[1])).split('\n').length}` : '';
    throw new XoayError(STAGE, 'BAD_SHOOT', `is not valid JSON${where}: ${(e as Error).message}`, file);
  }
  return { file, shoot: checkShoot(data, file) };
}

/** Checks parsed shoot metadata against the schema (and that no row is listed twice); the error names the file and each wrong field. */
export function checkShoot(data: unknown, file: string): Shoot {
  if (!Value.Check(ShootSchema, data)) {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const e of Value.Errors(ShootSchema, data)) {
      if (seen.has(e.path)) continue;
      seen.add(e.path);
      problems.push(`${fieldName(e.path)}: ${explain(e.schema, e.value, e.message)}`);
    }
    throw new XoayError(STAGE, 'BAD_SHOOT', problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; … and ${problems.length - 6} more` : ''), file);
  }
  const rows = data.rows ?? [];
  rows.forEach((r, i) => {
    const first = rows.findIndex((x) => x.folder === r.folder);
    if (first !== i) throw new XoayError(STAGE, 'BAD_SHOOT', `rows[${i}].folder: "${r.folder}" is listed twice (also rows[${first}])`, file);
  });
  return data;
}

/**
 * Each row's settings from the shoot's metadata, in the order of `rowNames` (the rows ingest found). A row
 * listed in shoot.json that the shoot does not have is an error (a typo would otherwise go unnoticed).
 */
export function shootRows(info: ShootInfo | null, rowNames: readonly string[]): RowSettings[] {
  const s = info?.shoot ?? {};
  const listed = s.rows ?? [];
  listed.forEach((r, i) => {
    if (!rowNames.includes(r.folder)) {
      throw new XoayError(STAGE, 'BAD_SHOOT', `rows[${i}].folder: "${r.folder}" is not a row of the shoot (its rows: ${rowNames.join(', ')})`, info!.file);
    }
  });
  return rowNames.map((name) => {
    const r = listed.find((x) => x.folder === name);
    return { name, elevation: r?.elevation ?? s.elevation ?? null, distance: r?.distance ?? s.distance ?? null, aimHeight: r?.aimHeight ?? 0 };
  });
}

/** `/rows/0/elevation` → `rows[0].elevation`. */
function fieldName(pointer: string): string {
  if (!pointer) return '(the whole file)';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function explain(schema: TSchema, value: unknown, message: string): string {
  if (value === undefined) return 'is required but missing';
  if (message === 'Unexpected property') return 'is not a known field (see schema/shoot.schema.json)';
  const s = schema as TSchema & Record<string, unknown>;
  let expected: string;
  if (s.type === 'number') {
    const lo = s.minimum !== undefined ? `from ${s.minimum}` : s.exclusiveMinimum !== undefined ? `above ${s.exclusiveMinimum}` : '';
    expected = `a number${lo ? ` ${lo}` : ''}${s.maximum !== undefined ? ` ${lo ? 'to' : 'up to'} ${s.maximum}` : ''}`;
  } else if (s.type === 'string') expected = typeof s.minLength === 'number' && value === '' ? 'non-empty text' : 'text';
  else if (s.type === 'object') expected = 'an object ({ … })';
  else if (s.type === 'array') expected = Array.isArray(value) ? `a list of ${s.minItems ?? 0} to ${s.maxItems ?? '…'} items` : 'a list ([ … ])';
  else expected = message.replace(/^Expected /, '');
  const shown = JSON.stringify(value) ?? String(value);
  return `expected ${expected}, got ${shown.length > 60 ? `${shown.slice(0, 57)}…` : shown}`;
}
