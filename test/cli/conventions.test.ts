/**
 * One convention for every command (issue 17): with --json, stdout is one JSON document (JSON lines for build) on
 * success and on failure, and nothing else; without it, nothing but the summary; `model -o out.glb` writes a file and
 * its report beside it; a config file's settings reach each command and flags override them; a bad config file is one
 * line, exit 2, nothing written.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticShoot } from '../../samples/synthetic-shoot.js';
import { type CliResult, xoay } from '../helpers/cli.js';
import { boxGlb } from '../helpers/models.js';

let tmp: string, shoot: string, box: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-conventions-'));
  shoot = path.join(tmp, 'shoot');
  await makeSyntheticShoot(shoot, { frames: 8, width: 160, height: 120, orbit: 6, backdrop: 'white' });
  box = await boxGlb(path.join(tmp, 'box.glb'));
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** stdout is exactly one JSON document (or JSON lines when `lines`), and returns the last one. */
function jsonOnly(r: CliResult, lines = false): Record<string, any> {
  const out = r.stdout.trim().split('\n');
  if (!lines) expect(out, r.stdout).toHaveLength(1);
  const docs = out.map((l) => JSON.parse(l));
  return docs.at(-1);
}

/** A failure: exit code, one line on stderr in the common format, {"error":{…}} on stdout. */
function failedJson(r: CliResult, command: string, code: number) {
  expect(r.code, r.stderr).toBe(code);
  const doc = jsonOnly(r);
  expect(doc.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(new RegExp(`^xoay ${command}: `));
  return doc.error;
}

describe('--json: one document on stdout, success and failure', () => {
  it('spin', async () => {
    const ok = await xoay(['spin', shoot, '-o', path.join(tmp, 'spin-ok'), '--widths', '32', '--formats', 'jpeg', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOnly(ok)).toMatchObject({ frames: 8, widths: [32] });
    expect(failedJson(await xoay(['spin', path.join(tmp, 'nope'), '-o', path.join(tmp, 'x'), '--json']), 'spin', 1)).toMatchObject({ code: 'INPUT_MISSING' });
    expect(failedJson(await xoay(['spin', '--json']), 'spin', 2)).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/missing the input folder/) });
    expect(failedJson(await xoay(['spin', shoot, '-o', path.join(tmp, 'x'), '--widths', 'abc', '--json']), 'spin', 2).message).toMatch(
      /--widths must be integers/,
    );
    expect(failedJson(await xoay(['spin', shoot, '--bogus', '--json']), 'spin', 2).message).toMatch(/unknown option '--bogus'/);
  }, 180_000);
  it('model, and -o out.glb writes out.glb and out.json beside it', async () => {
    const ok = await xoay(['model', box, '-o', path.join(tmp, 'm', 'out.glb'), '--textures', 'keep', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOnly(ok)).toMatchObject({ output: path.join(tmp, 'm', 'out.glb') });
    expect((await readdir(path.join(tmp, 'm'))).sort()).toEqual(['out.glb', 'out.json']);
    expect((await stat(path.join(tmp, 'm', 'out.glb'))).isFile()).toBe(true);
    // Again without --force: refused, nothing changed.
    expect(failedJson(await xoay(['model', box, '-o', path.join(tmp, 'm', 'out.glb'), '--json']), 'model', 1)).toMatchObject({ code: 'OUTPUT_EXISTS' });
    // -o dir/: today's layout.
    const dir = await xoay(['model', box, '-o', path.join(tmp, 'mdir'), '--textures', 'keep', '-q']);
    expect(dir.code, dir.stderr).toBe(0);
    expect(dir.stdout).toBe('');
    expect((await readdir(path.join(tmp, 'mdir'))).sort()).toEqual(['model.glb', 'model.json']);
    expect(failedJson(await xoay(['model', '/nonexist.glb', '-o', path.join(tmp, 'x'), '--json']), 'model', 1)).toMatchObject({
      code: 'INPUT_MISSING',
      file: '/nonexist.glb',
    });
    expect(failedJson(await xoay(['model', box, '-o', path.join(tmp, 'x'), '--lods', '9', '--json']), 'model', 2).message).toMatch(/--lods/);
  }, 120_000);
  it('build: JSON lines with --json, none on stdout without it', async () => {
    const product = path.join(tmp, 'cat', 'p1');
    await mkdir(product, { recursive: true });
    const bad = await xoay(['build', path.join(tmp, 'nope'), '-o', path.join(tmp, 'site'), '--base-url', 'https://x.example/', '--json']);
    expect(failedJson(bad, 'build', 1).message).toMatch(/no such folder/);
    expect(failedJson(await xoay(['build', tmp, '-o', path.join(tmp, 'site'), '--json']), 'build', 2).message).toMatch(/--base-url/);
  });
  it('reconstruct, check-site, status: failures as JSON', async () => {
    expect(failedJson(await xoay(['reconstruct', path.join(tmp, 'nope'), '-o', path.join(tmp, 'r'), '--json']), 'reconstruct', 1).code).toBeTruthy();
    expect(failedJson(await xoay(['reconstruct', '--json']), 'reconstruct', 2).code).toBe('USAGE');
    expect(failedJson(await xoay(['check-site', path.join(tmp, 'nope'), '--json']), 'check-site', 1).code).toBeTruthy();
    expect(failedJson(await xoay(['status', '--queue', 'nope', '--json']), 'status', 2).message).toMatch(/--queue/);
  });
});

