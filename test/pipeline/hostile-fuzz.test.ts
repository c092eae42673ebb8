/**
 * Fuzzing with a fixed seed (issue 19): mutated GLB / glTF models (structure-aware JSON mutations and byte flips) from
 * test boxes, the committed CC0 stool and the shared models, mutated product.json / product.yaml / story.md, and
 * mutated shoot frames. Every case must end in a result or one XoayError line naming the file; it fails on an
 * unexpected error (a crash the model worker contained, or anything but a XoayError in this thread), a hang or a
 * memory cap hit (the worker's limits), partial output, a changed input, or a file from outside the folder in the output.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isXoayError } from '../../pipeline/core/errors.js';
import { mapLimit } from '../../pipeline/core/pool.js';
import { mulberry32 } from '../../pipeline/core/random.js';
import { modelIsolated } from '../../pipeline/model/isolate.js';
import { readProduct } from '../../pipeline/product/product.js';
import { renderStory } from '../../pipeline/product/story.js';
import { spin } from '../../pipeline/spin/spin.js';
import { dataSet, ROOT } from '../helpers/data.js';
import { boxGlb } from '../helpers/models.js';
import { facts, STOOL_FRAMES } from '../helpers/products.js';

const SEED = 19;
const MODEL_CASES = 120;
const PRODUCT_CASES = 160;
const FRAME_CASES = 8;
const models = dataSet('models');

let tmp: string;
let secretPng: Buffer;
const rand = mulberry32(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const int = (n: number) => Math.floor(rand() * n);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-fuzz-'));
  await mkdir(path.join(tmp, 'outside'));
  secretPng = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#13579b' } })
    .png()
    .toBuffer();
  await writeFile(path.join(tmp, 'outside', 'secret.png'), secretPng);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A model as files: the main file's name and every file of its folder. */
interface Seed {
  name: string;
  main: string;
  files: Map<string, Buffer>;
}

async function seeds(): Promise<Seed[]> {
  const out: Seed[] = [];
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#aa3322' } })
    .png()
    .toBuffer();
  const box = await readFile(await boxGlb(path.join(tmp, 'box.glb')));
  const textured = await readFile(await boxGlb(path.join(tmp, 'textured.glb'), { texture: new Uint8Array(png) }));
  out.push({ name: 'box.glb', main: 'model.glb', files: new Map([['model.glb', box]]) });
  out.push({ name: 'textured.glb', main: 'model.glb', files: new Map([['model.glb', textured]]) });
  // The textured box as .gltf + .bin + .png.
  const jsonLen = textured.readUInt32LE(12);
  const json = JSON.parse(textured.subarray(20, 20 + jsonLen).toString('utf8'));
  const bin = textured.subarray(20 + jsonLen + 8, 20 + jsonLen + 8 + json.buffers[0].byteLength);
  json.buffers[0].uri = 'model.bin';
  json.images = [{ uri: 'label.png', mimeType: 'image/png' }];
  out.push({
    name: 'textured.gltf',
    main: 'model.gltf',
    files: new Map([
      ['model.gltf', Buffer.from(JSON.stringify(json))],
      ['model.bin', Buffer.from(bin)],
      ['label.png', png],
    ]),
  });
  out.push({
    name: 'stool.glb',
    main: 'model.glb',
    files: new Map([['model.glb', await readFile(path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'))]]),
  });
  if (models.present)
    out.push({ name: '2CylinderEngine.glb', main: 'model.glb', files: new Map([['model.glb', await readFile(path.join(models.dir, '2CylinderEngine.glb'))]]) });
  return out;
}

const HOSTILE_VALUES: unknown[] = [
  null,
  -1,
  0,
  0.5,
  2 ** 32,
  1e308,
  '',
  'x'.repeat(5000),
  {},
  [],
  [null],
  true,
  '%ZZ',
  'outside.png',
  '../outside/secret.png',
  '/etc/hostname',
  'zero.png',
  'pipe.bin',
  'folder.bin',
  'data:application/octet-stream;base64,AAAA',
];
const URIS = [
  'outside.png',
  '../outside/secret.png',
  '/etc/hostname',
  'zero.png',
  'pipe.bin',
  'folder.bin',
  '%ZZ',
  '%2e%2e/outside/secret.png',
  'file:///etc/hostname',
  'https://example.com/x.png',
  'a'.repeat(3000),
];
const INF = '"__INFINITY__"';

/** Every [container, key] of a JSON value, iteratively. */
function slots(json: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const stack = [json];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), stack.push(x)));
    else if (v && typeof v === 'object')
      for (const k of Object.keys(v)) out.push([v as Record<string, unknown>, k]), stack.push((v as Record<string, unknown>)[k]);
  }
  return out;
}

