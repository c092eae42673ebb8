/** KTX2 stage: codec per slot, sizes, mips, the KHR_texture_basisu extension, a quiet stdout. */
import { readFile } from 'node:fs/promises';
import { Document, type Texture } from '@gltf-transform/core';
import { KHRTextureBasisu } from '@gltf-transform/extensions';
import { validateBytes } from 'gltf-validator';
import {
  KHR_DF_MODEL_ETC1S,
  KHR_DF_MODEL_UASTC,
  KHR_DF_TRANSFER_LINEAR,
  KHR_DF_TRANSFER_SRGB,
  KHR_SUPERCOMPRESSION_BASISLZ,
  KHR_SUPERCOMPRESSION_ZSTD,
  read,
} from 'ktx-parse';
import { encodeToKTX2 } from 'ktx2-encoder';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharp } from '../../../pipeline/core/image.js';
import { createIO, SILENT } from '../../../pipeline/model/codecs.js';
import {
  basisuArgs,
  type Ktx2EncodeJob,
  type Ktx2TextureResult,
  ktx2GpuBytes,
  ktx2Size,
  ktx2Textures,
  rgba8GpuBytes,
  withQuietStdout,
} from '../../../pipeline/model/ktx2.js';
import { dataSet } from '../../helpers/data.js';

const stool = dataSet('models/painted_wooden_stool_1k.glb');

/** A PNG with some structure (gradients and a pattern), so the encoders have real work to do. */
async function png(width: number, height: number, channels: 3 | 4 = 3): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = ((x ^ y) & 16) * 8;
      if (channels === 4) raw[i + 3] = 255;
    }
  }
  return new Uint8Array(await sharp(raw, { raw: { width, height, channels } }).png().toBuffer());
}

/** A flat-ish tangent-space normal map (blue-dominant bumps). */
async function normalPng(size: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const nx = 0.3 * Math.sin(x / 6),
        ny = 0.3 * Math.cos(y / 9);
      const nz = Math.sqrt(1 - nx * nx - ny * ny);
      const i = (y * size + x) * 3;
      raw[i] = Math.round((nx * 0.5 + 0.5) * 255);
      raw[i + 1] = Math.round((ny * 0.5 + 0.5) * 255);
      raw[i + 2] = Math.round((nz * 0.5 + 0.5) * 255);
    }
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

async function materialDocument(): Promise<{ doc: Document; base: Texture; normal: Texture; mr: Texture }> {
  const doc = new Document();
  doc.setLogger(SILENT);
  doc.createBuffer();
  // 302×198: neither side is a multiple of 4.
  const base = doc
    .createTexture('base')
    .setImage(await png(302, 198))
    .setMimeType('image/png');
  const normal = doc
    .createTexture('normal')
    .setImage(await normalPng(256))
    .setMimeType('image/png');
  const mr = doc
    .createTexture('mr')
    .setImage(await png(130, 126))
    .setMimeType('image/png');
  doc.createMaterial('painted').setBaseColorTexture(base).setNormalTexture(normal).setMetallicRoughnessTexture(mr);
  return { doc, base, normal, mr };
}

/** The JSON chunk of a GLB. */
function glbJson(glb: Uint8Array): {
  extensionsUsed?: string[];
  extensionsRequired?: string[];
  textures?: { extensions?: Record<string, { source: number }> }[];
  images?: { mimeType?: string }[];
} {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const length = view.getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + length)));
}