describe('config file', () => {
  it('a setting reaches the command, a flag overrides it, --print-config shows the merge', async () => {
    const dir = path.join(tmp, 'cfg');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'xoay.config.yaml'),
      'spin:\n  widths: [40]\n  formats: [jpeg]\nmodel:\n  textures: keep\n  lods: 1\nbuild:\n  baseUrl: https://cfg.example/\n',
    );
    const p = await xoay(['spin', '--print-config', '--margin', '9'], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ config: path.join(dir, 'xoay.config.yaml'), options: { widths: [40], formats: ['jpeg'], margin: 9 } });
    const s = await xoay(['spin', shoot, '-o', path.join(tmp, 'cfg-spin'), '--json'], { cwd: dir });
    expect(jsonOnly(s)).toMatchObject({ widths: [40], formats: ['jpeg'] });
    const f = await xoay(['spin', shoot, '-o', path.join(tmp, 'cfg-spin2'), '--widths', '24', '--json'], { cwd: dir });
    expect(jsonOnly(f)).toMatchObject({ widths: [24], formats: ['jpeg'] });
    const m = await xoay(['model', box, '-o', path.join(tmp, 'cfg-model'), '--lods', '0', '--json'], { cwd: dir });
    expect(jsonOnly(m)).toMatchObject({ options: { textures: 'keep', lods: 0 } });
    const b = await xoay(['build', '--print-config', '--title', 'T'], { cwd: dir });
    expect(JSON.parse(b.stdout).options).toMatchObject({ baseUrl: 'https://cfg.example/', title: 'T' });
  }, 120_000);
  it('reconstruct, preview, worker, status, check-site: the config section reaches the options, a flag overrides it', async () => {
    const dir = path.join(tmp, 'cfg2');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'xoay.config.json'),
      JSON.stringify({
        reconstruct: { resolution: 64, fov: 40 },
        preview: { port: 4999, host: '127.0.0.1' },
        worker: { concurrency: 3, lockDuration: 9000 },
        status: { queue: 'redis://127.0.0.1:1' },
        'check-site': { baseUrl: 'https://cfg.example/' },
      }),
    );
    const cases: [string[], Record<string, unknown>][] = [
      [['reconstruct', '--fov', '50'], { resolution: 64, fov: 50 }],
      [['preview', 'products', '--port', '5000'], { port: 5000, host: '127.0.0.1' }],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', '2'], { concurrency: 2, lockDuration: 9000 }],
      [['status', '--queue', 'redis://127.0.0.1:2'], { queue: 'redis://127.0.0.1:2' }],
      [['check-site', 'site', '--base-url', 'https://flag.example/'], { baseUrl: 'https://flag.example/' }],
      [['check-site', 'site'], { baseUrl: 'https://cfg.example/' }],
    ];
    for (const [args, expected] of cases) {
      const r = await xoay([...args, '--print-config'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).options, args.join(' ')).toMatchObject(expected);
    }
  }, 180_000);
  it('bad config files: one line naming the file and the key, exit 2, nothing written', async () => {
    const cases: [string, string, RegExp][] = [
      ['unknown.json', '{"spin":{"widht":[1]}}', /unknown\.json: spin\.widht: unknown option/],
      ['type.json', '{"spin":{"margin":"5"}}', /type\.json: spin\.margin: expected a number between 0 and 100, given "5"/],
      ['section.json', '{"spinn":{}}', /section\.json: unknown key "spinn"/],
      ['broken.json', '{"spin": {', /broken\.json: not valid JSON/],
      ['broken.yaml', 'spin: [1, 2\n  x: : :', /broken\.yaml: not valid YAML/],
    ];
    for (const [name, body, match] of cases) {
      const f = path.join(tmp, name);
      await writeFile(f, body);
      const out = path.join(tmp, `out-${name}`);
      const r = await xoay(['spin', shoot, '-o', out, '--config', f]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^xoay spin: /);
      expect(r.stderr).toMatch(match);
      await expect(stat(out)).rejects.toThrow();
      const j = await xoay(['spin', shoot, '-o', out, '--config', f, '--json']);
      expect(jsonOnly(j).error.code).toBe('BAD_CONFIG');
    }
  }, 180_000);
});
