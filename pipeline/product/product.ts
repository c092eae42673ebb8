/**
 * Reads a product folder: `product.json` or `product.yaml` (checked against schema/product.ts, every
 * string NFC-normalised), and finds what else is there:
 *
 *   my-product/
 *     product.json | product.yaml   the facts (required)
 *     spin/                         the turntable shoot (frames, or row sub-folders)
 *     model.glb | model.gltf | model.obj   a 3D model (with its .bin, .mtl and textures beside it)
 *     photos/                       gallery photos
 *     story.md                      the producer's story (Markdown)
 *
 * Nothing is read from outside the folder and nothing in it is modified: every file is a regular file whose real path
 * (symbolic links followed) is inside the folder, or inside a folder given in `trustedRoots`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { type Product, ProductSchema } from '../../schema/product.js';
import { XoayError } from '../core/errors.js';
import { readInside, realInside, regularInside, utf8Name } from '../core/inside.js';
import { schemaProblems } from '../core/schema-errors.js';
import { exists } from '../core/fsout.js';
import { isImageName } from '../core/frames.js';
import { slugify } from './slug.js';

const STAGE = 'build';

/** Everything the build needs to know about one product folder. */
export interface ProductSource {
  /** The product folder (absolute). */
  dir: string;
  /** product.json or product.yaml (absolute). */
  file: string;
  /** The validated facts, every string NFC-normalised. */
  product: Product;
  /** The shoot folder, when there is one. */
  spinDir: string | undefined;
  /** The model file, when there is one. */
  modelFile: string | undefined;
  /** Gallery photos in natural order (absolute paths). */
  photos: string[];
  /** The story's Markdown (NFC), when there is one. */
  story: string | undefined;
}

export const PRODUCT_FILES = ['product.json', 'product.yaml', 'product.yml'] as const;
const MODEL_FILES = ['model.glb', 'model.gltf', 'model.obj'];

/** Is this folder a product folder (has product.json / product.yaml)? */
export async function isProductFolder(dir: string): Promise<boolean> {
  for (const f of PRODUCT_FILES) if (await exists(path.join(dir, f))) return true;
  return false;
}

export interface ReadProductOptions {
  /** Folders outside the product folder that its files may be symbolic links into (none by default). */
  trustedRoots: string[];
  /** Largest product.json / product.yaml / story.md, in bytes. */
  maxTextBytes: number;
  /** Deepest nesting of the facts (objects and arrays). */
  maxDepth: number;
}

export const READ_PRODUCT_DEFAULTS: ReadProductOptions = { trustedRoots: [], maxTextBytes: 1024 * 1024, maxDepth: 32 };

export async function readProduct(folder: string, opts?: Partial<ReadProductOptions>): Promise<ProductSource> {
  const o: ReadProductOptions = { ...READ_PRODUCT_DEFAULTS, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) };
  const dir = path.resolve(folder);
  const roots = [dir, ...o.trustedRoots];
  const readText = (f: string, what: string) => readUtf8(f, { stage: STAGE, roots, maxBytes: o.maxTextBytes, what });
  const found = [];
  for (const f of PRODUCT_FILES) if (await exists(path.join(dir, f))) found.push(f);
  if (found.length === 0) throw new XoayError(STAGE, 'INPUT_MISSING', `no product.json or product.yaml in this folder`, dir);
  if (found.length > 1) throw new XoayError(STAGE, 'BAD_PRODUCT', `both ${found.join(' and ')}: keep one`, dir);
  const file = path.join(dir, found[0]!);
  const text = await readText(file, 'product file');
  const data = file.endsWith('.json') ? parseJson(text, file) : parseYaml(text, file);
  checkDepth(data, o.maxDepth, file);
  const product = checkProduct(nfc(data), file);

  const names = new Set(await readdir(dir));
  const inside = { stage: STAGE, roots };
  const spinDir = names.has('spin') && (await isDir(path.join(dir, 'spin'))) ? path.join(dir, 'spin') : undefined;
  if (spinDir) await regularDir(spinDir, inside);
  const models = MODEL_FILES.filter((m) => names.has(m));
  if (models.length > 1) throw new XoayError(STAGE, 'BAD_PRODUCT', `more than one model (${models.join(', ')}): keep one`, dir);
  const modelFile = models[0] ? path.join(dir, models[0]) : undefined;
  if (modelFile) await regularInside(modelFile, { ...inside, what: 'model' });
  let photos: string[] = [];
  if (names.has('photos') && (await isDir(path.join(dir, 'photos')))) {
    const photoDir = path.join(dir, 'photos');
    await regularDir(photoDir, inside);
    const list = (await readdir(photoDir, { encoding: 'buffer' })).map((n) => utf8Name(n, photoDir, STAGE));
    photos = list
      .filter(isImageName)
      .sort(new Intl.Collator('en', { numeric: true }).compare)
      .map((n) => path.join(dir, 'photos', n));
    for (const ph of photos) await regularInside(ph, { ...inside, what: 'photo' });
  }
  const story = names.has('story.md') ? (await readText(path.join(dir, 'story.md'), 'story')).normalize('NFC') : undefined;
  if (!spinDir && !modelFile && photos.length === 0) {
    throw new XoayError(STAGE, 'BAD_PRODUCT', 'nothing to show: add a shoot (spin/), a model (model.glb, .gltf or .obj) or photos (photos/)', dir);
  }
  return { dir, file, product, spinDir, modelFile, photos, story };
}

