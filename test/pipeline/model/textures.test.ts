/** The texture policy (`--textures auto`): KTX2 only where the GPU budget needs it, WebP elsewhere, never bigger. */
import { Document, type Texture } from '@gltf-transform/core';
import { describe, expect, it } from 'vitest';
import { sharp } from '../../../pipeline/core/image.js';
import { createIO, SILENT } from '../../../pipeline/model/codecs.js';
import { rgba8GpuBytes } from '../../../pipeline/model/ktx2.js';
import { planTextures, type TextureChoice, textures } from '../../../pipeline/model/textures.js';

/** A noisy photo-like image (smooth gradient + noise), `width`×`height`, as `format`. */
async function photo(width: number, height: number, format: 'png' | 'jpeg', quality = 90): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (255 * x) / width;
      raw[i + 1] = (255 * y) / height;
      raw[i + 2] = 128 + 60 * (rand() - 0.5);
    }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return new Uint8Array(await (format === 'png' ? img.png() : img.jpeg({ quality })).toBuffer());
}

/** A document with one material using each texture (base colour first, then emissive...). */
function docWith(images: { name: string; image: Uint8Array; mimeType: string }[]): { doc: Document; textures: Texture[] } {
  const doc = new Document().setLogger(SILENT);
  doc.createBuffer();
  const list = images.map(({ name, image, mimeType }) =>
    doc
      .createTexture(name)
      .setImage(image)
      .setMimeType(mimeType)
      .setURI(`${name}.${mimeType.split('/')[1]}`),
  );
  const slots = ['BaseColorTexture', 'EmissiveTexture', 'OcclusionTexture', 'MetallicRoughnessTexture'] as const;
  const material = doc.createMaterial('m');
  list.forEach((t, i) => {
    material[`set${slots[i]!}`](t);
  });
  const prim = doc
    .createPrimitive()
    .setMaterial(material)
    .setAttribute(
      'POSITION',
      doc
        .createAccessor()
        .setType('VEC3')
        .setArray(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0])),
    );
  doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
  return { doc, textures: list };
}

describe('planTextures', () => {
  it('keeps every texture WebP while the decoded total fits the budget, then sends the largest to KTX2 first', async () => {
    const big = await photo(1024, 1024, 'png');
    const mid = await photo(512, 512, 'png');
    const small = await photo(256, 256, 'png');
    const images = [
      { name: 'small', image: small, mimeType: 'image/png' },
      { name: 'big', image: big, mimeType: 'image/png' },
      { name: 'mid', image: mid, mimeType: 'image/png' },
    ];
    const total = rgba8GpuBytes(1024, 1024) + rgba8GpuBytes(512, 512) + rgba8GpuBytes(256, 256);
    const fits = planTextures(docWith(images).doc, { maxSize: 2048, gpuBudget: total });
    expect(fits.map((p) => p.ktx2)).toEqual([false, false, false]);
    expect(fits[0]!.reason).toMatch(/within the GPU budget/);
    // One byte less: the 1024² one alone brings it under.
    const tight = planTextures(docWith(images).doc, { maxSize: 2048, gpuBudget: total - 1 });
    expect(tight.map((p) => [p.label, p.ktx2])).toEqual([
      ['texture 0 "small.png"', false],
      ['texture 1 "big.png"', true],
      ['texture 2 "mid.png"', false],
    ]);
    expect(tight[1]!.reason).toMatch(/^KTX2: .*more than the GPU budget/);
    // A budget under what even KTX2 takes: all go KTX2.
    expect(planTextures(docWith(images).doc, { maxSize: 2048, gpuBudget: 1 }).every((p) => p.ktx2)).toBe(true);
    // Sizes are counted after resizing: at 256 px a side all three fit a budget the 1024² one alone would not.
    const resized = planTextures(docWith(images).doc, { maxSize: 256, gpuBudget: 3 * rgba8GpuBytes(256, 256) });
    expect(resized.every((p) => !p.ktx2 && p.width === 256)).toBe(true);
  });
});

describe('textures auto', () => {
  it('writes KTX2 for the texture the budget needs, WebP for the rest, a JPEG smaller than its WebP kept; reports each', async () => {
    const big = await photo(512, 512, 'png');
    const mid = await photo(256, 256, 'png');
    // A JPEG at quality 10: WebP at quality 80 of the same pixels is larger (1132 against 807 bytes), so it stays as given.
    const lean = await photo(256, 256, 'jpeg', 10);
    const { doc } = docWith([
      { name: 'big', image: big, mimeType: 'image/png' },
      { name: 'mid', image: mid, mimeType: 'image/png' },
      { name: 'lean', image: lean, mimeType: 'image/jpeg' },
    ]);
    const choices: TextureChoice[] = [];
    const budget = rgba8GpuBytes(256, 256) * 2 + rgba8GpuBytes(512, 512) / 2;
    await doc.transform(...textures({ mode: 'auto', gpuBudget: budget, ktx2Encoder: 'wasm', onChoice: (c) => choices.push(c) }));
    const [b, m, l] = doc.getRoot().listTextures();
    expect(b!.getMimeType()).toBe('image/ktx2');
    expect(m!.getMimeType()).toBe('image/webp');
    expect(l!.getMimeType()).toBe('image/jpeg');
    expect(l!.getImage()).toEqual(lean);
    expect(choices.map((c) => c.format)).toEqual(['ktx2-etc1s', 'webp', 'jpeg']);
    expect(choices[0]!.slots).toEqual(['baseColorTexture']);
    expect(choices[0]!.after.gpuBytes).toBeLessThan(choices[0]!.before.gpuBytes / 4);
    expect(choices[1]!.after.bytes).toBeLessThan(choices[1]!.before.bytes);
    expect(choices[2]!.reason).toMatch(/^kept as JPEG: WebP would not be smaller/);
    expect(choices[2]!.after.bytes).toBe(lean.byteLength);
    // The written file declares what it uses, and reads back.
    const io = await createIO();
    const back = await io.readBinary(await io.writeBinary(doc));
    const used = back
      .getRoot()
      .listExtensionsUsed()
      .map((e) => [e.extensionName, e.isRequired()]);
    expect(used).toContainEqual(['EXT_texture_webp', true]);
    expect(used).toContainEqual(['KHR_texture_basisu', true]);
  });
});
