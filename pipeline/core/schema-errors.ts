/**
 * Messages for files checked against a TypeBox schema (product.json, shoot.json): one line per wrong field,
 * naming the field as people write it (`rows[1].elevation`) and what was expected and given.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export interface SchemaMessageOptions {
  /** The published JSON Schema a reader can look fields up in, e.g. `schema/product.schema.json`. */
  schemaFile: string;
  /** A better "expected …" for some fields (by JSON pointer), or undefined for the general one. */
  expected?: (pointer: string, value: unknown) => string | undefined;
  /** Problems listed at most (the rest are counted). */
  most?: number;
}

/** What is wrong with `data`, one `field: expected …, got …` per field; empty when it fits the schema. */
export function schemaProblems(schema: TSchema, data: unknown, o: SchemaMessageOptions): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const e of Value.Errors(schema, data)) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    problems.push(`${fieldName(e.path)}: ${explain(e.schema, e.value, e.message, e.path, o)}`);
  }
  const most = o.most ?? 8;
  return problems.length > most ? [...problems.slice(0, most), `… and ${problems.length - most} more`] : problems;
}

/** `/producer/contact/phone` → `producer.contact.phone`, `/rows/0/elevation` → `rows[0].elevation`. */
export function fieldName(pointer: string): string {
  if (!pointer) return '(the whole file)';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((s, p) => (/^\d+$/.test(p) ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

function explain(schema: TSchema, value: unknown, message: string, pointer: string, o: SchemaMessageOptions): string {
  if (value === undefined) return 'is required but missing';
  if (message === 'Unexpected property') return `is not a known field (see ${o.schemaFile})`;
  const s = schema as TSchema & Record<string, unknown>;
  let expected = o.expected?.(pointer, value);
  if (expected !== undefined) {
    // Given by the caller.
  } else if (Array.isArray(s.anyOf)) {
    const literals = (s.anyOf as TSchema[]).map((x) => x.const).filter((c) => c !== undefined);
    expected = literals.length ? `one of ${literals.map((l) => JSON.stringify(l)).join(', ')}` : 'text or a number';
  } else if (s.type === 'integer' || s.type === 'number') {
    const kind = s.type === 'integer' ? 'a whole number' : 'a number';
    const lo = s.minimum !== undefined ? `from ${s.minimum}` : s.exclusiveMinimum !== undefined ? `above ${s.exclusiveMinimum}` : '';
    if (lo && s.maximum !== undefined) expected = `${kind} ${lo} to ${s.maximum}`;
    else if (s.minimum !== undefined) expected = `${kind} ≥ ${s.minimum}`;
    else if (lo) expected = `${kind} ${lo}`;
    else if (s.maximum !== undefined) expected = `${kind} up to ${s.maximum}`;
    else expected = kind;
  } else if (s.type === 'string') {
    if (typeof value === 'string' && s.pattern)
      expected = `${String(s.description ?? 'text in the expected form').replace(/\s*\(.*\)$/, '')} in the expected form`;
    else if (typeof value === 'string' && typeof s.minLength === 'number' && value.length < s.minLength) expected = 'non-empty text';
    else if (typeof value === 'string' && typeof s.maxLength === 'number') expected = `text of at most ${s.maxLength} characters`;
    else expected = 'text';
  } else if (s.type === 'object') expected = 'an object ({ … })';
  else if (s.type === 'array') {
    if (!Array.isArray(value)) expected = 'a list ([ … ])';
    else if (typeof s.minItems === 'number' && s.minItems > 0 && typeof s.maxItems === 'number') expected = `a list of ${s.minItems} to ${s.maxItems} items`;
    else if (typeof s.maxItems === 'number') expected = `a list of at most ${s.maxItems} items`;
    else if (typeof s.minItems === 'number') expected = `a list of at least ${s.minItems} items`;
    else expected = 'a list ([ … ])';
  } else if (s.type === 'boolean') expected = 'true or false';
  else expected = message.replace(/^Expected /, '');
  return `expected ${expected}, got ${show(value)}`;
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
