/**
 * What a model read works on: the read's options, the opened source (the main file's bytes, its checked JSON, a
 * safe reader of its external files) and the check of a URI from a .gltf or .mtl (read.ts and obj.ts share them).
 */
import path from 'node:path';
import { echo, XoayError } from '../core/errors.js';
import { isInside } from '../core/inside.js';
import { GLTF_LIMITS_DEFAULTS, type GltfLimits } from './limits.js';

const STAGE = 'read';

export interface ReadOptions extends GltfLimits {
  /** Largest data: URI accepted, in bytes (inline buffers and images). */
  maxDataUriBytes: number;
  /** Largest model file or external buffer read, in bytes. */
  maxFileBytes: number;
  /** Largest external image (texture file) read, in bytes. */
  maxImageBytes: number;
  /** Folders outside the model's own that its files may link into (symbolic links); none by default. */
  trustedRoots: string[];
}

export const READ_DEFAULTS: ReadOptions = {
  maxDataUriBytes: 64 * 1024 * 1024,
  maxFileBytes: 512 * 1024 * 1024,
  maxImageBytes: 64 * 1024 * 1024,
  trustedRoots: [],
  ...GLTF_LIMITS_DEFAULTS,
};

export interface ModelSource {
  /** Absolute path of the main file. */
  file: string;
  format: 'glb' | 'gltf' | 'obj';
  /** The options it was opened with. */
  options: ReadOptions;
  /** The main file's bytes. */
  bytes: Uint8Array;
  /** The glTF JSON, checked (not for OBJ). */
  json?: Record<string, unknown>;
  /** The GLB's binary chunk, when there is one. */
  bin?: Uint8Array;
  /** Reads an external resource by its URI, safely (a regular file inside the input's folder, within the size limits). */
  resource(uri: string, kind?: 'buffer' | 'image'): Promise<Uint8Array>;
  /** Bytes of the model as given: the main file and every external buffer and image read (a .gltf's .bin and textures). */
  totalBytes(): Promise<number>;
}

/** Check a URI from a .gltf: data: URIs (size), or relative paths that stay inside `dir`. */
export function resolveUri(
  uri: string,
  dir: string,
  file: string,
  o: Pick<ReadOptions, 'maxDataUriBytes' | 'maxUriLength'>,
): { kind: 'data'; bytes: number } | { kind: 'file'; path: string } {
  if (uri.startsWith('data:')) {
    const comma = uri.indexOf(',');
    const bytes = Math.floor(((uri.length - comma - 1) * 3) / 4);
    if (bytes > o.maxDataUriBytes) {
      throw new XoayError(STAGE, 'UNSAFE_URI', `a data: URI holds about ${bytes} bytes, over the limit of ${o.maxDataUriBytes}`, file);
    }
    return { kind: 'data', bytes };
  }
  if (uri.length > o.maxUriLength)
    throw new XoayError(STAGE, 'LIMIT', `the URI ${echo(uri)} is ${uri.length} characters long, over the limit of ${o.maxUriLength}`, file);
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    throw new XoayError(
      STAGE,
      'UNSAFE_URI',
      `refuses the URI ${echo(uri)}: only files next to the model (or data: URIs) are read, never the network or other schemes`,
      file,
    );
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(uri);
  } catch {
    throw new XoayError(STAGE, 'UNSAFE_URI', `the URI ${echo(uri)} has a malformed % escape (a % must be followed by two hexadecimal digits)`, file);
  }
  if (decoded.includes('\0')) throw new XoayError(STAGE, 'UNSAFE_URI', `the URI ${echo(uri)} holds a NUL character`, file);
  if (path.isAbsolute(decoded) || decoded.startsWith('/') || decoded.startsWith('\\')) {
    throw new XoayError(STAGE, 'UNSAFE_URI', `refuses the absolute path ${echo(uri)}: external files must be relative to the model's folder`, file);
  }
  const resolved = path.resolve(dir, decoded);
  if (!isInside(resolved, dir)) {
    throw new XoayError(STAGE, 'UNSAFE_URI', `refuses ${echo(uri)}: it points outside the model's folder`, file);
  }
  return { kind: 'file', path: resolved };
}
