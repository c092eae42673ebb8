import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMAS, schemaText } from '../../schema/write-schemas.js';
import { SpinManifestSchema } from '../../schema/spin.js';
import { checkAgainst } from '../../schema/validate.js';
import { ROOT } from '../helpers/data.js';

describe('published JSON Schemas', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`schema/${name} is generated from the types the code uses (run npm run schema after changing them)`, () => {
      expect(readFileSync(path.join(ROOT, 'schema', name), 'utf8')).toBe(schemaText(schema));
    });
  }
  it('rejects a manifest with a missing field or a bad value, naming the field', () => {
    const good = {
      version: 1,
      generator: 'xoay test',
      width: 10,
      height: 10,
      widths: [10],
      formats: ['jpeg'],
      background: 'white',
      direction: 'ccw',
      rows: [
        {
          name: 'r',
          elevation: null,
          frames: [{ src: { '10': { jpeg: 'a.jpg' } } }],
          sprite: { src: 's.jpg', sources: { jpeg: 's.jpg' }, columns: 1, rows: 1, frameWidth: 10, frameHeight: 10 },
        },
      ],
      poster: 'a.jpg',
      posterSources: { jpeg: 'a.jpg' },
      placeholder: 'x',
      placeholderType: 'thumbhash',
    };
    expect(checkAgainst(SpinManifestSchema, good, 'spin.json')).toEqual(good);
    expect(() => checkAgainst(SpinManifestSchema, { ...good, widths: [] }, 'spin.json')).toThrow(/spin\.json: .*\/widths/);
    const { poster: _omit, ...noPoster } = good;
    expect(() => checkAgainst(SpinManifestSchema, noPoster, 'spin.json')).toThrow(/poster/);
  });
});
