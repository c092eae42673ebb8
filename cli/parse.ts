/** Option value parsers shared by the commands: each names the option, what it takes and what it was given. */
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { MAX_ROWS, widths as WIDTHS } from '../api/checks.js';

/** The range of a number check's JSON Schema (api/checks.ts): the one definition the flags parse with. */
function range(schema: Record<string, unknown>): { integer: boolean; min: number; max: number } {
  const s = (Array.isArray(schema.oneOf) ? schema.oneOf[0] : (schema.items ?? schema)) as { type: string; minimum: number; maximum: number };
  if (s.type !== 'integer' && s.type !== 'number') throw new Error(`not a number option: ${JSON.stringify(schema)}`);
  return { integer: s.type === 'integer', min: s.minimum, max: s.maximum };
}

/** A whole number from `min` (to `max`, when given). */
export const int = (name: string, min: number, max?: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
    throw new InvalidArgumentError(`${name} must be an integer ${max === undefined ? `≥ ${min}` : `${min}–${max}`}, got ${JSON.stringify(v)}`);
  }
  return n;
};

/** A number from `min` to `max`. */
export const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be a number ${min}–${max}, got ${JSON.stringify(v)}`);
  return n;
};

/** A percentage 0–100, returned as a fraction (5 → 0.05). */
export const percent = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError(`${name} must be a percentage 0–100, got ${JSON.stringify(v)}`);
  return n / 100;
};

/**
 * One number from `min` to `max`, or a comma list of them, one per row (`--elevation 10,40`); at most MAX_ROWS. One
 * value is returned as a number, as the API takes it (`elevation: 12`), so the report records the same options.
 */
export const perRow =
  (name: string, min: number, max: number) =>
  (v: string): number | number[] => {
    const parts = v.split(',').map((p) => p.trim());
    if (parts.length > MAX_ROWS) throw new InvalidArgumentError(`${name} takes at most ${MAX_ROWS} values, got ${parts.length}`);
    const values = parts.map((p) => {
      const n = Number(p);
      if (p === '' || !Number.isFinite(n) || n < min || n > max)
        throw new InvalidArgumentError(`${name} must be a number ${min}–${max} or a comma list of them (one per row), got ${JSON.stringify(v)}`);
      return n;
    });
    return values.length === 1 ? values[0]! : values;
  };

/** A comma-separated list (spaces around items and empty items dropped). */
export const list = (v: string): string[] =>
  String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A spin width ladder: a comma-separated list of whole numbers in the range of the API's `widths` (16–16384). */
export function widthList(v: string, name = '--widths'): number[] {
  const { min, max } = range(WIDTHS.schema);
  const widths = list(v).map(Number);
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < min || w > max))
    throw new InvalidArgumentError(`${name} must be integers ${min}–${max}, got ${JSON.stringify(v)}`);
  return widths;
}

/** A comma-separated list of spin formats, each one of `allowed`. */
export function formatList<T extends string>(v: string, allowed: readonly T[], name = '--formats'): T[] {
  const formats = list(v);
  if (formats.length === 0 || formats.some((f) => !(allowed as readonly string[]).includes(f)))
    throw new InvalidArgumentError(`${name} must list ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return formats as T[];
}

/** Folders given on the command line (a variadic option, possibly absent) as absolute paths. */
export const absoluteDirs = (dirs: string[] | undefined): string[] => (dirs ?? []).map((d) => path.resolve(d));

/**
 * The parser of a number flag from its API check (api/checks.ts): the same range, one definition; the message names
 * the flag (`--lods must be an integer 0–6, got "7"`).
 */
export function fromCheck(flag: string, check: { schema: Record<string, unknown> }): (v: string) => number {
  const { integer, min, max } = range(check.schema);
  return integer ? int(flag, min, max >= Number.MAX_SAFE_INTEGER ? undefined : max) : num(flag, min, max);
}

/** The values of a choice option, from its API check (api/checks.ts oneOf): `.choices(choicesOf(SPIN_CHECKS.shadow))`. */
export function choicesOf(check: { schema: Record<string, unknown> }): string[] {
  const values = check.schema.enum;
  if (!Array.isArray(values)) throw new Error(`not a choice option: ${JSON.stringify(check.schema)}`);
  return values as string[];
}

/** The parser of a per-row flag (`--elevation 10,40`) from its API check (a number or a list of them): the same range. */
export function perRowFromCheck(flag: string, check: { schema: Record<string, unknown> }): (v: string) => number | number[] {
  const { min, max } = range(check.schema);
  return perRow(flag, min, max);
}