/** One structure-aware mutation of glTF JSON; returns its text and what was done. */
function mutateJson(json: Record<string, unknown>): { text: string; op: string } {
  const all = slots(json);
  const [c, k] = all.length ? pick(all) : [json, 'asset'];
  const op = pick(['value', 'value', 'delete', 'grow', 'deepen', 'uri', 'uri', 'infinity', 'duplicate-parent']);
  const set = (v: unknown) => ((c as Record<string, unknown>)[k as string] = v);
  switch (op) {
    case 'value':
      set(pick(HOSTILE_VALUES));
      break;
    case 'delete':
      if (Array.isArray(c)) c.splice(k as number, 1);
      else delete c[k as string];
      break;
    case 'grow': {
      const arrays = all.filter(([cc, kk]) => Array.isArray((cc as Record<string, unknown>)[kk as string]));
      const [ac, ak] = arrays.length ? pick(arrays) : [c, k];
      const arr = (ac as Record<string, unknown>)[ak as string];
      if (Array.isArray(arr) && arr.length) (ac as Record<string, unknown>)[ak as string] = Array.from({ length: 1 + int(3000) }, () => arr[int(arr.length)]);
      break;
    }
    case 'deepen': {
      let v: unknown = (c as Record<string, unknown>)[k as string];
      for (let d = 0; d < 50 + int(200); d++) v = [v];
      set(v);
      break;
    }
    case 'uri': {
      const withUri = all.filter(([cc, kk]) => kk === 'uri' && typeof (cc as Record<string, unknown>).uri === 'string');
      if (withUri.length) (pick(withUri)[0] as Record<string, unknown>).uri = pick(URIS);
      else set(pick(URIS));
      break;
    }
    case 'infinity':
      set(INF);
      break;
    case 'duplicate-parent': {
      const nodes = json.nodes as { children?: number[] }[] | undefined;
      if (nodes?.length) (nodes[int(nodes.length)]!.children ??= []).push(int(nodes.length));
      break;
    }
  }
  return { text: JSON.stringify(json).replaceAll(INF, pick(['1e999', '-1e999'])), op: `${op} at ${String(k)}` };
}

/** Byte mutations: flips, a cut, an insertion or a zeroed run. */
function mutateBytes(b: Buffer): { bytes: Buffer; op: string } {
  const out = Buffer.from(b);
  const op = pick(['flip', 'flip', 'truncate', 'insert', 'zero']);
  if (op === 'flip') for (let n = 1 + int(8); n > 0; n--) out[int(out.length)] = int(256);
  if (op === 'truncate') return { bytes: out.subarray(0, int(out.length)), op };
  if (op === 'insert') {
    const at = int(out.length);
    return { bytes: Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256))), out.subarray(at)]), op };
  }
  if (op === 'zero') out.fill(0, int(out.length));
  return { bytes: out, op };
}

/** The GLB's JSON chunk replaced (lengths fixed up), binary chunk kept. */
function glbWithJson(glb: Buffer, text: string): Buffer {
  const jsonLen = glb.readUInt32LE(12);
  const rest = glb.subarray(20 + jsonLen);
  let j = Buffer.from(text);
  j = Buffer.concat([j, Buffer.alloc((4 - (j.length % 4)) % 4, 0x20)]);
  const head = Buffer.alloc(20);
  head.write('glTF', 0, 'latin1');
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(20 + j.length + rest.length, 8);
  head.writeUInt32LE(j.length, 12);
  head.writeUInt32LE(0x4e4f534a, 16);
  return Buffer.concat([head, j, rest]);
}

/** A hash of every regular file of a folder (links and pipes are not followed). */
async function folderHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const name of (await readdir(dir)).sort()) {
    const st = await lstat(path.join(dir, name));
    if (st.isFile()) h.update(name).update(await readFile(path.join(dir, name)));
  }
  return h.digest('hex');
}

