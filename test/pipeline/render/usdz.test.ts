/**
 * The USDZ export (pipeline/render/usdz.ts) in Debian's headless Chromium, for every shared CC0 model and the committed
 * samples, and for `model()` outputs whose textures are KTX2 and WebP: the archive is a valid zip (stored, CRC-32 right,
 * every file's data 64-byte aligned, the USD layer first), the USD layer (usda text) names every mesh and material of
 * the GLB, every file it references is in the archive, textures are PNG or JPEG, and the scale is metres. Through the
 * API: `usdz: true` writes model.usdz beside model.glb with model.json's `usdz` entry; a failing export (no Chromium)
 * keeps the GLB and says why in the report. (Pixar's usdchecker is not available here: the layer is parsed instead.)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getBounds } from '@gltf-transform/functions';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model as modelApi } from '../../../api/index.js';
import { readZip } from '../../../pipeline/core/zip.js';
import { createIO } from '../../../pipeline/model/codecs.js';
import { model } from '../../../pipeline/model/model.js';
import { openTurntableRenderer, type TurntableRenderer } from '../../../pipeline/render/render.js';
import { exportUsdz } from '../../../pipeline/render/usdz.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { xoay } from '../../helpers/cli.js';
import { dataSet, ROOT } from '../../helpers/data.js';
import { boxGlb, checkerSphereGlb } from '../../helpers/models.js';

const shared = dataSet('models');
const MODELS = [
  ...(shared.present
    ? ['2CylinderEngine.glb', 'painted_wooden_stool_1k.glb', 'sofa_03_1k.glb', 'wooden_table_02_1k.glb'].map((f) => path.join(shared.dir, f))
    : []),
  path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'),
  path.join(ROOT, 'samples/catalogue/ban-go-tu-nhien/model.glb'),
];

/** The USD identifier rule the export names prims by. */
const usdName = (n: string) => n.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');

