/**
 * The turntable model's rows (pipeline/reconstruct/cameras.ts `turntableRows` and `aimHeight`):
 * where each row's elevation and distance come from (the options > shoot.json > 15° for a single row), the
 * errors for counts that do not match, and one world frame for rows that look at different heights.
 */
import { describe, expect, it } from 'vitest';
import { cameraCentre, project, turntableCameras, turntableRows } from '../../../pipeline/reconstruct/cameras.js';
import { checkShoot } from '../../../pipeline/spin/shoot.js';

const DIR = '/shoots/mug';
const FILE = '/shoots/mug/shoot.json';
const one = [{ name: 'mug', views: 24 }];
const two = [
  { name: 'row-1', views: 18 },
  { name: 'row-2', views: 18 },
];
const shoot = (data: unknown) => ({ file: FILE, shoot: checkShoot(data, FILE) });
const none = { elevation: null, distance: null };
const pick = (rows: ReturnType<typeof turntableRows>) => rows.map((r) => [r.name, r.elevation, r.elevationFrom, r.distance]);

describe('turntable rows: elevation and distance, by priority', () => {
  it('a single row: the option, else shoot.json, else 15°', () => {
    expect(pick(turntableRows(one, none, null, DIR))).toEqual([['mug', 15, 'default', null]]);
    expect(pick(turntableRows(one, none, shoot({ elevation: 25, distance: 0.7 }), DIR))).toEqual([['mug', 25, 'shoot.json', 0.7]]);
    expect(pick(turntableRows(one, { elevation: 30, distance: 0.5 }, shoot({ elevation: 25, distance: 0.7 }), DIR))).toEqual([['mug', 30, 'option', 0.5]]);
    expect(pick(turntableRows(one, { elevation: [30], distance: [0.5] }, null, DIR))).toEqual([['mug', 30, 'option', 0.5]]);
  });

  it("several rows: one elevation per row from the options, else shoot.json (the row's own, else the shoot's)", () => {
    const meta = shoot({
      distance: 0.8,
      rows: [
        { folder: 'row-1', elevation: 10 },
        { folder: 'row-2', elevation: 40, distance: 0.9, aimHeight: 0.05 },
      ],
    });
    const fromFile = turntableRows(two, none, meta, DIR);
    expect(pick(fromFile)).toEqual([
      ['row-1', 10, 'shoot.json', 0.8],
      ['row-2', 40, 'shoot.json', 0.9],
    ]);
    expect(fromFile.map((r) => r.aimHeight)).toEqual([0, 0.05]);
    // The command line wins over shoot.json; one distance is every row's (an arc).
    expect(pick(turntableRows(two, { elevation: [5, 50], distance: 1.2 }, meta, DIR))).toEqual([
      ['row-1', 5, 'option', 1.2],
      ['row-2', 50, 'option', 1.2],
    ]);
    expect(pick(turntableRows(two, { elevation: [5, 50], distance: [1, 1.5] }, null, DIR))).toEqual([
      ['row-1', 5, 'option', 1],
      ['row-2', 50, 'option', 1.5],
    ]);
    // The shoot's one elevation for every row is taken as said.
    expect(pick(turntableRows(two, none, shoot({ elevation: 20 }), DIR))).toEqual([
      ['row-1', 20, 'shoot.json', null],
      ['row-2', 20, 'shoot.json', null],
    ]);
  });

  it('refuses counts that do not match the rows, and rows without an elevation, naming the folder or shoot.json', () => {
    expect(() => turntableRows(two, { elevation: 15, distance: null }, null, DIR)).toThrow(
      /^cameras: \/shoots\/mug: --elevation gives 1 value\(s\) for 2 row\(s\) \(row-1, row-2\): give one per row, in row order, e\.g\. --elevation 10,40$/,
    );
    expect(() => turntableRows(one, { elevation: [10, 40], distance: null }, null, DIR)).toThrow(
      /^cameras: \/shoots\/mug: --elevation gives 2 value\(s\) for 1 row\(s\) \(mug\)/,
    );
    expect(() => turntableRows([...two, { name: 'row-3', views: 18 }], { elevation: [0, 20, 40], distance: [1, 2] }, null, DIR)).toThrow(
      /^cameras: \/shoots\/mug: --distance gives 2 values for 3 row\(s\)/,
    );
    expect(() => turntableRows(two, none, null, DIR)).toThrow(
      /^cameras: \/shoots\/mug: 2 rows but no camera elevation for row-1, row-2: give one per row with --elevation 10,40 or in shoot\.json/,
    );
    expect(() => turntableRows(two, none, shoot({ rows: [{ folder: 'row-2', elevation: 40 }] }), DIR)).toThrow(
      /^cameras: \/shoots\/mug\/shoot\.json: 2 rows but no camera elevation for row-1:/,
    );
    expect(() => turntableRows(two, { elevation: [10, 40], distance: null }, shoot({ rows: [{ folder: 'row-2', distance: 0.9 }] }), DIR)).toThrow(
      /^shoot: \/shoots\/mug\/shoot\.json: rows\[\]\.distance: given for row-2 but not for row-1 \(and no top-level "distance"\)/,
    );
    expect(() => turntableRows(two, { elevation: [10, 40], distance: null }, shoot({ rows: [{ folder: 'row-3', elevation: 40 }] }), DIR)).toThrow(
      /^shoot: \/shoots\/mug\/shoot\.json: rows\[0\]\.folder: "row-3" is not a row of the shoot/,
    );
  });
});

describe('turntable cameras of several rows share one world frame', () => {
  it('each row looks at (0, aimHeight, 0) from its distance at its elevation; frame 1 of every row at the same turntable angle', () => {
    const rows = [
      { elevation: 10, distance: 1.5, aimHeight: -0.03 },
      { elevation: 40, distance: 1.8, aimHeight: 0.01 },
    ];
    for (const r of rows) {
      const cams = turntableCameras({ views: 8, width: 400, height: 300, fov: 40, ...r });
      const c = cameraCentre(cams[0]!);
      const e = (r.elevation * Math.PI) / 180;
      // Frame 1: the camera on +Z, above the aim point by the elevation.
      expect(c[0]).toBeCloseTo(0, 9);
      expect(c[1]).toBeCloseTo(r.aimHeight + r.distance * Math.sin(e), 9);
      expect(c[2]).toBeCloseTo(r.distance * Math.cos(e), 9);
      for (const cam of cams) {
        const [u, v, w] = project(cam.P, 0, r.aimHeight, 0);
        expect(u).toBeCloseTo(199.5, 6);
        expect(v).toBeCloseTo(149.5, 6);
        expect(w).toBeCloseTo(r.distance, 9);
      }
    }
  });
});
