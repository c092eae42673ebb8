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
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number ${min}–${max}, got ${JSON.stringify(v)}`);
  return n;
};