/** Checks a USDZ against the GLB it was made from; returns the USD layer's text. */
async function checkUsdz(bytes: Uint8Array, glb: Uint8Array): Promise<string> {
  const entries = readZip(bytes);
  expect(entries[0]!.name).toBe('model.usda');
  for (const e of entries) {
    expect(e.method, e.name).toBe(0); // stored
    expect(e.dataOffset % 64, `${e.name} is 64-byte aligned`).toBe(0);
    expect(e.crcOk, e.name).toBe(true);
  }
  const byName = new Map(entries.map((e) => [e.name, e.data]));
  const usda = new TextDecoder().decode(entries[0]!.data);
  expect(usda.startsWith('#usda 1.0')).toBe(true);
  expect(usda).toMatch(/metersPerUnit = 1\b/);
  expect(usda).toMatch(/upAxis = "Y"/);
  // Every file the layer (or a geometry layer) references is in the archive; textures are PNG or JPEG.
  const refs = [...usda.matchAll(/@\.?\/?([^@]+)@/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThan(0);
  for (const r of refs) {
    const data = byName.get(r);
    expect(data, `${r} is in the archive`).toBeDefined();
    if (/\.png$/.test(r)) expect([...data!.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    else if (/\.jpg$/.test(r)) expect([...data!.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    else expect(r).toMatch(/^geometries\/Geometry_\d+\.usda$/);
  }
  for (const e of entries.slice(1)) expect(e.name).toMatch(/^(geometries\/Geometry_\d+\.usda|textures\/Texture_\w+\.(png|jpg))$/);
  // The prims: every mesh and every material of the GLB by name.
  const prims = [...usda.matchAll(/def (?:(\w+) )?"([^"]+)"/g)].map((m) => ({ type: m[1] ?? '', name: m[2]! }));
  const doc = await (await createIO()).readBinary(glb);
  const has = (list: string[], n: string) => list.some((p) => p === n || p.startsWith(`${n}_`));
  const xforms = prims.filter((p) => p.type === 'Xform').map((p) => p.name);
  const materials = prims.filter((p) => p.type === 'Material').map((p) => p.name);
  for (const [i, mesh] of doc.getRoot().listMeshes().entries()) {
    expect(has(xforms, usdName(mesh.getName() || `mesh_${i}`)), `mesh "${mesh.getName()}" in ${xforms.join(', ')}`).toBe(true);
    for (const prim of mesh.listPrimitives()) {
      const m = prim.getMaterial();
      if (m) expect(has(materials, usdName(m.getName() || `material_${doc.getRoot().listMaterials().indexOf(m)}`)), `material "${m.getName()}"`).toBe(true);
    }
  }
  // Each material is bound where it is defined.
  for (const m of materials) expect(usda).toContain(`rel material:binding = </Materials/${m}>`);
  return usda;
}

describe.skipIf(!hasChromium)(`USDZ export ${chromiumReason}`, () => {
  let renderer: TurntableRenderer;
  let tmp: string;
  beforeAll(async () => {
    renderer = await openTurntableRenderer();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-usdz-'));
  });
  afterAll(async () => {
    await renderer?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it.each(MODELS.map((f) => [path.relative(path.dirname(ROOT), f), f]))(
    '%s',
    async (_, file) => {
      const glb = new Uint8Array(await readFile(file));
      const { bytes, report } = await exportUsdz(glb, renderer);
      await checkUsdz(bytes, glb);
      expect(report.bytes).toBe(bytes.length);
      // The same GLB gives the same bytes, whatever the page exported before.
      expect(Buffer.from((await exportUsdz(glb, renderer)).bytes).equals(Buffer.from(bytes))).toBe(true);
      expect(report.textures).toBe(readZip(bytes).filter((e) => e.name.startsWith('textures/')).length);
      // The size in metres is the GLB's (glTF units are metres; the layer says metersPerUnit = 1).
      const doc = await (await createIO()).readBinary(glb);
      const { min, max } = getBounds(doc.getRoot().getDefaultScene() ?? doc.getRoot().listScenes()[0]!);
      report.size.forEach((v, i) => expect(v).toBeCloseTo(max[i]! - min[i]!, 3));
      console.log(`${path.basename(file)}: ${(bytes.length / 1024).toFixed(0)} KiB USDZ in ${report.seconds} s`);
    },
    180_000,
  );

  it.each(['ktx2', 'webp'] as const)(
    'a model() output with %s textures: decoded to PNG',
    async (format) => {
      const src = await checkerSphereGlb(path.join(tmp, `sphere-${format}.glb`), 16);
      const out = path.join(tmp, `out-${format}`);
      await model(src, out, { textures: format, budget: 'none' });
      const glb = new Uint8Array(await readFile(path.join(out, 'model.glb')));
      const { bytes, report } = await exportUsdz(glb, renderer);
      const usda = await checkUsdz(bytes, glb);
      expect(usda).toContain('def Material "Checker"');
      expect(usda).toContain('def Xform "Checker_sphere"');
      expect(report.unsupported).toEqual([expect.stringMatching(/^KHR_materials_unlit: /), expect.stringMatching(/^normals: /)]);
      const textures = readZip(bytes).filter((e) => e.name.startsWith('textures/'));
      expect(textures.map((t) => t.name)).toEqual([expect.stringMatching(/\.png$/)]);
      expect(report.decodedTextures).toBe(format === 'ktx2' ? 1 : 0);
      // The checker's red and white survive the decode (sRGB in, sRGB out).
      const stats = await sharp(Buffer.from(textures[0]!.data)).stats();
      const [r, g] = stats.channels;
      expect(r!.max).toBeGreaterThan(225);
      expect(g!.min).toBeLessThan(60);
      expect(g!.max).toBeGreaterThan(225);
    },
    180_000,
  );
});

describe.skipIf(!hasChromium)(`model({ usdz }) ${chromiumReason}`, () => {
  let tmp: string;
  let box: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-usdz-api-'));
    box = await boxGlb(path.join(tmp, 'box.glb'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes model.usdz beside model.glb, and out.usdz beside out.glb, with the report entry', async () => {
    const { report } = await modelApi(box, path.join(tmp, 'folder'), { usdz: true, textures: 'keep' });
    expect((await readdir(path.join(tmp, 'folder'))).sort()).toEqual(['model.glb', 'model.json', 'model.usdz']);
    expect(report.usdz).toMatchObject({ file: 'model.usdz', meshes: ['Box_body'], materials: ['Lacquer_red'] });
    expect((report.usdz as { unsupported: string[] }).unsupported).toEqual([expect.stringMatching(/^normals: 1 mesh has none; written with flat normals/)]);
    const json = JSON.parse(await readFile(path.join(tmp, 'folder', 'model.json'), 'utf8'));
    expect(json.usdz).toEqual(report.usdz);
    expect(json.usdz.bytes).toBe((await readFile(path.join(tmp, 'folder', 'model.usdz'))).length);
    const file = await modelApi(box, path.join(tmp, 'f', 'out.glb'), { usdz: true, textures: 'keep' });
    expect((await readdir(path.join(tmp, 'f'))).sort()).toEqual(['out.glb', 'out.json', 'out.usdz']);
    expect(file.report.usdz).toMatchObject({ file: 'out.usdz' });
  }, 180_000);

  it('xoay model --usdz: the report line and the JSON; --no-usdz overrides a config file', async () => {
    const out = path.join(tmp, 'cli');
    const r = await xoay(['model', box, '-o', out, '--usdz', '--textures', 'keep']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\n {2}usdz: model\.usdz \d+ KiB in [\d.]+ s, 1\.000 × 1\.000 × 1\.000 m; not carried: normals: /);
    expect(existsSync(path.join(out, 'model.usdz'))).toBe(true);
    await writeFile(path.join(tmp, 'xoay.config.json'), JSON.stringify({ model: { usdz: true } }));
    const printed = await xoay(['model', box, '-o', path.join(tmp, 'cli2'), '--no-usdz', '--print-config', '--config', path.join(tmp, 'xoay.config.json')]);
    expect(JSON.parse(printed.stdout).options.usdz).toBe(false);
    const fromConfig = await xoay(['model', box, '-o', path.join(tmp, 'cli2'), '--print-config', '--config', path.join(tmp, 'xoay.config.json')]);
    expect(JSON.parse(fromConfig.stdout).options.usdz).toBe(true);
  }, 180_000);

  it('a failing export keeps the GLB and says why in model.json', async () => {
    const before = process.env.XOAY_CHROMIUM;
    process.env.XOAY_CHROMIUM = path.join(tmp, 'no-such-chromium');
    try {
      const { report } = await modelApi(box, path.join(tmp, 'failing'), { usdz: true, textures: 'keep' });
      expect(report.usdz).toMatchObject({ error: expect.stringMatching(/^usdz: .*chromium/i) });
      expect(existsSync(path.join(tmp, 'failing', 'model.glb'))).toBe(true);
      expect(existsSync(path.join(tmp, 'failing', 'model.usdz'))).toBe(false);
      expect(JSON.parse(await readFile(path.join(tmp, 'failing', 'model.json'), 'utf8')).usdz.error).toBe((report.usdz as { error: string }).error);
    } finally {
      if (before === undefined) delete process.env.XOAY_CHROMIUM;
      else process.env.XOAY_CHROMIUM = before;
    }
  }, 120_000);
});
