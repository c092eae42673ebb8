/**
 * The model's worker thread: the time limit, the memory cap and an abort each end the run with one XoayError line
 * naming the file and the stage, and leave nothing next to the output (issue 19).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isXoayError } from '../../../pipeline/core/errors.js';
import { modelIsolated } from '../../../pipeline/model/isolate.js';
import { ROOT } from '../../helpers/data.js';
import { boxGlb } from '../../helpers/models.js';

const STOOL = path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb');
let tmp: string;
let many: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-isolate-'));
  // 30,000 nodes sharing the box's mesh: a JSON of a few MB, hundreds of MB of graph once read.
  const box = await readFile(await boxGlb(path.join(tmp, 'box.glb')));
  const jsonLen = box.readUInt32LE(12);
  const json = JSON.parse(box.subarray(20, 20 + jsonLen).toString('utf8'));
  const bin = box.subarray(20 + jsonLen + 8, 20 + jsonLen + 8 + json.buffers[0].byteLength);
  await mkdir(path.join(tmp, 'many'));
  await writeFile(path.join(tmp, 'many', 'box.bin'), bin);
  json.buffers[0].uri = 'box.bin';
  const mesh = json.nodes.find((n: { mesh?: number }) => n.mesh !== undefined).mesh;
  json.nodes = Array.from({ length: 30_000 }, (_, i) => ({ mesh, name: `part ${i}`, translation: [i % 100, Math.floor(i / 100), 0] }));
  json.scenes = [{ nodes: json.nodes.map((_: unknown, i: number) => i) }];
  json.scene = 0;
  many = path.join(tmp, 'many', 'many.gltf');
  await writeFile(many, JSON.stringify(json));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function stopped(run: (out: string) => Promise<unknown>, match: RegExp, file: string): Promise<void> {
  const where = await mkdtemp(path.join(tmp, 'run-'));
  const out = path.join(where, 'deep', 'out');
  const e = await run(out).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isXoayError(e), String(e)).toBe(true);
  const message = (e as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toContain(file);
  expect(message).toMatch(match);
  // Nothing left: not the temporary output, not the folders made for it.
  expect(await readdir(where)).toEqual([]);
}

describe('the model worker', () => {
  it('stops at the time limit', { timeout: 60_000 }, async () => {
    await stopped(
      (out) => modelIsolated(STOOL, out, { textures: 'ktx2', ktx2Encoder: 'wasm' }, { isolate: { timeoutSeconds: 1 } }),
      /^[a-z0-9]+: .*: took longer than the time limit of 1 s in the [a-z0-9]+ stage; stopped$/,
      STOOL,
    );
  });
  it('stops at the memory cap', { timeout: 60_000 }, async () => {
    await stopped(
      (out) => modelIsolated(many, out, { textures: 'keep' }, { isolate: { maxMemoryMb: 64 } }),
      /needs more than the memory limit of 64 MiB in the [a-z]+ stage; stopped$/,
      many,
    );
  });
  it('stops when aborted, at once', { timeout: 60_000 }, async () => {
    const ac = new AbortController();
    await stopped(
      (out) =>
        modelIsolated(
          many,
          out,
          { textures: 'keep' },
          {
            signal: ac.signal,
            onEvent: (e) => {
              if (e.stage === 'merge') ac.abort();
            },
          },
        ),
      /: cancelled in the merge stage$/,
      many,
    );
  });
});
