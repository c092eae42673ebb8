/**
 * `xoay reconstruct` on bad input, through the built CLI: each case exits non-zero with one clear
 * line naming the file (and the line of a calibration file), and leaves nothing behind. A mask
 * touching the frame edge is a warning naming the frames, and the run goes on.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Camera, cameraCentre, turntableCameras } from '../../pipeline/reconstruct/cameras.js';
import { xoay, xoayFails } from '../helpers/cli.js';

const W = 160,
  H = 120;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-reconstruct-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A dark sphere on a light backdrop seen by `cam` (ray casting), as PNG. */
async function sphereFrame(cam: Camera, centre: number[], r: number, file: string): Promise<void> {
  const px = Buffer.alloc(W * H * 3, 240);
  const o = cameraCentre(cam);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dc = [(x - cam.K[2]!) / cam.K[0]!, (y - cam.K[5]!) / cam.K[4]!, 1];
      const d = [0, 1, 2].map((c) => cam.R[c]! * dc[0]! + cam.R[3 + c]! * dc[1]! + cam.R[6 + c]! * dc[2]!);
      const oc = [0, 1, 2].map((a) => o[a]! - centre[a]!);
      const b = oc[0]! * d[0]! + oc[1]! * d[1]! + oc[2]! * d[2]!;
      const dd = d[0]! ** 2 + d[1]! ** 2 + d[2]! ** 2;
      const cc = oc[0]! ** 2 + oc[1]! ** 2 + oc[2]! ** 2 - r * r;
      if (b * b - dd * cc >= 0) px.fill(40, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  await sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(file);
}

/** A shoot of `n` frames named frame-01.png … (numbers given or 1…n) of a sphere orbiting the axis. */
async function shoot(
  name: string,
  opts: { n?: number; numbers?: number[]; blank?: number; centre?: number[]; radius?: number } = {},
): Promise<{ dir: string; cams: Camera[] }> {
  const n = opts.n ?? 8;
  const numbers = opts.numbers ?? Array.from({ length: n }, (_, i) => i + 1);
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  const names = numbers.map((k) => `frame-${String(k).padStart(2, '0')}.png`);
  const cams = turntableCameras({ views: numbers.length, width: W, height: H, fov: 40, elevation: 15, names });
  await Promise.all(
    cams.map(async (cam, i) => {
      const file = path.join(dir, names[i]!);
      if (i === opts.blank)
        await sharp({ create: { width: W, height: H, channels: 3, background: { r: 240, g: 240, b: 240 } } })
          .png()
          .toFile(file);
      else await sphereFrame(cam, opts.centre ?? [0.05, 0, 0.03], opts.radius ?? 0.12, file);
    }),
  );
  return { dir, cams };
}

/** A shoot of one sub-folder per row (row-1, …), `n` frames each, the camera on an arc (distance 1) at each row's elevation. */
async function rowShoot(name: string, elevations: number[], opts: { n?: number[]; shoot?: unknown } = {}): Promise<string> {
  const dir = path.join(tmp, name);
  for (const [r, elevation] of elevations.entries()) {
    const n = opts.n?.[r] ?? 8;
    const rowDir = path.join(dir, `row-${r + 1}`);
    await mkdir(rowDir, { recursive: true });
    const names = Array.from({ length: n }, (_, k) => `frame-${String(k + 1).padStart(2, '0')}.png`);
    const cams = turntableCameras({ views: n, width: W, height: H, fov: 40, elevation, names });
    // Off the axis and above the aim point: its image moves with the elevation.
    await Promise.all(cams.map((cam, i) => sphereFrame(cam, [0.05, 0.06, 0.03], 0.1, path.join(rowDir, names[i]!))));
  }
  if (opts.shoot !== undefined) await writeFile(path.join(dir, 'shoot.json'), JSON.stringify(opts.shoot));
  return dir;
}

function parText(cams: Camera[]): string {
  return `${cams.length}\n${cams.map((c) => [c.name, ...c.K, ...c.R, ...c.t].join(' ')).join('\n')}\n`;
}

/** One line on stderr, exit code non-zero, nothing left where the output would have gone. */
async function expectRefused(r: { code: number | null; stderr: string }, out: string, message: RegExp): Promise<void> {
  expect(r.code).not.toBe(0);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^reconstruct: /.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(existsSync(out)).toBe(false);
  const parent = await readdir(path.dirname(out));
  expect(parent.filter((n) => n.includes(path.basename(out)))).toEqual([]);
}

describe('xoay reconstruct: bad input', () => {
  it('refuses fewer than 8 views (a folder of 6 frames; a calibration file of 5 cameras)', async () => {
    const { dir, cams } = await shoot('six', { n: 6 });
    const out = path.join(tmp, 'out-six');
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*six: 6 view\(s\); reconstruction needs at least 8$/,
    );
    const par = path.join(tmp, 'five_par.txt');
    await writeFile(par, parText(cams.slice(0, 5)));
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--cameras', par, '-q']),
      out,
      /^xoay reconstruct: .*five_par\.txt: 5 view\(s\); reconstruction needs at least 8$/,
    );
  });

  it('names the view where the object is not found', async () => {
    const { dir } = await shoot('blank', { blank: 4 });
    const out = path.join(tmp, 'out-blank');
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*frame-05\.png: the object is not found in view frame-05\.png: /,
    );
  });

  it('names the line of a calibration file whose count or format does not match', async () => {
    const { dir, cams } = await shoot('calib');
    const out = path.join(tmp, 'out-calib');
    const good = parText(cams).trimEnd().split('\n');
    const cases: [string, string[], RegExp][] = [
      ['count', ['9', ...good.slice(1)], /.*count_par\.txt: line 1: says 9 camera\(s\) but the file has 8 camera line\(s\)$/],
      [
        'format',
        [...good.slice(0, 3), good[3]!.split(' ').slice(0, 20).join(' '), ...good.slice(4)],
        /.*format_par\.txt: line 4: expected 22 fields .* got 20$/,
      ],
      [
        'number',
        [...good.slice(0, 5), good[5]!.replace(/ \S+$/, ' 1,5'), ...good.slice(6)],
        /.*number_par\.txt: line 6: t3 \(field 22\) is not a number: "1,5"$/,
      ],
      [
        'image',
        [...good.slice(0, 2), good[2]!.replace('frame-02.png', 'frame-99.png'), ...good.slice(3)],
        /.*image_par\.txt: line 3: image frame-99\.png is not in the folder$/,
      ],
    ];
    for (const [name, lines, message] of cases) {
      const par = path.join(tmp, `${name}_par.txt`);
      await writeFile(par, lines.join('\n') + '\n');
      await expectRefused(await xoayFails(['reconstruct', dir, '-o', out, '--cameras', par, '-q']), out, message);
    }
  });

  it('refuses views not evenly spaced without a calibration file (a gap in the frame numbers), naming the frame after the gap', async () => {
    const { dir } = await shoot('gap', { numbers: [1, 2, 3, 4, 6, 7, 8, 9] });
    const out = path.join(tmp, 'out-gap');
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*frame-06\.png: the views are not evenly spaced: frame number\(s\) 5 missing before frame-06\.png; .*--cameras/,
    );
  });

  it('refuses a shoot without a focal length (no EXIF, no --fov)', async () => {
    const { dir } = await shoot('nofov');
    const out = path.join(tmp, 'out-nofov');
    await expectRefused(await xoayFails(['reconstruct', dir, '-o', out, '-q']), out, /^xoay reconstruct: .*frame-01\.png: no focal length: .*--fov/);
  });

  it('warns, naming the frames, when the object touches the frame edge, and still writes the model', async () => {
    // A sphere far off the axis leaves the frame at the sides of its orbit.
    const { dir } = await shoot('edge', { centre: [0.3, 0, 0], radius: 0.1 });
    const out = path.join(tmp, 'out-edge');
    const r = await xoay(['reconstruct', dir, '-o', out, '--fov', '40', '--resolution', '64', '--triangles', '2000', '--textures', 'keep', '--json']);
    expect(r.stderr).toMatch(/^warning: the object touches the frame edge .* in \d view\(s\): (frame-0\d\.png, )*frame-0\d\.png$/m);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.views).toBe(8);
    const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8'));
    expect(report.warnings[0]).toMatch(/frame edge/);
    // The turntable model (axis from the silhouettes, --fov) explains every view.
    expect(report.cameras.source).toBe('turntable');
    expect(report.iou.min).toBeGreaterThan(0.9);
    expect(report.views.filter((v: { touchesEdge: boolean }) => v.touchesEdge).length).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'model.glb'))).toBe(true);
  });
  it('refuses multi-row shoots whose elevations do not match the rows, or whose rows differ in length, naming the folder', async () => {
    const dir = await rowShoot('rows-count', [10, 40]);
    const out = path.join(tmp, 'out-rows-count');
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '--elevation', '10', '-q']),
      out,
      /^xoay reconstruct: .*rows-count: --elevation gives 1 value\(s\) for 2 row\(s\) \(row-1, row-2\): give one per row, in row order, e\.g\. --elevation 10,40$/,
    );
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*rows-count: 2 rows but no camera elevation for row-1, row-2: give one per row with --elevation 10,40 or in shoot\.json/,
    );
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, '--fov', '40', '--elevation', '10,abc', '-q']),
      out,
      /--elevation must be a number -89–89 or a comma list of them \(one per row\), got "10,abc"/,
    );
    const uneven = await rowShoot('rows-uneven', [10, 40], { n: [8, 9] });
    await expectRefused(
      await xoayFails(['reconstruct', uneven, '-o', out, '--fov', '40', '--elevation', '10,40', '-q']),
      out,
      /^xoay reconstruct: .*rows-uneven: rows have different frame counts: row-1: 8, row-2: 9$/,
    );
  });

  it('refuses a shoot.json with a wrong value or an unknown row folder, naming the file and the field', async () => {
    const out = path.join(tmp, 'out-shoot-json');
    const bad = await rowShoot('shoot-bad', [10, 40], {
      shoot: {
        rows: [
          { folder: 'row-1', elevation: 10 },
          { folder: 'row-2', elevation: 95 },
        ],
      },
    });
    await expectRefused(
      await xoayFails(['reconstruct', bad, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*shoot-bad\/shoot\.json: rows\[1\]\.elevation: expected a number from -89 to 89, got 95$/,
    );
    const unknown = await rowShoot('shoot-unknown', [10, 40], {
      shoot: {
        rows: [
          { folder: 'row-1', elevation: 10 },
          { folder: 'row2', elevation: 40 },
        ],
      },
    });
    await expectRefused(
      await xoayFails(['reconstruct', unknown, '-o', out, '--fov', '40', '-q']),
      out,
      /^xoay reconstruct: .*shoot-unknown\/shoot\.json: rows\[1\]\.folder: "row2" is not a row of the shoot \(its rows: row-1, row-2\)$/,
    );
  });

  it('reconstructs a two-row shoot on an arc from its shoot.json (elevations, fov), every view reported with its row folder; --elevation overrides it', async () => {
    const dir = await rowShoot('rows-ok', [10, 40], {
      shoot: {
        fov: 40,
        rows: [
          { folder: 'row-1', elevation: 10 },
          { folder: 'row-2', elevation: 40 },
        ],
      },
    });
    const out = path.join(tmp, 'out-rows-ok');
    const args = ['--resolution', '64', '--triangles', '2000', '--textures', 'keep', '--json'];
    const r = await xoay(['reconstruct', dir, '-o', out, ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).views).toBe(16);
    const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8'));
    expect(
      report.cameras.rows.map((x: { name: string; elevation: number; elevationFrom: string; views: number }) => [
        x.name,
        x.elevation,
        x.elevationFrom,
        x.views,
      ]),
    ).toEqual([
      ['row-1', 10, 'shoot.json', 8],
      ['row-2', 40, 'shoot.json', 8],
    ]);
    expect(report.cameras.fov).toBeCloseTo(40, 6);
    expect(report.views.map((v: { name: string }) => v.name)).toEqual(
      [1, 2].flatMap((row) => Array.from({ length: 8 }, (_, k) => `row-${row}/frame-0${k + 1}.png`)),
    );
    expect(report.iou.min).toBeGreaterThan(0.9);
    // The command line wins over shoot.json: the rows swapped do not explain the views: refused (exit 1, the reason, no
    // output), and written with --min-iou 0 for a look.
    const swapped = path.join(tmp, 'out-rows-swapped');
    const refused = await xoayFails(['reconstruct', dir, '-o', swapped, ...args.filter((a) => a !== '--json'), '--elevation', '40,10']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /the carved shape does not explain the photos: .* in row-\d\/frame-0\d\.png .*or the elevation \(--elevation, shoot\.json\) is wrong/,
    );
    expect(existsSync(swapped)).toBe(false);
    const kept = await xoay(['reconstruct', dir, '-o', swapped, ...args, '--elevation', '40,10', '--min-iou', '0']);
    expect(kept.code, kept.stderr).toBe(0);
    const worse = JSON.parse(await readFile(path.join(swapped, 'reconstruct.json'), 'utf8'));
    expect(worse.cameras.rows.map((x: { elevation: number; elevationFrom: string }) => [x.elevation, x.elevationFrom])).toEqual([
      [40, 'option'],
      [10, 'option'],
    ]);
    console.log(`two rows on an arc: IoU min ${report.iou.min} mean ${report.iou.mean}; elevations swapped: min ${worse.iou.min} mean ${worse.iou.mean}`);
    expect(worse.iou.mean).toBeLessThan(report.iou.mean - 0.05);
  });

  it("uses a studio's --masks as the silhouettes (backlit frames too), and refuses a mask missing, extra, of another size or not an image, and a clean plate of another size, naming the file; inputs untouched", async () => {
    const { dir, cams } = await shoot('studio');
    // Masks: the sphere white on black; the backlit kind: dark on light (the frames themselves are that).
    const masks = path.join(tmp, 'studio-masks');
    await mkdir(masks);
    for (const [i, cam] of cams.entries()) {
      await sphereFrame(cam, [0.05, 0, 0.03], 0.12, path.join(masks, `m-${i + 1}.png`));
      await sharp(path.join(masks, `m-${i + 1}.png`))
        .negate()
        .toFile(path.join(masks, `mask-${String(i + 1).padStart(2, '0')}.png`));
      await rm(path.join(masks, `m-${i + 1}.png`));
    }
    const args = ['--fov', '40', '--resolution', '64', '--triangles', '2000', '--textures', 'keep', '-q'];
    for (const [label, folder] of [
      ['masks', masks],
      ['backlit', dir],
    ] as const) {
      const out = path.join(tmp, `out-studio-${label}`);
      const r = await xoay(['reconstruct', dir, '-o', out, ...args, '--masks', folder]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(await readFile(path.join(out, 'reconstruct.json'), 'utf8'));
      expect(report.segment).toBe('masks');
      expect(report.iou.min).toBeGreaterThan(0.9);
    }
    const before = await readdir(masks);
    const out = path.join(tmp, 'out-studio-bad');
    const bad = path.join(tmp, 'studio-bad');
    await mkdir(bad);
    for (const n of before.slice(0, 7)) await writeFile(path.join(bad, n), await readFile(path.join(masks, n)));
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, ...args, '--masks', bad]),
      out,
      /^xoay reconstruct: .*studio-bad: 8 frames but 7 masks: no mask for frame frame-08\.png/,
    );
    await writeFile(path.join(bad, before[7]!), await readFile(path.join(masks, before[7]!)));
    await writeFile(path.join(bad, 'mask-09.png'), await readFile(path.join(masks, before[0]!)));
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, ...args, '--masks', bad]),
      out,
      /^xoay reconstruct: .*mask-09\.png: 8 frames but 9 masks: mask-09\.png match no frame/,
    );
    await rm(path.join(bad, 'mask-09.png'));
    await sharp({ create: { width: W / 2, height: H / 2, channels: 3, background: '#000' } })
      .png()
      .toFile(path.join(bad, before[3]!));
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, ...args, '--masks', bad]),
      out,
      new RegExp(`^xoay reconstruct: .*${before[3]!.replace('.', '\\.')}: the mask is 80×60 but its frame frame-04\\.png is 160×120$`),
    );
    await writeFile(path.join(bad, before[3]!), 'not a png');
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, ...args, '--masks', bad]),
      out,
      new RegExp(`^xoay reconstruct: .*${before[3]!.replace('.', '\\.')}: the mask is not an image`),
    );
    const plate = path.join(tmp, 'plate.png');
    await sharp({ create: { width: W, height: H + 2, channels: 3, background: '#f0f0f0' } })
      .png()
      .toFile(plate);
    await expectRefused(
      await xoayFails(['reconstruct', dir, '-o', out, ...args, '--clean-plate', plate]),
      out,
      /^xoay reconstruct: .*plate\.png: the clean plate is 160×122 but the frames are 160×120/,
    );
    expect(await readdir(masks)).toEqual(before);
  });
});