/** The case's folder: the seed's files, one mutated, and the traps (a link outside, a FIFO, /dev/zero, a folder). */
async function makeCase(i: number, seed: Seed): Promise<{ dir: string; file: string; op: string }> {
  const dir = path.join(tmp, `m${i}`);
  await mkdir(dir);
  const files = new Map(seed.files);
  const target = rand() < 0.7 ? seed.main : pick([...files.keys()]);
  let op: string;
  const bytes = files.get(target)!;
  if (target.endsWith('.gltf') || (target.endsWith('.glb') && rand() < 0.75)) {
    const json = target.endsWith('.gltf') ? JSON.parse(bytes.toString('utf8')) : JSON.parse(bytes.subarray(20, 20 + bytes.readUInt32LE(12)).toString('utf8'));
    let m = mutateJson(json);
    op = m.op;
    if (rand() < 0.3) (m = mutateJson(JSON.parse(m.text.replaceAll(/-?1e999/g, '0')))), (op += `; ${m.op}`);
    files.set(target, target.endsWith('.gltf') ? Buffer.from(m.text) : glbWithJson(bytes, m.text));
  } else {
    const m = mutateBytes(bytes);
    op = m.op;
    files.set(target, m.bytes);
  }
  for (const [name, b] of files) await writeFile(path.join(dir, name), b);
  await symlink(path.join(tmp, 'outside', 'secret.png'), path.join(dir, 'outside.png'));
  await symlink('/dev/zero', path.join(dir, 'zero.png'));
  execFileSync('mkfifo', [path.join(dir, 'pipe.bin')]);
  await mkdir(path.join(dir, 'folder.bin'));
  return { dir, file: path.join(dir, seed.main), op: `${seed.name}: ${target}: ${op}` };
}

