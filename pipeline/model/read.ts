/**
 * Read: load a `.glb`, a `.gltf` (with its `.bin` and textures) or an `.obj` (with its `.mtl` and
 * textures, see obj.ts) into a glTF Transform Document, after
 * checking the container and every external reference. External files resolve only inside the
 * input's folder: `../`, absolute paths and network URIs are refused.
 */
import path from 'node:path';
import type { Document, JSONDocument } from '@gltf-transform/core';
import { dequantize, unpartition } from '@gltf-transform/functions';
import { echo, XoayError } from '../core/errors.js';
import { statInput } from '../core/input.js';
import { readInside } from '../core/inside.js';
import { createIO, SILENT } from './codecs.js';
import { readObj } from './obj.js';
import { checkGltfJson } from './limits.js';
import { checkCompressedData, checkCompressionJson } from './compressed.js';
import { type ModelSource, type ReadOptions, READ_DEFAULTS, resolveUri } from './source.js';

const STAGE = 'read';

const GLB_MAGIC = 0x46546c67; // 'glTF'
const GLB_JSON = 0x4e4f534a;
const GLB_BIN = 0x004e4942;

/** Open a model file and check its container, its JSON (limits, structure) and every external reference, before parsing the scene. */
export async function openModel(input: string, opts?: Partial<ReadOptions>): Promise<ModelSource> {
  const o: ReadOptions = { ...READ_DEFAULTS, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) };
  const file = path.resolve(input);
  await statInput(STAGE, file, { kind: 'not folder', missing: 'the model file does not exist', wrongKind: 'the input is a folder, not a model file' });
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.glb' && ext !== '.gltf' && ext !== '.obj') {
    throw new XoayError(STAGE, 'UNSUPPORTED_INPUT', `expected a .glb, .gltf or .obj file, got ${echo(ext || 'no extension')}`, file);
  }
  const dir = path.dirname(file);
  const roots = [dir, ...o.trustedRoots];
  const bytes = new Uint8Array(
    await readInside(file, { stage: STAGE, roots, maxBytes: o.maxFileBytes, what: 'model file', reportAs: file, missing: 'INPUT_MISSING' }),
  );
  if (bytes.length === 0) throw new XoayError(STAGE, 'EMPTY_FILE', 'the file is empty (0 bytes)', file);
  const read = new Map<string, Promise<Uint8Array>>();
  const resource = (uri: string, kind: 'buffer' | 'image' = 'buffer'): Promise<Uint8Array> => {
    let p = read.get(uri);
    if (!p) {
      p = (async () => {
        const r = resolveUri(uri, dir, file, o);
        if (r.kind === 'data') throw new XoayError(STAGE, 'MODEL_INVALID', 'data: URIs are read inline', file);
        const image = kind === 'image';
        return new Uint8Array(
          await readInside(r.path, {
            stage: STAGE,
            roots,
            maxBytes: image ? o.maxImageBytes : o.maxFileBytes,
            what: image ? 'image file' : 'buffer file',
            reportAs: file,
          }),
        );
      })();
      read.set(uri, p);
    }
    return p;
  };
  const totalBytes = async (): Promise<number> => (await Promise.all(read.values())).reduce((n, b) => n + b.length, bytes.length);
  const opened = { file, bytes, resource, totalBytes, options: o };

  if (ext === '.obj') return { ...opened, format: 'obj' };
  if (ext === '.glb') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 20 || view.getUint32(0, true) !== GLB_MAGIC) {
      throw new XoayError(STAGE, 'MODEL_INVALID', 'not a GLB file (the first bytes are not the "glTF" magic)', file);
    }
    const version = view.getUint32(4, true);
    if (version !== 2) throw new XoayError(STAGE, 'MODEL_INVALID', `GLB version ${version} is not supported (glTF 2.0 only)`, file);
    const declared = view.getUint32(8, true);
    if (declared > bytes.length) {
      throw new XoayError(STAGE, 'MODEL_INVALID', `the GLB is truncated: its header says ${declared} bytes, the file has ${bytes.length}`, file);
    }
    const jsonLength = view.getUint32(12, true);
    if (20 + jsonLength > bytes.length) throw new XoayError(STAGE, 'MODEL_INVALID', 'the GLB is truncated inside its JSON chunk', file);
    if (view.getUint32(16, true) !== GLB_JSON) throw new XoayError(STAGE, 'MODEL_INVALID', "the GLB's first chunk is not its JSON chunk", file);
    const json = parseJson(bytes.subarray(20, 20 + jsonLength), file, "the GLB's JSON chunk is not valid JSON");
    let bin: Uint8Array | undefined;
    const binAt = 20 + jsonLength;
    if (bytes.length >= binAt + 8 && view.getUint32(binAt + 4, true) === GLB_BIN) {
      const binLength = view.getUint32(binAt, true);
      if (binAt + 8 + binLength > bytes.length)
        throw new XoayError(
          STAGE,
          'MODEL_INVALID',
          `the GLB is truncated inside its binary chunk (${binLength} bytes declared, ${bytes.length - binAt - 8} there)`,
          file,
        );
      bin = bytes.subarray(binAt + 8, binAt + 8 + binLength);
    }
    checkGltfJson(json, file, o, bin?.length);
    checkCompressionJson(json, file);
    await checkReferences(json, dir, file, o, resource);
    return { ...opened, format: 'glb', json, bin };
  }
  const json = parseJson(bytes, file, 'not valid glTF JSON');
  checkGltfJson(json, file, o, undefined);
  checkCompressionJson(json, file);
  await checkReferences(json, dir, file, o, resource);
  return { ...opened, format: 'gltf', json };
}

