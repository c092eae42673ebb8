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
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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
import { KHRTextureBasisu } from '@gltf-transform/extensions';
import { draco, meshopt } from '@gltf-transform/functions';
import { createDefaultContainer, VK_FORMAT_R8G8B8A8_SRGB, write as writeKtx2 } from 'ktx-parse';
import { MeshoptEncoder } from 'meshoptimizer';
import { createIO } from '../../pipeline/model/codecs.js';
import { facts, STOOL_FRAMES } from '../helpers/products.js';

const SEED = 19;
const MODEL_CASES = 120;
/** Issue 15: mutated compressed and textured models (Draco, meshopt, KTX2, JPEG) and the shared models. */
const SEED_15 = 15;
const COMPRESSED_CASES = 180;
const PRODUCT_CASES = 160;
const FRAME_CASES = 8;
const models = dataSet('models');

let tmp: string;
let secretPng: Buffer;
/** The random stream of the test that runs (each test sets its own, so one run alone draws the same cases). */
let rand = mulberry32(SEED);
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

/** A model as files for the issue-15 fuzz: relative paths (a .gltf's textures may sit in a sub-folder). */
async function seeds15(): Promise<Seed[]> {
  const io = await createIO();
  await MeshoptEncoder.ready;
  const out: Seed[] = [];
  const glb = (name: string, bytes: Uint8Array | Buffer) => out.push({ name, main: 'model.glb', files: new Map([['model.glb', Buffer.from(bytes)]]) });
  const box = await boxGlb(path.join(tmp, 'seed-box.glb'));
  const raw = Buffer.alloc(32 * 32 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + (i >> 7) * 11) & 255;
  const jpeg = await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
    .jpeg()
    .toBuffer();
  const textured = await boxGlb(path.join(tmp, 'seed-textured.glb'), { texture: jpeg, mimeType: 'image/jpeg' });
  glb('textured-jpeg.glb', await readFile(textured));
  for (const [name, file] of [
    ['box', box],
    ['textured', textured],
  ] as const) {
    for (const kind of ['draco', 'meshopt'] as const) {
      const doc = await io.read(file);
      await doc.transform(kind === 'draco' ? draco() : meshopt({ encoder: MeshoptEncoder }));
      glb(`${name}-${kind}.glb`, await io.writeBinary(doc));
    }
  }
  const c = createDefaultContainer();
  c.vkFormat = VK_FORMAT_R8G8B8A8_SRGB;
  c.typeSize = 1;
  c.pixelWidth = 8;
  c.pixelHeight = 8;
  c.levelCount = 1;
  c.levels = [{ levelData: new Uint8Array(8 * 8 * 4).fill(160), uncompressedByteLength: 256 }];
  const ktxDoc = await io.read(textured);
  ktxDoc.createExtension(KHRTextureBasisu).setRequired(true);
  ktxDoc.getRoot().listTextures()[0]!.setImage(writeKtx2(c)).setMimeType('image/ktx2');
  glb('textured-ktx2.glb', await io.writeBinary(ktxDoc));
  const stool = await readFile(path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'));
  const stoolDoc = await io.readBinary(new Uint8Array(stool));
  await stoolDoc.transform(meshopt({ encoder: MeshoptEncoder }));
  glb('stool-meshopt.glb', await io.writeBinary(stoolDoc));
  if (models.present) {
    glb('sofa_03_1k.glb', await readFile(path.join(models.dir, 'sofa_03_1k.glb')));
    glb('wooden_table_02_1k.glb', await readFile(path.join(models.dir, 'wooden_table_02_1k.glb')));
    const dir = path.join(models.dir, 'sofa_03_gltf');
    const files = new Map<string, Buffer>();
    for (const f of execFileSync('find', ['.', '-type', 'f'], { cwd: dir }).toString().trim().split('\n'))
      files.set(f.replace(/^\.\//, ''), await readFile(path.join(dir, f)));
    out.push({ name: 'sofa_03_gltf', main: 'sofa_03_1k.gltf', files });
  } else {
    glb('stool.glb', stool);
  }
  return out;
}

/** The JSON and binary of a seed: a GLB's chunks, or a .gltf and its first external buffer. */
function parts(seed: Seed): { json: Record<string, any>; bin: Buffer | undefined; binName: string | undefined } {
  const main = seed.files.get(seed.main)!;
  if (seed.main.endsWith('.glb')) {
    const jsonLen = main.readUInt32LE(12);
    const json = JSON.parse(main.subarray(20, 20 + jsonLen).toString('utf8'));
    const at = 20 + jsonLen;
    return { json, bin: at + 8 <= main.length ? Buffer.from(main.subarray(at + 8, at + 8 + main.readUInt32LE(at))) : undefined, binName: undefined };
  }
  const json = JSON.parse(main.toString('utf8'));
  const binName = typeof json.buffers?.[0]?.uri === 'string' ? decodeURIComponent(json.buffers[0].uri) : undefined;
  return { json, bin: binName ? Buffer.from(seed.files.get(binName)!) : undefined, binName };
}

/** A GLB from JSON text and a binary chunk. */
function glbFrom(text: string, bin: Buffer | undefined): Buffer {
  const head = Buffer.alloc(20);
  let j = Buffer.from(text);
  j = Buffer.concat([j, Buffer.alloc((4 - (j.length % 4)) % 4, 0x20)]);
  const b = bin ? Buffer.concat([bin, Buffer.alloc((4 - (bin.length % 4)) % 4)]) : undefined;
  const binHead = Buffer.alloc(8);
  if (b) binHead.writeUInt32LE(b.length, 0), binHead.writeUInt32LE(0x004e4942, 4);
  head.write('glTF', 0, 'latin1');
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(20 + j.length + (b ? 8 + b.length : 0), 8);
  head.writeUInt32LE(j.length, 12);
  head.writeUInt32LE(0x4e4f534a, 16);
  return Buffer.concat([head, j, ...(b ? [binHead, b] : [])]);
}

/**
 * Mutations aimed at the compressed and image parts: bytes of a buffer view (a Draco primitive's, a meshopt stream's or
 * an image's, three times as likely as any other) flipped, zeroed, cut short or filled with noise; or a number of a
 * compression extension or image reference moved a little (a stream of the wrong length, a count off by some).
 */
function mutateParts(json: Record<string, any>, bin: Buffer): { json: Record<string, any>; bin: Buffer; op: string } {
  const views = (json.bufferViews ?? []) as Record<string, any>[];
  const special = new Set<number>();
  for (const m of json.meshes ?? [])
    for (const p of m.primitives ?? []) if (p.extensions?.KHR_draco_mesh_compression) special.add(p.extensions.KHR_draco_mesh_compression.bufferView);
  for (const im of json.images ?? []) if (im.bufferView !== undefined) special.add(im.bufferView);
  views.forEach((v, i) => v.extensions?.EXT_meshopt_compression && special.add(i));
  const weighted = [...views.keys(), ...[...special].flatMap((i) => [i, i, i])];
  if (!weighted.length) return { json, bin, op: 'no views' };
  const i = pick(weighted);
  const v = views[i]!;
  const ext = v.extensions?.EXT_meshopt_compression;
  if (rand() < 0.35) {
    // A number moved a little.
    const holders: [Record<string, any>, string][] = [];
    if (ext) for (const k of ['byteOffset', 'byteLength', 'count', 'byteStride']) holders.push([ext, k]);
    for (const k of ['byteOffset', 'byteLength']) holders.push([v, k]);
    for (const m of json.meshes ?? [])
      for (const p of m.primitives ?? []) {
        const d = p.extensions?.KHR_draco_mesh_compression;
        if (d) holders.push([d, 'bufferView'], ...Object.keys(d.attributes ?? {}).map((k) => [d.attributes, k] as [Record<string, any>, string]));
      }
    const [o, k] = pick(holders);
    const before = o[k] ?? 0;
    o[k] = Math.max(0, before + pick([-64, -9, -4, -1, 1, 3, 4, 17, 4096]));
    return { json, bin, op: `bufferViews[${i}] ${k}: ${before} → ${o[k]}` };
  }
  const start = (ext?.byteOffset ?? v.byteOffset ?? 0) as number;
  const length = Math.min((ext?.byteLength ?? v.byteLength) as number, bin.length - start);
  if (length <= 0) return { json, bin, op: 'empty view' };
  const out = Buffer.from(bin);
  const op = pick(['flip', 'flip', 'zero', 'noise', 'cut']);
  const at = start + int(length);
  const run = 1 + int(Math.min(length, 512));
  if (op === 'flip') for (let n = 1 + int(6); n > 0; n--) out[start + int(length)] = int(256);
  if (op === 'zero') out.fill(0, at, Math.min(start + length, at + run));
  if (op === 'noise') for (let k = at; k < Math.min(start + length, at + run); k++) out[k] = int(256);
  if (op === 'cut') return { json, bin: out.subarray(0, at), op: `bufferViews[${i}]: the binary cut at byte ${at}` };
  return { json, bin: out, op: `bufferViews[${i}]: ${op} at byte ${at}` };
}

/** The case's folder: the seed's files with one mutation (its parts, its JSON, or its bytes). */
async function makeCase15(i: number, seed: Seed): Promise<{ dir: string; file: string; op: string }> {
  const dir = path.join(tmp, `c${i}`);
  const files = new Map(seed.files);
  const { json, bin, binName } = parts(seed);
  const r = rand();
  let op: string;
  if (r < 0.5 && bin) {
    const m = mutateParts(json, bin);
    op = m.op;
    if (binName) {
      files.set(binName, m.bin);
      files.set(seed.main, Buffer.from(JSON.stringify(m.json)));
    } else files.set(seed.main, glbFrom(JSON.stringify(m.json), m.bin));
  } else if (r < 0.85) {
    const m = mutateJson(json);
    op = m.op;
    files.set(seed.main, binName ? Buffer.from(m.text) : glbFrom(m.text, bin));
  } else {
    const target = pick([...files.keys()]);
    const m = mutateBytes(files.get(target)!);
    op = `${target}: ${m.op}`;
    files.set(target, m.bytes);
  }
  for (const [name, b] of files) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), b);
  }
  return { dir, file: path.join(dir, seed.main), op: `${seed.name}: ${op}` };
}

