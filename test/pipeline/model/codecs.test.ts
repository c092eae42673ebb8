/**
 * Conformant, interoperable meshopt output (issue 15, item 0). Every GLB `xoay model` writes uses
 * EXT_meshopt_compression as its ratified text defines it: attribute streams in vertex codec version 0 (header byte
 * 0xa0; version 1, 0xa1, belongs to KHR_meshopt_compression), triangles 0xe1, indices 0xd1, only the EXT's filters;
 * and every accessor decodes to the same values in Xoay's own decode (the check stage's: glTF Transform's NodeIO with
 * meshoptimizer 1.3's WASM decoder) as in
 *  (a) glTF Transform's NodeIO with meshoptimizer's reference decoder (plain JS, written from the specification),
 *  (b) three's GLTFLoader with the meshopt decoder that @google/model-viewer 4.4.0 ships (meshoptimizer 1.0, taken
 *      from its dist bundle): the one that showed textures on the wrong texels for v1 streams.
 *
 * On a checker sphere built in memory (so this runs without the shared data; its texture coordinates were one of the
 * streams model-viewer's decoder got wrong) and on the shared models (skipped with the reason without them).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NodeIO, type Document, type TypedArray } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { BufferAttribute, InterleavedBufferAttribute } from 'three';
import { GLTFLoader, type GLTFParser } from 'three/examples/jsm/loaders/GLTFLoader.js';
import type { MeshoptDecoder } from 'meshoptimizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIO, SILENT } from '../../../pipeline/model/codecs.js';
import { model } from '../../../pipeline/model/model.js';
import { dataSet, ROOT } from '../../helpers/data.js';
import { checkerSphereGlb } from '../../helpers/models.js';

const models = dataSet('models');
const SHARED = ['2CylinderEngine.glb', 'painted_wooden_stool_1k.glb', 'sofa_03_1k.glb', 'wooden_table_02_1k.glb'];

/** What the ratified EXT_meshopt_compression text allows, by mode: the stream's header byte and the filters. */
const EXT_HEADER: Record<string, number> = { ATTRIBUTES: 0xa0, TRIANGLES: 0xe1, INDICES: 0xd1 };
const EXT_FILTERS = ['NONE', 'OCTAHEDRAL', 'QUATERNION', 'EXPONENTIAL'];

/** meshoptimizer's decoder interface (the WASM one, the reference one and model-viewer's copy all have it). */
type MeshoptDecoderLike = typeof MeshoptDecoder;

/**
 * The meshopt decoder inside model-viewer 4.4.0's bundle (dist/model-viewer.js inlines three r183's
 * examples/jsm/libs/meshopt_decoder.module.js), cut out of the bundle as shipped and evaluated.
 */
async function modelViewerDecoder(): Promise<MeshoptDecoderLike> {
  const bundle = await readFile(path.join(ROOT, 'node_modules/@google/model-viewer/dist/model-viewer.js'), 'utf8');
  const start = bundle.indexOf('var MeshoptDecoder = (function () {');
  const end = bundle.indexOf('\n})();', start);
  expect(start, 'the meshopt decoder in model-viewer’s bundle').toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const source = bundle.slice(start, end + '\n})();'.length);
  expect(source).toContain('Built from meshoptimizer 1.0');
  const decoder = new Function(`${source}\nreturn MeshoptDecoder;`)() as MeshoptDecoderLike;
  await decoder.ready;
  return decoder;
}

interface Glb {
  json: {
    extensionsUsed?: string[];
    extensionsRequired?: string[];
    accessors: { bufferView?: number; count: number; type: string; componentType: number }[];
    bufferViews: {
      extensions?: Record<string, { byteOffset?: number; byteLength: number; mode: string; filter?: string; count: number; byteStride: number }>;
    }[];
  };
  bin: Uint8Array;
}

function parseGlb(glb: Uint8Array): Glb {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as Glb['json'];
  const binLength = view.getUint32(20 + jsonLength, true);
  return { json, bin: glb.subarray(28 + jsonLength, 28 + jsonLength + binLength) };
}

/** Every accessor's values as three's GLTFLoader decodes them, element by element (interleaved views unpacked). */
async function threeAccessors(glb: Uint8Array, decoder: MeshoptDecoderLike): Promise<number[][]> {
  let parser: GLTFParser | undefined;
  const loader = new GLTFLoader().setMeshoptDecoder(decoder);
  // The parser is taken as a plugin sees it; the scene (and its textures, which need a DOM) is never loaded: only
  // the accessors are asked for, each through the loader's own buffer view path (EXT_meshopt_compression included).
  loader.register((p) => {
    parser = p;
    return { name: 'xoay-test-accessors-only', beforeRoot: () => new Promise<void>(() => {}) };
  });
  const data = glb.buffer.slice(glb.byteOffset, glb.byteOffset + glb.byteLength) as ArrayBuffer;
  loader.parse(
    data,
    '',
    () => {},
    (e) => {
      throw e;
    },
  );
  if (!parser) throw new Error('GLTFLoader made no parser');
  const out: number[][] = [];
  for (let i = 0; i < parser.json.accessors.length; i++) {
    const attr = (await parser.getDependency('accessor', i)) as BufferAttribute | InterleavedBufferAttribute;
    const values: number[] = [];
    if (attr instanceof InterleavedBufferAttribute) {
      const { array, stride } = attr.data;
      for (let k = 0; k < attr.count; k++) for (let c = 0; c < attr.itemSize; c++) values.push(array[k * stride + attr.offset + c]!);
    } else {
      values.push(...Array.from(attr.array as ArrayLike<number>));
    }
    out.push(values);
  }
  return out;
}

