/** Option value parsers shared by the commands: each names the option, what it takes and what it was given. */
import { InvalidArgumentError } from 'commander';

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

/** A comma-separated list (spaces around items and empty items dropped). */
export const list = (v: string): string[] =>
  String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A spin width ladder: a comma-separated list of whole numbers ≥ 16. */
export function widthList(v: string, name = '--widths'): number[] {
  const widths = list(v).map(Number);
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 16))
    throw new InvalidArgumentError(`${name} must be integers ≥ 16, got ${JSON.stringify(v)}`);
  return widths;
}

/** A comma-separated list of spin formats, each one of `allowed`. */
export function formatList<T extends string>(v: string, allowed: readonly T[], name = '--formats'): T[] {
  const formats = list(v);
  if (formats.length === 0 || formats.some((f) => !(allowed as readonly string[]).includes(f)))
    throw new InvalidArgumentError(`${name} must list ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return formats as T[];
}
