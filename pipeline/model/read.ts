/**
 * Read: load a `.glb`, a `.gltf` (with its `.bin` and textures) or an `.obj` (with its `.mtl` and
 * textures, see obj.ts) into a glTF Transform Document, after
 * checking the container and every external reference. External files resolve only inside the
 * input's folder: `../`, absolute paths and network URIs are refused.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Document } from '@gltf-transform/core';
import { XoayError } from '../core/errors.js';
import { createIO, SILENT } from './codecs.js';
import { readObj } from './obj.js';

const STAGE = 'read';

export interface ReadOptions {
  /** Largest data: URI accepted, in bytes (inline buffers and images). */
  maxDataUriBytes: number;
}

export const READ_DEFAULTS: ReadOptions = { maxDataUriBytes: 64 * 1024 * 1024 };

export interface ModelSource {
  /** Absolute path of the main file. */
  file: string;
  format: 'glb' | 'gltf' | 'obj';
  /** The options it was opened with. */
  options: ReadOptions;
  /** The main file's bytes. */
  bytes: Uint8Array;
  /** Reads an external resource by its URI, safely (inside the input's folder). */
  resource(uri: string): Promise<Uint8Array>;
}

const GLB_MAGIC = 0x46546c67; // 'glTF'

/** Check a URI from a .gltf: data: URIs (size), or relative paths that stay inside `dir`. */
export function resolveUri(uri: string, dir: string, file: string, o: ReadOptions): { kind: 'data'; bytes: number } | { kind: 'file'; path: string } {
  if (uri.startsWith('data:')) {
    const comma = uri.indexOf(',');
    const bytes = Math.floor(((uri.length - comma - 1) * 3) / 4);
    if (bytes > o.maxDataUriBytes) {
      throw new XoayError(STAGE, 'UNSAFE_URI', `a data: URI holds about ${bytes} bytes, over the limit of ${o.maxDataUriBytes}`, file);
    }
    return { kind: 'data', bytes };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    throw new XoayError(STAGE, 'UNSAFE_URI', `refuses the URI "${uri}": only files next to the model (or data: URIs) are read, never the network or other schemes`, file);
  }
  const decoded = decodeURIComponent(uri);
  if (path.isAbsolute(decoded) || decoded.startsWith('/') || decoded.startsWith('\\')) {
    throw new XoayError(STAGE, 'UNSAFE_URI', `refuses the absolute path "${uri}": external files must be relative to the model's folder`, file);
  }
  const resolved = path.resolve(dir, decoded);
  const rel = path.relative(dir, resolved);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new XoayError(STAGE, 'UNSAFE_URI', `refuses "${uri}": it points outside the model's folder`, file);
  }
  return { kind: 'file', path: resolved };
}

/** Open a model file and check its container and references, without parsing the whole scene yet. */
export async function openModel(input: string, opts?: Partial<ReadOptions>): Promise<ModelSource> {
  const o = { ...READ_DEFAULTS, ...opts };
  const file = path.resolve(input);
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new XoayError(STAGE, 'INPUT_MISSING', 'the model file does not exist', file);
  }
  if (!st.isFile()) throw new XoayError(STAGE, 'INPUT_MISSING', 'the input is not a file', file);
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.glb' && ext !== '.gltf' && ext !== '.obj') {
    throw new XoayError(STAGE, 'UNSUPPORTED_INPUT', `expected a .glb, .gltf or .obj file, got "${ext || 'no extension'}"`, file);
  }
  const bytes = new Uint8Array(await readFile(file));
  if (bytes.length === 0) throw new XoayError(STAGE, 'EMPTY_FILE', 'the file is empty (0 bytes)', file);
  const dir = path.dirname(file);
  const resource = async (uri: string) => {
    const r = resolveUri(uri, dir, file, o);
    if (r.kind === 'data') throw new XoayError(STAGE, 'MODEL_INVALID', 'data: URIs are read inline', file);
    try {
      return new Uint8Array(await readFile(r.path));
    } catch {
      throw new XoayError(STAGE, 'MISSING_RESOURCE', `the file "${uri}" it refers to is missing`, file);
    }
  };

  if (ext === '.obj') return { file, format: 'obj', bytes, resource, options: o };
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
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
    } catch (e) {
      throw new XoayError(STAGE, 'MODEL_INVALID', `the GLB's JSON chunk is not valid JSON (${(e as Error).message})`, file);
    }
    await checkReferences(json, dir, file, o);
    return { file, format: 'glb', bytes, resource, options: o };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new XoayError(STAGE, 'MODEL_INVALID', `not valid glTF JSON (${(e as Error).message})`, file);
  }
  await checkReferences(json, dir, file, o);
  return { file, format: 'gltf', bytes, resource, options: o };
}

async function checkReferences(json: unknown, dir: string, file: string, o: ReadOptions): Promise<void> {
  if (typeof json !== 'object' || json === null || !('asset' in json)) {
    throw new XoayError(STAGE, 'MODEL_INVALID', 'not a glTF asset (no "asset" object)', file);
  }
  const j = json as { buffers?: { uri?: string }[]; images?: { uri?: string }[] };
  for (const item of [...(j.buffers ?? []), ...(j.images ?? [])]) {
    if (typeof item.uri !== 'string') continue;
    const r = resolveUri(item.uri, dir, file, o);
    if (r.kind === 'file') {
      try {
        await stat(r.path);
      } catch {
        throw new XoayError(STAGE, 'MISSING_RESOURCE', `the file "${item.uri}" it refers to is missing`, file);
      }
    }
  }
}

/** Parse a checked model into a Document (Draco and meshopt inputs are decoded). */
export async function readModel(src: ModelSource): Promise<Document> {
  const io = await createIO();
  if (src.format === 'obj') return (await readObj(src.file, new TextDecoder().decode(src.bytes), src.options)).setLogger(SILENT);
  try {
    return (await io.read(src.file)).setLogger(SILENT);
  } catch (e) {
    throw new XoayError(STAGE, 'MODEL_INVALID', `cannot be read: ${(e as Error).message}`, src.file, { cause: e });
  }
}
