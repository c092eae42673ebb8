/**
 * Up-front option validation in the style of sharp's `lib/is.mjs`: every check names the option,
 * what was expected and what was given.
 */
import { XoayError } from './errors.js';

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

export function invalid(stage: string, option: string, expected: string, given: unknown): XoayError {
  return new XoayError(stage, 'BAD_OPTION', `expected ${expected} for option ${option} but received ${describe(given)}`);
}

export function assertInteger(stage: string, option: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(stage, option, `an integer between ${min} and ${max}`, v);
  }
}

export function assertNumber(stage: string, option: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalid(stage, option, `a number between ${min} and ${max}`, v);
  }
}

export function assertOneOf<T extends string>(stage: string, option: string, v: unknown, allowed: readonly T[]): asserts v is T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalid(stage, option, `one of ${allowed.join(', ')}`, v);
  }
}

export function assertBoolean(stage: string, option: string, v: unknown): asserts v is boolean {
  if (typeof v !== 'boolean') throw invalid(stage, option, 'a boolean', v);
}

/** Merge defaults so that `undefined` in `options` never wipes a default (glTF Transform's rule). */
export function withDefaults<T extends object>(defaults: T, options: Partial<T> | undefined): T {
  const out = { ...defaults };
  if (options) {
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined) (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}