describe('fuzz (fixed seed)', () => {
  it(`${MODEL_CASES} mutated models: a result or one line; no crash, hang, memory blow-up, partial output, changed input or outside file`, {
    timeout: 240_000,
  }, async () => {
    const all = await seeds();
    const cases = [];
    for (let i = 0; i < MODEL_CASES; i++) cases.push(await makeCase(i, all[i % all.length]!));
    const problems: string[] = [];
    let built = 0;
    await mapLimit(cases, 2, async (c, i) => {
      const before = await folderHash(c.dir);
      const out = path.join(tmp, `o${i}`, 'out');
      try {
        const { report } = await modelIsolated(c.file, out, { textures: 'keep', budget: 'none' }, { isolate: { maxMemoryMb: 768, timeoutSeconds: 60 } });
        built++;
        const glb = await readFile(report.output);
        if (glb.includes(secretPng)) problems.push(`${c.op}: the file from outside the folder is in the model`);
      } catch (e) {
        if (!isXoayError(e)) problems.push(`${c.op}: not a XoayError: ${String((e as Error)?.stack ?? e)}`);
        else {
          if (e.code === 'CRASHED' || /time limit|memory limit/.test(e.message)) problems.push(`${c.op}: ${e.message}`);
          if (e.message.includes('\n') || e.message.length > 2100 || !e.message.includes(c.dir))
            problems.push(`${c.op}: not one line naming the file: ${e.message.slice(0, 300)}`);
        }
        if (existsSync(path.dirname(out)) && (await readdir(path.dirname(out))).length)
          problems.push(`${c.op}: left ${(await readdir(path.dirname(out))).join(', ')}`);
      }
      if ((await folderHash(c.dir)) !== before) problems.push(`${c.op}: the input changed`);
      await rm(c.dir, { recursive: true, force: true });
      await rm(path.dirname(out), { recursive: true, force: true });
    });
    expect(problems).toEqual([]);
    // The mutations are not all fatal: some models still build.
    expect(built).toBeGreaterThan(0);
  });

  it(`${PRODUCT_CASES} mutated product.json / product.yaml / story.md: facts or one line; the story never carries markup`, { timeout: 60_000 }, async () => {
    const problems: string[] = [];
    const base = facts('san-pham-thu', { origin: { batch: 'L-01', ingredients: ['chè', 'nước'] }, price: { amount: 120000, currency: 'VND' } });
    const story = '# Chuyện\n\nChè **Shan tuyết** [xem ảnh](photos/1.jpg) ![ảnh](photos/1.jpg)\n\n- một\n- hai\n';
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();
    const STORY_BITS = [
      '<script>alert(1)</script>',
      '[x](javascript:alert(1))',
      '![x](data:image/svg+xml,<svg onload=alert(1)>)',
      '[x](//evil.example)',
      '<img src=x onerror=alert(1)>',
      '[x](%2e%2e/%2e%2e/etc/passwd)',
      '\u0000',
      '\r\n',
      '\ufeff',
      '`'.repeat(5000),
      '>'.repeat(5000),
      '*'.repeat(10000),
      '[x]('.repeat(3000),
    ];
    for (let i = 0; i < PRODUCT_CASES; i++) {
      const dir = path.join(tmp, `p${i}`);
      await mkdir(path.join(dir, 'photos'), { recursive: true });
      await writeFile(path.join(dir, 'photos', '1.jpg'), png);
      const yaml = rand() < 0.3;
      let facts = JSON.parse(JSON.stringify(base));
      let text: string;
      let op = '';
      if (rand() < 0.6) {
        const m = mutateJson(facts);
        op = m.op;
        text = m.text;
        if (yaml) {
          facts = JSON.parse(text.replaceAll(/-?1e999/g, '0'));
          text = Object.entries(facts)
            .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
            .join('\n');
        }
      } else {
        text = yaml
          ? pick(['a: &a [*a]', 'a: &a\n  b: *a', 'id: !!js/function "x"', `${'- '.repeat(500)}x`, 'a: b: c', '\u00ff\u00fe'])
          : pick(['{', '[]', '"x"', 'null', `${'['.repeat(100000)}${']'.repeat(100000)}`, '{"a":1,"a":2}']);
        op = `text ${text.slice(0, 20)}`;
      }
      await writeFile(path.join(dir, yaml ? 'product.yaml' : 'product.json'), rand() < 0.1 ? mutateBytes(Buffer.from(text)).bytes : text);
      let md = story;
      for (let n = int(4); n > 0; n--) {
        const at = int(md.length);
        md = md.slice(0, at) + pick(STORY_BITS) + md.slice(at);
      }
      await writeFile(path.join(dir, 'story.md'), rand() < 0.1 ? mutateBytes(Buffer.from(md)).bytes : md);
      op = `${yaml ? 'product.yaml' : 'product.json'}: ${op}`;
      try {
        const src = await readProduct(dir);
        const html = src.story ? renderStory(src.story) : '';
        // Markup outside attribute values (escaped text inside an alt="…" is harmless), and unsafe addresses.
        const tags = (html.match(/<[a-z][^>]*>/gi) ?? []).map((t) => t.replace(/"[^"]*"/g, '""')).join(' ');
        if (/<(script|svg|iframe|object|embed)\b|\son\w+\s*=/i.test(tags) || /(href|src)="\s*(javascript|data|vbscript):/i.test(html))
          problems.push(`${op}: the story carries markup: ${html.slice(0, 200)}`);
      } catch (e) {
        if (!isXoayError(e)) problems.push(`${op}: not a XoayError: ${String((e as Error)?.stack ?? e).slice(0, 400)}`);
        else if (e.message.includes('\n') || e.message.length > 2100 || !e.message.includes(dir))
          problems.push(`${op}: not one line naming the file: ${e.message.slice(0, 300)}`);
      }
      await rm(dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  });

  it(`${FRAME_CASES} mutated shoot frames: a spin or one line; nothing written on failure, the frames unchanged`, { timeout: 120_000 }, async () => {
    const frames = (await readdir(STOOL_FRAMES))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .filter((_, i) => i % 4 === 0);
    const small = await Promise.all(frames.map((f) => sharp(path.join(STOOL_FRAMES, f)).resize(96).jpeg().toBuffer()));
    const problems: string[] = [];
    for (let i = 0; i < FRAME_CASES; i++) {
      const dir = path.join(tmp, `f${i}`, 'spin');
      await mkdir(dir, { recursive: true });
      for (const [k, b] of small.entries()) await writeFile(path.join(dir, `frame_${String(k + 1).padStart(3, '0')}.jpg`), b);
      const victim = path.join(dir, `frame_${String(1 + int(small.length)).padStart(3, '0')}.jpg`);
      const m = mutateBytes(await readFile(victim));
      await writeFile(victim, m.bytes);
      const op = `${path.basename(victim)}: ${m.op}`;
      const before = await folderHash(dir);
      const out = path.join(tmp, `f${i}`, 'out');
      try {
        await spin(dir, out, { widths: [64], formats: ['jpeg'], concurrency: 1 });
      } catch (e) {
        if (!isXoayError(e)) problems.push(`${op}: not a XoayError: ${String((e as Error)?.stack ?? e).slice(0, 400)}`);
        else if (e.message.includes('\n') || e.message.length > 2100) problems.push(`${op}: not one line: ${e.message.slice(0, 300)}`);
        if ((await readdir(path.dirname(out))).some((n) => n !== 'spin')) problems.push(`${op}: left ${(await readdir(path.dirname(out))).join(', ')}`);
      }
      if ((await folderHash(dir)) !== before) problems.push(`${op}: the frames changed`);
      await rm(path.dirname(dir), { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  });
});
