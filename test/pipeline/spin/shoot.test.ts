/**
 * shoot.json (pipeline/spin/shoot.ts, schema/shoot.ts): checked up front with errors naming the file and the
 * field; each row's settings; ingest does not take it for a frame; spin refuses a bad one before writing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../../pipeline/spin/ingest.js';
import { checkShoot, readShoot, SHOOT_FILE, shootRows } from '../../../pipeline/spin/shoot.js';
import { spin } from '../../../pipeline/spin/spin.js';
import { makeSyntheticShoot } from '../../../samples/synthetic-shoot.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-shoot-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const FILE = '/shoots/mug/shoot.json';
const example = {
  $schema: 'https://xoay.dev/schema/shoot.schema.json',
  elevation: 15,
  fov: 40,
  distance: 0.8,
  rows: [
    { folder: 'row-1', elevation: 10 },
    { folder: 'row-2', elevation: 40, distance: 0.9, aimHeight: 0.02 },
  ],
};

describe('shoot.json: checked up front, errors naming the file and the field', () => {
  it('accepts the documented example and an empty object', () => {
    expect(checkShoot(example, FILE)).toEqual(example);
    expect(checkShoot({}, FILE)).toEqual({});
  });

  it('names each wrong field and what it expects', () => {
    const cases: [unknown, RegExp][] = [
      [{ rows: [{ folder: 'row-1', elevation: 95 }] }, /^shoot: \/shoots\/mug\/shoot\.json: rows\[0\]\.elevation: expected a number from -89 to 89, got 95$/],
      [{ fov: 0 }, /: fov: expected a number above 0 to 179, got 0$/],
      [{ distance: -1 }, /: distance: expected a number above 0 to 1000000, got -1$/],
      [{ elevaton: 15 }, /: elevaton: is not a known field \(see schema\/shoot\.schema\.json\)$/],
      [{ rows: [{ elevation: 10 }] }, /: rows\[0\]\.folder: is required but missing$/],
      [{ rows: [{ folder: '' }] }, /: rows\[0\]\.folder: expected non-empty text, got ""$/],
      [{ rows: [] }, /: rows: expected a list of 1 to 64 items, got \[\]$/],
      [{ elevation: '15' }, /: elevation: expected a number from -89 to 89, got "15"$/],
      [[], /: \(the whole file\): expected an object/],
      [{ rows: [{ folder: 'a' }, { folder: 'b' }, { folder: 'a' }] }, /: rows\[2\]\.folder: "a" is listed twice \(also rows\[0\]\)$/],
    ];
    for (const [data, message] of cases) expect(() => checkShoot(data, FILE), JSON.stringify(data)).toThrow(message);
  });

  it('reads the file when there is one (null when not); invalid JSON names the line', async () => {
    const dir = path.join(tmp, 'read');
    await makeSyntheticShoot(dir, { frames: 8, width: 64, height: 48, orbit: 4, backdrop: 'white' });
    expect(await readShoot(dir)).toBeNull();
    await writeFile(path.join(dir, SHOOT_FILE), JSON.stringify(example));
    expect(await readShoot(dir)).toEqual({ file: path.join(dir, SHOOT_FILE), shoot: example });
    await writeFile(path.join(dir, SHOOT_FILE), '{\n  "elevation": 15,\n  "fov": 40,\n}\n');
    await expect(readShoot(dir)).rejects.toThrow(new RegExp(`^shoot: ${path.join(dir, SHOOT_FILE).replace(/[.]/g, '\\.')}: is not valid JSON at line 4`));
  });

  it("gives each row its own settings, else the shoot's; a row folder the shoot does not have is an error", () => {
    const info = { file: FILE, shoot: checkShoot(example, FILE) };
    expect(shootRows(info, ['row-1', 'row-2'])).toEqual([
      { name: 'row-1', elevation: 10, distance: 0.8, aimHeight: 0 },
      { name: 'row-2', elevation: 40, distance: 0.9, aimHeight: 0.02 },
    ]);
    expect(shootRows({ file: FILE, shoot: { elevation: 20 } }, ['mug'])).toEqual([{ name: 'mug', elevation: 20, distance: null, aimHeight: 0 }]);
    expect(shootRows(null, ['a', 'b'])).toEqual([
      { name: 'a', elevation: null, distance: null, aimHeight: 0 },
      { name: 'b', elevation: null, distance: null, aimHeight: 0 },
    ]);
    expect(() => shootRows(info, ['row-1', 'row-3'])).toThrow(
      /^shoot: \/shoots\/mug\/shoot\.json: rows\[1\]\.folder: "row-2" is not a row of the shoot \(its rows: row-1, row-3\)$/,
    );
  });

  it('is not a frame: ingest ignores it', async () => {
    const dir = path.join(tmp, 'ingest');
    await makeSyntheticShoot(dir, { frames: 8, width: 64, height: 48, orbit: 4, backdrop: 'white' });
    await writeFile(path.join(dir, SHOOT_FILE), JSON.stringify({ elevation: 20 }));
    const set = await ingest(dir);
    expect(set.rows).toHaveLength(1);
    expect(set.rows[0]!.frames).toHaveLength(8);
    expect(set.warnings).toEqual([]);
  });

  it('spin refuses a bad shoot.json (a wrong value; an unknown row folder) and leaves nothing behind', async () => {
    const dir = path.join(tmp, 'spin-bad');
    await makeSyntheticShoot(path.join(dir, 'row-1'), { frames: 8, width: 96, height: 72, orbit: 4, backdrop: 'white' });
    await makeSyntheticShoot(path.join(dir, 'row-2'), { frames: 8, width: 96, height: 72, orbit: 8, backdrop: 'grey' });
    const out = path.join(tmp, 'spin-bad-out');
    await writeFile(path.join(dir, SHOOT_FILE), JSON.stringify({ rows: [{ folder: 'row-1', elevation: 100 }] }));
    await expect(spin(dir, out, { formats: ['jpeg'], widths: [64] })).rejects.toThrow(
      /^shoot: .*spin-bad\/shoot\.json: rows\[0\]\.elevation: expected a number from -89 to 89, got 100$/,
    );
    await writeFile(
      path.join(dir, SHOOT_FILE),
      JSON.stringify({
        rows: [
          { folder: 'row-1', elevation: 10 },
          { folder: 'row-3', elevation: 40 },
        ],
      }),
    );
    await expect(spin(dir, out, { formats: ['jpeg'], widths: [64] })).rejects.toThrow(
      /^shoot: .*spin-bad\/shoot\.json: rows\[1\]\.folder: "row-3" is not a row of the shoot \(its rows: row-1, row-2\)$/,
    );
    expect(existsSync(out)).toBe(false);
    expect((await readdir(tmp)).filter((n) => n.includes('spin-bad-out'))).toEqual([]);
  });
});
