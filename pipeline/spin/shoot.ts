/**
 * Shoot metadata: the optional `shoot.json` of a shoot folder (schema/shoot.ts), read and checked up front,
 * and each row's settings from it. Ingest never takes it for a frame (it is not an image). Errors name the
 * file and the field; nothing has been written when they are thrown.
 */
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { type Shoot, ShootSchema } from '../../schema/shoot.js';
import { isXoayError, XoayError } from '../core/errors.js';
import { readInside } from '../core/inside.js';
import { schemaProblems } from '../core/schema-errors.js';
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
    // A regular file inside the shoot folder (a FIFO would hang the read, a link could reach outside), at most 1 MiB.
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      await readInside(file, { stage: STAGE, roots: [path.resolve(dir)], maxBytes: 1 << 20, what: 'shoot description' }),
    );
  } catch (e) {
    if (isXoayError(e)) throw e;
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
    throw new XoayError(STAGE, 'BAD_SHOOT', schemaProblems(ShootSchema, data, { schemaFile: 'schema/shoot.schema.json' }).join('; '), file);
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