/** Spies on every stream stdout can reach: process.stdout and the one vitest gives `console`. */
function spyOnStdout(swallow = false) {
  const consoleStream = (console as unknown as { _stdout?: typeof process.stdout })._stdout;
  const spies = [vi.spyOn(process.stdout, 'write')];
  if (consoleStream && consoleStream !== process.stdout) spies.push(vi.spyOn(consoleStream, 'write'));
  if (swallow) for (const s of spies) s.mockImplementation(() => true);
  return { calls: () => spies.reduce((n, s) => n + s.mock.calls.length, 0) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ktx2Textures', () => {
  it('encodes baseColor as ETC1S sRGB and normal / metallicRoughness as UASTC+zstd linear, with mips, quietly', async () => {
    const { doc } = await materialDocument();
    const results: Ktx2TextureResult[] = [];
    const stdout = spyOnStdout();
    await doc.transform(ktx2Textures({ onTexture: (r) => results.push(r) }));
    expect(stdout.calls()).toBe(0);
    vi.restoreAllMocks();

    const io = await createIO();
    const glb = await io.writeBinary(doc);
    const json = glbJson(glb);
    expect(json.extensionsUsed).toContain('KHR_texture_basisu');
    expect(json.extensionsRequired).toContain('KHR_texture_basisu');
    expect(json.images?.map((i) => i.mimeType)).toEqual(['image/ktx2', 'image/ktx2', 'image/ktx2']);
    for (const t of json.textures ?? []) expect(t.extensions?.KHR_texture_basisu?.source).toBeTypeOf('number');

    const back = await io.readBinary(glb);
    const mat = back.getRoot().listMaterials()[0]!;
    const ktx = (t: Texture | null) => {
      expect(t?.getMimeType()).toBe('image/ktx2');
      return read(t!.getImage()!);
    };
    const base = ktx(mat.getBaseColorTexture());
    const normal = ktx(mat.getNormalTexture());
    const mr = ktx(mat.getMetallicRoughnessTexture());

    expect(base.supercompressionScheme).toBe(KHR_SUPERCOMPRESSION_BASISLZ);
    expect(base.dataFormatDescriptor[0]!.colorModel).toBe(KHR_DF_MODEL_ETC1S);
    expect(base.dataFormatDescriptor[0]!.transferFunction).toBe(KHR_DF_TRANSFER_SRGB);
    for (const k of [normal, mr]) {
      expect(k.supercompressionScheme).toBe(KHR_SUPERCOMPRESSION_ZSTD);
      expect(k.dataFormatDescriptor[0]!.colorModel).toBe(KHR_DF_MODEL_UASTC);
      expect(k.dataFormatDescriptor[0]!.transferFunction).toBe(KHR_DF_TRANSFER_LINEAR);
    }
    // 302×198 → 304×200: multiples of 4, full mip chains.
    expect([base.pixelWidth, base.pixelHeight]).toEqual([304, 200]);
    expect([mr.pixelWidth, mr.pixelHeight]).toEqual([132, 128]);
    for (const k of [base, normal, mr]) {
      expect(k.pixelWidth % 4).toBe(0);
      expect(k.pixelHeight % 4).toBe(0);
      expect(Math.max(k.pixelWidth, k.pixelHeight)).toBeLessThanOrEqual(2048);
      expect(k.levels.length).toBe(Math.floor(Math.log2(Math.max(k.pixelWidth, k.pixelHeight))) + 1);
    }

    expect(results.map((r) => [r.label, r.slots, r.mode, r.srgb, r.normalMap])).toEqual([
      ['texture 0 "base"', ['baseColorTexture'], 'etc1s', true, false],
      ['texture 1 "normal"', ['normalTexture'], 'uastc', false, true],
      ['texture 2 "mr"', ['metallicRoughnessTexture'], 'uastc', false, false],
    ]);
    expect(results[0]!.after.gpuBytes).toBe(ktx2GpuBytes(304, 200, 'etc1s'));
  });

  it('resizes to maxSize (multiples of 4) and uses UASTC for a texture shared by a colour and a data slot', async () => {
    const doc = new Document();
    doc.setLogger(SILENT);
    const shared = doc
      .createTexture('shared')
      .setImage(await png(301, 203))
      .setMimeType('image/png');
    doc.createMaterial('m').setBaseColorTexture(shared).setOcclusionTexture(shared);
    const results: Ktx2TextureResult[] = [];
    await doc.transform(ktx2Textures({ maxSize: 64, onTexture: (r) => results.push(r) }));
    const k = read(shared.getImage()!);
    expect([k.pixelWidth, k.pixelHeight]).toEqual([64, 44]); // 301×203 · 64/301 = 64×43.2
    expect(k.dataFormatDescriptor[0]!.colorModel).toBe(KHR_DF_MODEL_UASTC);
    // A colour slot keeps the sRGB transfer function; no normal-map settings.
    expect(k.dataFormatDescriptor[0]!.transferFunction).toBe(KHR_DF_TRANSFER_SRGB);
    expect(results[0]).toMatchObject({ mode: 'uastc', srgb: true, normalMap: false, before: { width: 301, height: 203 }, after: { width: 64, height: 44 } });
    expect(
      doc
        .getRoot()
        .listExtensionsUsed()
        .find((e) => e.extensionName === KHRTextureBasisu.EXTENSION_NAME)
        ?.isRequired(),
    ).toBe(true);
  });

  it('names the texture in a "ktx2: " error when it cannot be decoded', async () => {
    const doc = new Document();
    doc.setLogger(SILENT);
    doc.createTexture('broken').setImage(new TextEncoder().encode('not a png')).setMimeType('image/png');
    await expect(doc.transform(ktx2Textures())).rejects.toThrow(/^ktx2: texture 0 "broken": cannot decode the image\/png image/);
  });

  it('checks its options up front', () => {
    expect(() => ktx2Textures({ maxSize: 0 })).toThrow(/^ktx2: expected an integer between 4 and 4096 for option maxSize but received 0/);
    expect(() => ktx2Textures({ uastcLevel: 9 })).toThrow(/option uastcLevel/);
  });
});

