/** Runtime checks of the contracts in schema/, with errors that name the file and the field. */
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export function checkAgainst<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  const errs = [...Value.Errors(schema, value)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
  throw new Error(`${what}: does not match its schema: ${errs.join('; ')}`);
}