/** Checks parsed facts against the schema; the error names the file and each wrong field. */
/** Ids that name site folders of their own. */
export const RESERVED_IDS = ['viewer'];

export function checkProduct(data: unknown, file: string): Product {
  if (Value.Check(ProductSchema, data)) {
    if (RESERVED_IDS.includes(data.id))
      throw new XoayError(STAGE, 'BAD_PRODUCT', `id: "${data.id}" is reserved (the site's ${data.id}/ folder); choose another`, file);
    return data;
  }
  const problems = schemaProblems(ProductSchema, data, {
    schemaFile: 'schema/product.schema.json',
    expected: (pointer, value) =>
      pointer === '/id' && typeof value === 'string'
        ? `a slug of lower-case ASCII words joined by hyphens, such as ${JSON.stringify(slugify(value) || 'che-shan-tuyet')}`
        : undefined,
  });
  throw new XoayError(STAGE, 'BAD_PRODUCT', problems.join('; '), file);
}

/** Strict UTF-8 (a BOM is dropped): a file saved in another encoding is refused, not garbled. Only a regular file inside the roots. */
async function readUtf8(file: string, o: Parameters<typeof readInside>[1]): Promise<string> {
  const bytes = await readInside(file, o);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new XoayError(STAGE, 'BAD_PRODUCT', 'is not valid UTF-8 text; save it as UTF-8', file);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 gives a position for most mistakes; where it does not, JSON is YAML and its parser may find the line.
    const m = /at position (\d+)/.exec((e as Error).message);
    const line = m ? lineOf(text, Number(m[1])) : parseDocument(text).errors[0]?.linePos?.[0]?.line;
    const where = line ? ` at line ${line}` : '';
    throw new XoayError(STAGE, 'BAD_PRODUCT', `is not valid JSON${where}: ${(e as Error).message}`, file);
  }
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? lineOf(text, err.pos[0]);
    throw new XoayError(STAGE, 'BAD_PRODUCT', `is not valid YAML at line ${line}: ${err.message.split('\n')[0]}`, file);
  }
  // YAML's own types stay JSON ones: dates and the like are kept as the text that was written.
  return doc.toJS({ maxAliasCount: 100 });
}

function lineOf(text: string, pos: number): number {
  return text.slice(0, pos).split('\n').length;
}

/** Every string (values and keys) in NFC, so "ế" typed on any keyboard is one code point. */
function nfc(v: unknown): unknown {
  if (typeof v === 'string') return v.normalize('NFC');
  if (Array.isArray(v)) return v.map(nfc);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.normalize('NFC'), nfc(x)]));
  return v;
}

/** A folder (after symbolic links) inside the roots. */
async function regularDir(d: string, o: { stage: string; roots: string[] }): Promise<void> {
  await realInside(d, { ...o, what: 'folder' });
}

/** Facts nested deeper than `max` (or referring to themselves: YAML anchors) are refused before anything walks them. */
function checkDepth(data: unknown, max: number, file: string): void {
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) throw new XoayError(STAGE, 'LIMIT', `the facts are nested more than ${max} levels deep (or refer to themselves)`, file);
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
  }
}

/** Follows symbolic links (a sample catalogue links its shoot). */
async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