describe('stdout guard', () => {
  it('the spy does see what the WASM prints when it is not guarded (so the quiet test means something)', async () => {
    const stdout = spyOnStdout(true);
    const rgba = new Uint8Array(16 * 16 * 4).fill(200);
    await encodeToKTX2(rgba, { isUASTC: false, imageDecoder: async () => ({ width: 16, height: 16, data: rgba }) });
    expect(stdout.calls()).toBeGreaterThan(0);
  });

  it('drops stdout writes inside, restores stdout after, also on errors and overlapping calls', async () => {
    const stdout = spyOnStdout();
    const write = process.stdout.write;
    await expect(
      withQuietStdout(async () => {
        process.stdout.write('hidden\n');
        await Promise.all([withQuietStdout(async () => console.log('hidden too')), withQuietStdout(async () => process.stdout.write('and this'))]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(stdout.calls()).toBe(0);
    expect(process.stdout.write).toBe(write);
    process.stdout.write('');
    expect(stdout.calls()).toBe(1);
  });
});

describe('sizes, memory and the native seam', () => {
  it('rounds sizes to multiples of 4 (or powers of two) within maxSize', () => {
    expect(ktx2Size(1024, 1024, 2048)).toEqual({ width: 1024, height: 1024 });
    expect(ktx2Size(4096, 2048, 2048)).toEqual({ width: 2048, height: 1024 });
    expect(ktx2Size(1, 3, 2048)).toEqual({ width: 4, height: 4 });
    expect(ktx2Size(300, 200, 2048, true)).toEqual({ width: 256, height: 256 });
    expect(ktx2Size(3000, 1000, 2048, true)).toEqual({ width: 2048, height: 512 });
  });

  it('estimates GPU memory: ETC1S ≈ 1/8 and UASTC 1/4 of RGBA8, both with mips', () => {
    const rgba8 = rgba8GpuBytes(1024, 1024);
    expect(rgba8).toBe(Math.ceil((1024 * 1024 * 4 * 4) / 3));
    expect(ktx2GpuBytes(1024, 1024, 'etc1s')).toBeCloseTo(rgba8 / 8, -1);
    expect(ktx2GpuBytes(1024, 1024, 'etc1s', { alpha: true })).toBeCloseTo(rgba8 / 4, -1);
    expect(ktx2GpuBytes(1024, 1024, 'uastc')).toBeCloseTo(rgba8 / 4, -1);
    expect(ktx2GpuBytes(1024, 1024, 'uastc', { mipmaps: false })).toBe(1024 * 1024);
  });

  it('maps a job to basisu flags for a native encoder', () => {
    const job: Ktx2EncodeJob = {
      rgba: new Uint8Array(0),
      width: 4,
      height: 4,
      mode: 'uastc',
      srgb: false,
      normalMap: true,
      mipmaps: true,
      etc1sQuality: 128,
      etc1sEffort: 2,
      uastcLevel: 1,
      uastcRdo: 1,
      zstd: true,
    };
    expect(basisuArgs(job)).toEqual(['-ktx2', '-uastc', '-uastc_level', '1', '-uastc_rdo_l', '1', '-normal_map', '-mipmap', '-mip_linear']);
    expect(basisuArgs({ ...job, mode: 'etc1s', srgb: true, normalMap: false })).toEqual(['-ktx2', '-q', '128', '-comp_level', '2', '-mipmap']);
  });
});

describe('on a real model', () => {
  it.skipIf(!stool.present)(`painted_wooden_stool_1k.glb: valid KTX2, ≤ 25 % of RGBA8 GPU memory ${stool.reason}`, async () => {
    const io = await createIO();
    const input = new Uint8Array(await readFile(stool.dir));
    const inputCodes = new Set((await validateBytes(input, { maxIssues: 1000 })).issues.messages.map((m) => m.code));
    const doc = await io.readBinary(input);
    const results: Ktx2TextureResult[] = [];
    const stdout = spyOnStdout();
    await doc.transform(ktx2Textures({ onTexture: (r) => results.push(r) }));
    expect(stdout.calls()).toBe(0);
    vi.restoreAllMocks();
    const glb = await io.writeBinary(doc);

    const report = await validateBytes(glb, { maxIssues: 1000 });
    const errors = report.issues.messages.filter((m) => m.severity === 0);
    expect(errors.map((m) => `${m.code} ${m.pointer}: ${m.message}`)).toEqual([]);
    expect(report.issues.numErrors).toBe(0);
    // Nothing new but what the validator says about what it does not know: KHR_texture_basisu, the
    // image/ktx2 mime type and format, and (so) the KTX2 images it cannot see used.
    const known = ['UNSUPPORTED_EXTENSION', 'IMAGE_UNRECOGNIZED_FORMAT', 'UNUSED_OBJECT'];
    const added = report.issues.messages.filter((m) => !inputCodes.has(m.code) && !known.includes(m.code));
    expect(added.filter((m) => !(m.code === 'VALUE_NOT_IN_LIST' && /^\/images\/\d+\/mimeType$/.test(m.pointer ?? '')))).toEqual([]);
    if (process.env.XOAY_KTX2_TIMINGS) {
      for (const r of results) process.stderr.write(`${r.label} ${r.mode}: ${r.before.bytes} → ${r.after.bytes} B, ${Math.round(r.ms)} ms\n`);
    }

    expect(glbJson(glb).extensionsRequired).toContain('KHR_texture_basisu');
    const back = await io.readBinary(glb);
    const textures = back.getRoot().listTextures();
    expect(textures).toHaveLength(3);
    for (const t of textures) {
      expect(t.getMimeType()).toBe('image/ktx2');
      const k = read(t.getImage()!);
      expect(k.levels.length).toBeGreaterThan(1);
      expect(k.pixelWidth % 4).toBe(0);
      expect(Math.max(k.pixelWidth, k.pixelHeight)).toBeLessThanOrEqual(2048);
    }
    expect(results.map((r) => r.mode).sort()).toEqual(['etc1s', 'uastc', 'uastc']);

    // RGBA8 with mips (w·h·4·4/3) of the source textures against the transcoded estimate.
    const rgba8 = results.reduce((n, r) => n + (r.before.width * r.before.height * 4 * 4) / 3, 0);
    const after = results.reduce((n, r) => n + r.after.gpuBytes, 0);
    expect(after).toBeLessThanOrEqual(0.25 * rgba8);
  });
});