describe(`fuzz, issue 15 (fixed seed ${SEED_15}): compressed and textured inputs`, () => {
  it(`${COMPRESSED_CASES} mutated Draco / meshopt / KTX2 / JPEG models${models.present ? ' and the shared models' : ''}: a result or one line naming the file; never a crash, a raw library error or output left behind`, {
    timeout: 420_000,
  }, async () => {
    rand = mulberry32(SEED_15);
    const all = await seeds15();
    const problems: string[] = [];
    const seen = new Map<string, number>();
    let built = 0;
    const t0 = performance.now();
    const cases = [];
    for (let i = 0; i < COMPRESSED_CASES; i++) cases.push(await makeCase15(i, all[i % all.length]!));
    await mapLimit(cases, 2, async (c, i) => {
      const before = await folderHash(c.dir);
      const found = problems.length;
      const out = path.join(tmp, `co${i}`, 'out');
      try {
        await modelIsolated(c.file, out, { textures: 'keep', budget: 'none', geometry: 'meshopt' }, { isolate: { maxMemoryMb: 768, timeoutSeconds: 60 } });
        built++;
      } catch (e) {
        if (!isXoayError(e)) problems.push(`${c.op}: not a XoayError: ${String((e as Error)?.stack ?? e)}`);
        else {
          const kind = `${e.stage}: ${e.message.slice(e.message.indexOf(c.file) + c.file.length + 2).slice(0, 60)}`;
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
          // A crash the worker contained, a stack, or glTF Transform's own message passed on ("cannot be read: …").
          if (e.code === 'CRASHED' || /time limit|memory limit|unexpected error|\n\s+at |cannot be read: /.test(e.message))
            problems.push(`${c.op}: ${e.message}`);
          if (e.message.includes('\n') || e.message.length > 2100 || !e.message.includes(c.file))
            problems.push(`${c.op}: not one line naming the file: ${e.message.slice(0, 300)}`);
        }
        if (existsSync(path.dirname(out)) && (await readdir(path.dirname(out))).length)
          problems.push(`${c.op}: left ${(await readdir(path.dirname(out))).join(', ')}`);
      }
      if ((await folderHash(c.dir)) !== before) problems.push(`${c.op}: the input changed`);
      // XOAY_FUZZ_KEEP=<folder>: keep the inputs of the cases that found a problem, to reproduce them.
      if (process.env.XOAY_FUZZ_KEEP && problems.length > found)
        await cp(c.dir, path.join(process.env.XOAY_FUZZ_KEEP, `case-${i}`), { recursive: true, verbatimSymlinks: true });
      await rm(c.dir, { recursive: true, force: true });
      await rm(path.dirname(out), { recursive: true, force: true });
    });
    console.log(
      `issue-15 fuzz: ${COMPRESSED_CASES} cases from ${all.length} seeds in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${built} built; refusals:\n${[
        ...seen,
      ]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `  ${n} × ${k}`)
        .join('\n')}`,
    );
    expect(problems).toEqual([]);
    expect(built).toBeGreaterThan(0);
  });
});
