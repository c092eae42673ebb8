/**
 * One convention for every command (issue 17): with --json, stdout is one JSON document (JSON lines for build) on
 * success and on failure, and nothing else; without it, nothing but the summary; `model -o out.glb` writes a file and
 * its report beside it; a config file's settings reach each command and flags override them; a bad config file is one
 * line, exit 2, nothing written. check-site and preview on success too (worker's JSON lines: test/pipeline/queue).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../pipeline/core/pool.js';
import { makeSyntheticShoot } from '../../samples/synthetic-shoot.js';
import { type CliResult, xoay, xoayFails } from '../helpers/cli.js';
import { boxGlb } from '../helpers/models.js';
import { ROOT } from '../helpers/data.js';
import { makeProduct } from '../helpers/products.js';

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

describe('--json on success: check-site and preview (the long-running commands: worker in queue.test.ts)', () => {
  it('check-site: the result as one document; preview: the address as one document, then it serves', async () => {
    const site = path.join(tmp, 'plain-site');
    await mkdir(site, { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<!doctype html><html lang="vi"><title>Sản phẩm</title><p>OCOP</p></html>');
    const ok = await xoay(['check-site', site, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOnly(ok)).toMatchObject({ pages: 1, problems: [] });
    const product = await makeProduct(path.join(tmp, 'preview-products'), 'p-json');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/xoay.js'), 'preview', product, '--port', '0', '--widths', '128', '--json']);
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const first = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('\n')) resolve(stdout);
        });
        child.once('exit', (code) => reject(new Error(`preview exited ${code}: ${stderr}`)));
      });
      const doc = JSON.parse(first.trim());
      expect(Object.keys(doc)).toEqual(['url']);
      const page = await fetch(doc.url);
      expect(page.status).toBe(200);
      // Nothing else on stdout while it serves.
      await new Promise((r) => setTimeout(r, 500));
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 180_000);
});

describe('bad input of every command, as typed and with --json', () => {
  // Each case runs twice (test/helpers/cli.ts xoayFails): without --json nothing on stdout; with it one {"error":…}
  // document and nothing else, the same exit code and the same line on stderr. The commands' own bad-input tests
  // (spin-errors, model-errors, reconstruct-errors, hostile, build, queue) run each of their cases the same way.
  it('usage errors and inputs that cannot be used, for each command', { timeout: 300_000 }, async () => {
    const nope = path.join(tmp, 'nope');
    const out = path.join(tmp, 'bad-out');
    const site = ['-o', out, '--base-url', 'https://x.example/'];
    const cases: [string[], number, RegExp][] = [
      [['spin', shoot, '-o', out, '--rows', '65'], 2, /--rows must be an integer 0–64/],
      [['spin', shoot, '-o', out, '--widths', '16385'], 2, /--widths must be integers 16–16384/],
      [['spin', shoot, '-o', out, '--shadow', 'soft'], 2, /argument 'soft' is invalid/],
      [['model', '-o', out], 2, /missing the model file/],
      [['model', box, '-o', out, '--textures', 'png'], 2, /argument 'png' is invalid/],
      [['model', box, '-o', out, '--max-memory', '1'], 2, /--max-memory must be an integer 64–/],
      [['reconstruct', shoot, '-o', out, '--elevation', '95'], 2, /--elevation must be a number -89–89/],
      [['reconstruct', shoot, '-o', out, '--fov', '0'], 2, /--fov must be a number 1–179/],
      [['reconstruct', shoot], 2, /missing -o, --output/],
      [['build', '-o', out, '--base-url', 'https://x.example/'], 2, /missing the product or catalogue folders/],
      [['build', nope, ...site, '--jobs', '0'], 2, /--jobs must be an integer 1–64/],
      [['build', nope, ...site, '--attempts', '21'], 2, /--attempts must be an integer 1–20/],
      [['build', nope, ...site, '--formats', 'gif'], 2, /--formats must list avif, webp, jpeg/],
      [['build', shoot, '-o', out, '--base-url', 'ftp://x'], 2, /\(http or https\) for --base-url but received "ftp:\/\/x"/],
      [['preview', nope], 1, /nope/],
      [['preview', nope, '--port', '70000'], 2, /--port must be an integer 0–65535/],
      [['check-site', nope], 1, /nope/],
      [['check-site'], 2, /missing required argument 'site'/],
      [['worker'], 2, /missing --queue <url>/],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--lock-duration', '10'], 2, /--lock-duration must be an integer 500–3600000/],
      [['status'], 2, /missing --queue <url>/],
      [['status', '--queue', 'redis://127.0.0.1:1', '--bogus'], 2, /unknown option '--bogus'/],
      [['bogus'], 2, /unknown command 'bogus'/],
    ];
    // Four cases at a time: each is refused before anything is written (checked after each case and after all).
    await mapLimit(cases, 4, async ([args, code, match]) => {
      const r = await xoayFails(args, { cwd: tmp });
      expect(r.code, args.join(' ')).toBe(code);
      // The JSON code: USAGE for a missing or unknown option, argument or command; BAD_OPTION for a bad value.
      if (/missing|unknown/.test(r.stderr)) expect(r.error.code, args.join(' ')).toBe('USAGE');
      else if (code === 2) expect(r.error.code, args.join(' ')).toBe('BAD_OPTION');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(match)]);
      await expect(stat(out), args.join(' ')).rejects.toThrow();
    });
    await expect(stat(out)).rejects.toThrow();
  });
});

describe('config file', () => {
  it('a setting reaches the command, a flag overrides it, --print-config shows the merge', async () => {
    const dir = path.join(tmp, 'cfg');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'xoay.config.yaml'),
      'spin:\n  widths: [40]\n  formats: [jpeg]\nmodel:\n  textures: keep\n  lods: 1\nbuild:\n  baseUrl: https://cfg.example/\n  fidelity: false\n',
    );
    const p = await xoay(['spin', '--print-config', '--margin', '9'], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ config: path.join(dir, 'xoay.config.yaml'), options: { widths: [40], formats: ['jpeg'], margin: 9 } });
    const s = await xoay(['spin', shoot, '-o', path.join(tmp, 'cfg-spin'), '--json'], { cwd: dir });
    expect(jsonOnly(s)).toMatchObject({ widths: [40], formats: ['jpeg'] });
    const f = await xoay(['spin', shoot, '-o', path.join(tmp, 'cfg-spin2'), '--widths', '24', '--json'], { cwd: dir });
    expect(jsonOnly(f)).toMatchObject({ widths: [24], formats: ['jpeg'] });
    const m = await xoay(['model', box, '-o', path.join(tmp, 'cfg-model'), '--lods', '0', '--quantization-volume', 'scene', '--json'], { cwd: dir });
    expect(jsonOnly(m)).toMatchObject({ options: { textures: 'keep', lods: 0, quantizationVolume: 'scene' } });
    const b = await xoay(['build', '--print-config', '--title', 'T'], { cwd: dir });
    expect(JSON.parse(b.stdout).options).toMatchObject({ baseUrl: 'https://cfg.example/', title: 'T', fidelity: false });
  }, 120_000);
  it('reconstruct, preview, worker, status, check-site, render: the config section reaches the options, a flag overrides it', async () => {
    const dir = path.join(tmp, 'cfg2');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'xoay.config.json'),
      JSON.stringify({
        reconstruct: { resolution: 64, fov: 40 },
        preview: { port: 4999, host: '127.0.0.1' },
        worker: { queue: 'redis://127.0.0.1:1', concurrency: 3, lockDuration: 9000 },
        status: { queue: 'redis://127.0.0.1:1' },
        'check-site': { baseUrl: 'https://cfg.example/' },
        render: { width: 200, height: 100, exposure: 2 },
      }),
    );
    const cases: [string[], Record<string, unknown>][] = [
      [['reconstruct', '--fov', '50'], { resolution: 64, fov: 50 }],
      [['preview', 'products', '--port', '5000'], { port: 5000, host: '127.0.0.1' }],
      [['worker', '--concurrency', '2'], { queue: 'redis://127.0.0.1:1', concurrency: 2, lockDuration: 9000 }],
      [['worker', '--queue', 'redis://127.0.0.1:3'], { queue: 'redis://127.0.0.1:3', concurrency: 3 }],
      [['status', '--queue', 'redis://127.0.0.1:2'], { queue: 'redis://127.0.0.1:2' }],
      [['status'], { queue: 'redis://127.0.0.1:1' }],
      [['check-site', 'site', '--base-url', 'https://flag.example/'], { baseUrl: 'https://flag.example/' }],
      [['check-site', 'site'], { baseUrl: 'https://cfg.example/' }],
      [['render', 'm.glb', '-o', 'm.png', '--width', '300'], { width: 300, height: 100, exposure: 2 }],
    ];
    // --print-config reads and prints, nothing more: four at a time.
    await mapLimit(cases, 4, async ([args, expected]) => {
      const r = await xoay([...args, '--print-config'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).options, args.join(' ')).toMatchObject(expected);
    });
    // Not only printed: status takes its queue from the config file (no --queue on the command line) and uses it.
    const s = await xoay(['status', '--json'], { cwd: dir });
    expect(s.code, s.stderr).toBe(1);
    expect(JSON.parse(s.stdout).error.message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    // Without a queue in either place: a usage error naming both ways to give it.
    const none = await xoay(['worker', '--json'], { cwd: tmp });
    expect(none.code, none.stderr).toBe(2);
    expect(JSON.parse(none.stdout).error.message).toMatch(/missing --queue <url> .*worker\.queue in the config file/);
  }, 180_000);
  it('bad config files: one line naming the file and the key, exit 2, nothing written', async () => {
    const cases: [string, string, RegExp][] = [
      ['unknown.json', '{"spin":{"widht":[1]}}', /unknown\.json: spin\.widht: unknown option/],
      ['type.json', '{"spin":{"margin":"5"}}', /type\.json: spin\.margin: expected a number between 0 and 100, given "5"/],
      ['section.json', '{"spinn":{}}', /section\.json: unknown key "spinn"/],
      ['broken.json', '{"spin": {', /broken\.json: not valid JSON/],
      ['broken.yaml', 'spin: [1, 2\n  x: : :', /broken\.yaml: not valid YAML/],
    ];
    // Each file with its own output, refused before it is written: the five at once, each as typed then with --json.
    await mapLimit(cases, cases.length, async ([name, body, match]) => {
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
    });
  }, 180_000);
});
