/** Writes the published JSON Schemas from the definitions the code uses (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../cli/config.js';
import { ProductSchema } from './product.js';
import { ShootSchema } from './shoot.js';
import { QaReportSchema, SpinManifestSchema } from './spin.js';

export const SCHEMAS = {
  'spin.schema.json': SpinManifestSchema,
  'qa.schema.json': QaReportSchema,
  'product.schema.json': ProductSchema,
  'shoot.schema.json': ShootSchema,
  'config.schema.json': configSchema(),
};

export function schemaText(schema: object): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema');
  for (const [name, s] of Object.entries(SCHEMAS)) {
    writeFileSync(path.join(root, name), schemaText(s));
    console.log(`wrote schema/${name}`);
  }
}