function accessorArrays(doc: Document): number[][] {
  return doc
    .getRoot()
    .listAccessors()
    .map((a) => Array.from(a.getArray() as TypedArray));
}

const SAME = { length: 0, values: 0, first: -1 };

/** How two decodes of one accessor differ: length, how many values and the first one (SAME when they do not). */
function differences(got: number[], want: number[]): typeof SAME {
  let values = 0;
  let first = -1;
  for (let k = 0; k < Math.max(got.length, want.length); k++) {
    if (!Object.is(got[k], want[k])) {
      values++;
      if (first < 0) first = k;
    }
  }
  return { length: got.length - want.length, values, first };
}

let tmp = '';
let reference: MeshoptDecoderLike;
let modelViewer: MeshoptDecoderLike;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-meshopt-'));
  const ref = (await import(pathToFileURL(path.join(ROOT, 'node_modules/meshoptimizer/meshopt_decoder_reference.js')).href)) as {
    MeshoptDecoder: MeshoptDecoderLike;
  };
  reference = ref.MeshoptDecoder;
  modelViewer = await modelViewerDecoder();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The checks on one written GLB. */
async function conforms(file: string): Promise<void> {
  const glb = new Uint8Array(await readFile(file));
  const { json, bin } = parseGlb(glb);
  const name = path.basename(path.dirname(file)) + '/' + path.basename(file);

  // The ratified extension only, and its streams as it defines them.
  expect(json.extensionsUsed, name).toContain('EXT_meshopt_compression');
  expect(json.extensionsUsed, name).not.toContain('KHR_meshopt_compression');
  let streams = 0;
  for (const [i, view] of json.bufferViews.entries()) {
    const ext = view.extensions?.EXT_meshopt_compression;
    if (!ext) continue;
    streams++;
    const header = bin[ext.byteOffset ?? 0]!;
    expect(`${ext.mode} 0x${header.toString(16)}`, `${name} bufferView ${i}`).toBe(`${ext.mode} 0x${EXT_HEADER[ext.mode]!.toString(16)}`);
    expect(EXT_FILTERS, `${name} bufferView ${i}`).toContain(ext.filter ?? 'NONE');
  }
  expect(streams, name).toBeGreaterThan(0);

  // Xoay's own decode, and the same accessors through the two other decoders.
  const own = accessorArrays(await (await createIO()).readBinary(glb));
  expect(own.length).toBe(json.accessors.length);
  const refIO = new NodeIO().setLogger(SILENT).registerExtensions(ALL_EXTENSIONS).registerDependencies({ 'meshopt.decoder': reference });
  const viaReference = accessorArrays(await refIO.readBinary(glb));
  const viaModelViewer = await threeAccessors(glb, modelViewer);
  for (let i = 0; i < own.length; i++) {
    const a = json.accessors[i]!;
    const what = `${name} accessor ${i} (${a.type} ${a.componentType}, ${a.count})`;
    expect(differences(viaReference[i]!, own[i]!), `${what}, glTF Transform + meshopt reference decoder`).toEqual(SAME);
    expect(differences(viaModelViewer[i]!, own[i]!), `${what}, three GLTFLoader + model-viewer 4.4.0's meshopt decoder`).toEqual(SAME);
  }
}

describe('meshopt output conforms to EXT_meshopt_compression and decodes alike everywhere', () => {
  it('a checker sphere built in memory (and its LOD)', async () => {
    const input = await checkerSphereGlb(path.join(tmp, 'sphere.glb'), 32);
    const out = path.join(tmp, 'sphere');
    await model(input, out, { budget: 'none', textures: 'keep', geometry: 'meshopt', lods: 1 });
    await conforms(path.join(out, 'model.glb'));
    await conforms(path.join(out, 'model.lod1.glb'));
  });

  // Textures kept as they are (quicker): the geometry written does not depend on the texture format.
  for (const name of SHARED) {
    it.skipIf(!models.present)(`${name} ${models.reason}`, async () => {
      const out = path.join(tmp, name);
      await model(path.join(models.dir, name), out, { textures: 'keep', geometry: 'meshopt' });
      await conforms(path.join(out, 'model.glb'));
    });
  }
});