function parseJson(bytes: Uint8Array, file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new XoayError(STAGE, 'MODEL_INVALID', `${what}: it is not UTF-8 text`, file);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new XoayError(STAGE, 'MODEL_INVALID', `${what} (${(e as Error).message})`, file);
  }
}

/** Reads every external buffer and image once (safely, see `resource`), so a missing or unsafe one is named before any work. */
async function checkReferences(json: Record<string, unknown>, dir: string, file: string, o: ReadOptions, resource: ModelSource['resource']): Promise<void> {
  const j = json as { buffers?: { uri?: string }[]; images?: { uri?: string }[] };
  const list = [...(j.buffers ?? []).map((b, i) => ['buffers', i, b] as const), ...(j.images ?? []).map((b, i) => ['images', i, b] as const)];
  for (const [kind, i, item] of list) {
    if (typeof item.uri !== 'string') continue;
    try {
      const r = resolveUri(item.uri, dir, file, o);
      if (r.kind === 'file') await resource(item.uri, kind === 'images' ? 'image' : 'buffer');
    } catch (e) {
      if (e instanceof XoayError) throw new XoayError(STAGE, e.code, `${kind}[${i}].uri: ${e.message.slice(`${STAGE}: ${file}: `.length)}`, file);
      throw e;
    }
  }
}

/** Parse a checked model into a Document (Draco and meshopt inputs are decoded); only the files `openModel` read are used. */
export async function readModel(src: ModelSource): Promise<Document> {
  const io = await createIO();
  if (src.format === 'obj') return (await readObj(src.file, new TextDecoder().decode(src.bytes), src.options, src.resource)).setLogger(SILENT);
  const json = src.json!;
  const resources: JSONDocument['resources'] = {};
  if (src.bin) resources['@glb.bin'] = src.bin as Uint8Array<ArrayBuffer>;
  for (const item of [...((json.buffers as { uri?: string }[] | undefined) ?? []), ...((json.images as { uri?: string }[] | undefined) ?? [])]) {
    if (typeof item.uri === 'string' && !item.uri.startsWith('data:'))
      resources[item.uri] = (await src.resource(
        item.uri,
        (json.images as unknown[] | undefined)?.includes(item) ? 'image' : 'buffer',
      )) as Uint8Array<ArrayBuffer>;
  }
  await checkCompressedData(json, resources, src.file);
  let doc: Document;
  try {
    doc = (await io.readJSON({ json: json as unknown as JSONDocument['json'], resources })).setLogger(SILENT);
  } catch (e) {
    throw new XoayError(STAGE, 'MODEL_INVALID', `cannot be read: ${(e as Error).message}`, src.file, { cause: e });
  }
  dropInputCompression(doc);
  // Quantised input (an optimised GLB, Xoay's own output among them) is made float again: quantize() re-quantised plain
  // int16 positions onto one axis (x and z collapsed: Xoay's output fed back in failed its check, bounds 25 % off), and
  // the geometry stage quantises the floats afresh.
  if (
    doc
      .getRoot()
      .listExtensionsUsed()
      .some((e) => e.extensionName === 'KHR_mesh_quantization')
  )
    await doc.transform(dequantize());
  // A GLB holds one buffer: a .gltf's several .bin files, or a meshopt fallback buffer kept because the input did not
  // list the extension as required, are joined (the GLB writer threw "GLB must have 0–1 buffers" in the geometry stage).
  if (doc.getRoot().listBuffers().length > 1) await doc.transform(unpartition());
  return doc;
}

/** The geometry compression extensions a reader decodes: once read, the data in the Document is plain. */
const INPUT_COMPRESSION = ['KHR_draco_mesh_compression', 'EXT_meshopt_compression', 'KHR_meshopt_compression'];

/**
 * Forgets how the input's geometry was compressed. The reader has decoded it; an extension left on the Document would
 * be written again on top of the geometry stage's choice: a Draco input came out Draco-compressed inside meshopt streams
 * (sofa: geometry 103 650 bytes against 61 554 from the plain GLB; 2CylinderEngine: Draco's re-encoding dropped
 * triangles, which the check caught). The geometry stage alone decides what the output uses.
 */
export function dropInputCompression(doc: Document): Document {
  for (const ext of doc.getRoot().listExtensionsUsed()) if (INPUT_COMPRESSION.includes(ext.extensionName)) ext.dispose();
  return doc;
}
