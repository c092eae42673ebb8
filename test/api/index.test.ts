/**
 * The JavaScript API (api/index.ts) from the sources: options checked before any work (sharp's way: BAD_OPTION naming
 * the option, what was expected and what was given; nothing written), and an AbortSignal cancelling each function with
 * XoayError CANCELLED and nothing left behind. The packed package and its results against the CLI's:
 * test/api/package.test.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, isXoayError, model, reconstruct, spin, XoayError } from '../../api/index.js';
import { dataSet, ROOT } from '../helpers/data.js';

const SHOOT = path.join(ROOT, 'samples/stool-turntable');
const table = dataSet('models/wooden_table_02_1k.glb');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-api-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh empty folder: the parent of one call's output (so "nothing left behind" is an empty listing). */
async function parent(name: string): Promise<string> {
  return mkdtemp(path.join(tmp, `${name}-`));
}

/** The XoayError a promise rejects with (fails the test when it resolves, or rejects with anything else). */
async function failure(p: Promise<unknown>): Promise<XoayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(XoayError);
  return e as XoayError;
}

describe('options are checked before any work', () => {
  it('a wrong type names the option, what was expected and what was given; nothing is written', async () => {
    const dir = await parent('bad');
    const out = path.join(dir, 'out');
    // Each call made when its case is checked: a rejected promise left waiting while another call loads its pipeline
    // would be an unhandled rejection.
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => spin(SHOOT, out, { margin: '5' as unknown as number }), /^spin: expected a number between 0 and 100 for option margin but received "5"$/],
      [() => spin(SHOOT, out, { widths: [512, 10] }), /^spin: expected an integer between 16 and 16384 for option widths but received 10$/],
      [() => spin(SHOOT, out, { shadow: 'off' as 'keep' }), /^spin: expected one of keep, remove for option shadow but received "off"$/],
      [() => spin(SHOOT, out, { aspect: true as unknown as string }), /for option aspect but received true$/],
      [() => spin(SHOOT, out, { aspect: '4-3' }), /expected W:H \(e\.g\. 1:1, 4:3\) or keep for option --aspect but received "4-3"/],
      [() => spin(SHOOT, out, { onProgress: 'yes' as unknown as () => void }), /^spin: expected a function for option onProgress but received "yes"$/],
      [() => spin(SHOOT, out, { signal: {} as AbortSignal }), /^spin: expected an AbortSignal for option signal/],
      [() => spin(SHOOT, out, 5 as unknown as object), /^spin: expected an options object but received 5$/],
      [() => spin(42 as unknown as string, out), /^spin: expected a path \(a non-empty string\) for option input but received 42$/],
      [
        () => model('in.glb', out, { textures: 'png' as 'webp' }),
        /^model: expected one of auto, ktx2, webp, avif, jpeg, keep for option textures but received "png"$/,
      ],
      [() => model('in.glb', out, { maxMemory: 8 }), /^model: expected an integer between 64 and 1048576 for option maxMemory but received 8$/],
      [() => model('in.glb', out, { fidelity: 'yes' as unknown as boolean }), /^model: expected .*for option fidelity but received "yes"$/],
      [() => reconstruct(SHOOT, out, { minIou: 2 }), /^reconstruct: expected a number between 0 and 1 for option minIou but received 2$/],
      [() => reconstruct(SHOOT, out, { elevation: [10, 'x' as unknown as number] }), /for option elevation but received "x"$/],
      [
        () => build(SHOOT, out, {} as { baseUrl: string }),
        /^build: expected the public address of the site.* \(required\) for option baseUrl but received undefined$/,
      ],
      [() => build(SHOOT, out, { baseUrl: 'ftp://x/' }), /for option baseUrl but received "ftp:\/\/x\/"$/],
      [() => build([], out, { baseUrl: 'https://x.example/' }), /for option folders but received \[\]$/],
    ];
    for (const [call, message] of cases) {
      const e = await failure(call());
      expect(e.code).toBe('BAD_OPTION');
      expect(e.message).toMatch(message);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('an unknown option (a typo) is refused with the list of the options', async () => {
    const e = await failure(spin(SHOOT, path.join(tmp, 'never'), { widht: 512 } as object));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toMatch(/^spin: unknown option widht \(the options are: rows, .*widths, formats.*, onProgress, signal\)$/);
    expect(isXoayError(e)).toBe(true);
  });
});

describe('an AbortSignal cancels the call: XoayError CANCELLED, nothing left behind', () => {
  it('already aborted: nothing starts', async () => {
    const dir = await parent('pre');
    const signal = AbortSignal.abort();
    const out = path.join(dir, 'out');
    for (const call of [() => spin(SHOOT, out, { signal }), () => model('in.glb', out, { signal }), () => reconstruct(SHOOT, out, { signal })]) {
      expect((await failure(call())).code).toBe('CANCELLED');
    }
    expect((await failure(build(SHOOT, out, { baseUrl: 'https://x.example/', signal }))).code).toBe('CANCELLED');
    expect(await readdir(dir)).toEqual([]);
  });

  it('spin: aborted while the frames are analysed (its temporary output already open)', async () => {
    const dir = await parent('spin');
    const ac = new AbortController();
    let progress = 0;
    const e = await failure(
      spin(SHOOT, path.join(dir, 'a', 'out'), {
        widths: [128],
        formats: ['jpeg'],
        signal: ac.signal,
        onProgress: (ev) => {
          if (ev.type === 'progress' && ++progress === 3) ac.abort();
        },
      }),
    );
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('analyse: cancelled (its AbortSignal was aborted)');
    // The output, its temporary sibling and the folder made for it are gone.
    expect(await readdir(dir)).toEqual([]);
  });

  it('reconstruct: aborted after its first stage', async () => {
    const dir = await parent('reconstruct');
    const ac = new AbortController();
    const stages: string[] = [];
    const e = await failure(
      reconstruct(SHOOT, path.join(dir, 'out'), {
        signal: ac.signal,
        onProgress: (ev) => {
          if (ev.type === 'stage') stages.push(ev.stage);
          ac.abort();
        },
      }),
    );
    expect(e.code).toBe('CANCELLED');
    expect(stages).toEqual(['cameras']);
    expect(await readdir(dir)).toEqual([]);
  });

  it.skipIf(!table.present)(`model: aborted while its worker thread runs ${table.reason}`, async () => {
    const dir = await parent('model');
    const ac = new AbortController();
    const e = await failure(model(table.dir, path.join(dir, 'out'), { textures: 'webp', signal: ac.signal, onProgress: () => ac.abort() }));
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toMatch(/cancelled in the \w+ stage$/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('build: aborted in its first product: no product in the site, no temporary folder, the error is the build’s', async () => {
    const dir = await parent('build');
    const site = path.join(dir, 'site');
    const ac = new AbortController();
    const e = await failure(
      build(path.join(ROOT, 'samples/catalogue/ghe-dau-go-son'), site, {
        baseUrl: 'https://ocop.example.vn/san-pham/',
        cache: path.join(dir, 'cache'),
        allowLinksInto: [path.join(ROOT, 'samples')],
        signal: ac.signal,
        onProgress: () => ac.abort(),
      }),
    );
    expect(e.code).toBe('CANCELLED');
    const left = await readdir(site);
    expect(left.filter((f) => !f.startsWith('.xoay-site'))).toEqual([]);
    const cache = await readdir(path.join(dir, 'cache'), { recursive: true }).catch(() => []);
    expect(cache.filter((f) => /xoay-tmp|\.frames/.test(f))).toEqual([]);
  });
});
