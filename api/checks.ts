/**
 * The one definition of each command's options: for every option, the check of its value (sharp's way: the option,
 * what was expected, what was given) and the JSON Schema of that value. The API (api/index.ts) checks its calls with
 * these tables, the CLI checks config files with them (cli/config.ts), and the config file's JSON Schema
 * (schema/config.schema.json) is generated from them.
 */
import { XoayError } from '../pipeline/core/errors.js';
import { assertBoolean, assertInteger, assertNumber, assertOneOf, describe, invalid } from '../pipeline/core/options.js';
import { BUDGET_NAMES, GEOMETRY_MODES, KTX2_ENCODER_CHOICES, MERGE_WHEN, QUANTIZATION_VOLUMES, TEXTURE_MODES } from '../pipeline/model/choices.js';
import { BACKGROUND_MODES, SPIN_FORMATS } from '../pipeline/spin/choices.js';

/** Checks one option's value (throws XoayError BAD_OPTION); `schema` is the JSON Schema of the same values. */
export interface Check {
  (stage: string, option: string, value: unknown): void;
  schema: Record<string, unknown>;
}

const check = (schema: Record<string, unknown>, fn: (stage: string, option: string, value: unknown) => void): Check => Object.assign(fn, { schema });

export const bool: Check = check({ type: 'boolean' }, (s, o, v) => assertBoolean(s, o, v));
export const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  check({ type: 'integer', minimum: min, maximum: max }, (s, o, v) => assertInteger(s, o, v, min, max));
export const num = (min: number, max: number): Check => check({ type: 'number', minimum: min, maximum: max }, (s, o, v) => assertNumber(s, o, v, min, max));
export const oneOf = (allowed: readonly string[]): Check => check({ enum: [...allowed] }, (s, o, v) => assertOneOf(s, o, v, allowed));
export const text: Check = check({ type: 'string', minLength: 1 }, (s, o, v) => {
  if (typeof v !== 'string' || v === '') throw invalid(s, o, 'a non-empty string', v);
});
export const listOf = (item: Check, what: string): Check =>
  check({ type: 'array', minItems: 1, items: item.schema }, (s, o, v) => {
    if (!Array.isArray(v) || v.length === 0) throw invalid(s, o, `a non-empty array of ${what}`, v);
    for (const x of v) item(s, o, x);
  });
export const numbers = (min: number, max: number): Check => {
  const list = listOf(num(min, max), `numbers between ${min} and ${max}`);
  return check({ oneOf: [num(min, max).schema, list.schema] }, (s, o, v) => (Array.isArray(v) ? list(s, o, v) : assertNumber(s, o, v, min, max)));
};
export const url = (what: string): Check =>
  check({ type: 'string', format: 'uri', pattern: '^https?://' }, (s, o, v) => {
    if (typeof v !== 'string' || !/^https?:\/\//.test(v) || !URL.canParse(v)) throw invalid(s, o, `${what} (http or https)`, v);
  });
export const redisUrl: Check = check({ type: 'string', pattern: '^rediss?://' }, (s, o, v) => {
  if (typeof v !== 'string' || !/^rediss?:\/\//.test(v)) throw invalid(s, o, 'a Redis address, redis://HOST:PORT[/db]', v);
});
const fn = check({}, (s, o, v) => {
  if (typeof v !== 'function') throw invalid(s, o, 'a function', v);
});
const abortSignal = check({}, (s, o, v) => {
  if (!(v instanceof AbortSignal)) throw invalid(s, o, 'an AbortSignal', v);
});
export const widths = listOf(int(16, 16384), 'integers between 16 and 16384');
export const formats = listOf(oneOf(SPIN_FORMATS), SPIN_FORMATS.join(', '));
export const segment = oneOf(['auto', 'border', 'plate']);
/** The two options every API call takes besides its command's (not in a config file). */
export const CALL: Record<string, Check> = { onProgress: fn, signal: abortSignal };

/**
 * Checks an options object against `checks` before any work: a plain object or undefined, no unknown option, each
 * given value of the expected type. Returns it, typed.
 */
export function checkOptions<T extends object>(stage: string, given: unknown, checks: Record<string, Check>): T {
  if (given === undefined) return {} as T;
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new XoayError(stage, 'BAD_OPTION', `expected an options object but received ${describe(given)}`);
  for (const [k, v] of Object.entries(given)) {
    const c = checks[k];
    if (!c) throw new XoayError(stage, 'BAD_OPTION', `unknown option ${k} (the options are: ${Object.keys(checks).join(', ')})`);
    if (v !== undefined) c(stage, k, v);
  }
  return given as T;
}

/** The most rows a shoot may have (`rows`; the values a per-row option such as `--elevation 10,40` takes). */
export const MAX_ROWS = 64;

export const SPIN_CHECKS = {
  rows: int(0, MAX_ROWS),
  reverse: bool,
  recentre: bool,
  exposure: bool,
  margin: num(0, 100),
  aspect: check(
    {
      oneOf: [
        { type: 'number', minimum: 0.05, maximum: 20 },
        { type: 'string', pattern: '^(keep|[0-9.]+:[0-9.]+)$' },
      ],
    },
    (s, o, v) => {
      if (typeof v === 'number') return assertNumber(s, o, v, 0.05, 20);
      if (typeof v !== 'string') throw invalid(s, o, "'W:H' (e.g. '1:1', '4:3'), a number or 'keep'", v);
    },
  ),
  background: oneOf(BACKGROUND_MODES),
  shadow: oneOf(['keep', 'remove']),
  segment,
  cleanPlate: text,
  masks: text,
  debugMasks: bool,
  widths,
  formats,
  limitInputPixels: int(1),
  concurrency: int(1, 256),
  force: bool,
} satisfies Record<string, Check>;

export const MODEL_CHECKS = {
  geometry: oneOf(GEOMETRY_MODES),
  quantizationVolume: oneOf(QUANTIZATION_VOLUMES),
  textures: oneOf(TEXTURE_MODES),
  ktx2Encoder: oneOf(KTX2_ENCODER_CHOICES),
  maxTextureSize: int(1, 16384),
  budget: oneOf(BUDGET_NAMES),
  triangles: int(0, 1e9),
  maxError: num(0, 1),
  lods: int(0, 6),
  merge: oneOf(MERGE_WHEN),
  maxMemory: int(64, 1 << 20),
  timeout: int(0, 1e7),
  fidelity: bool,
  usdz: bool,
  force: bool,
} satisfies Record<string, Check>;

export const RECONSTRUCT_CHECKS = {
  cameras: text,
  reverse: bool,
  elevation: numbers(-89, 89),
  fov: num(1, 179),
  distance: numbers(0.001, 1e6),
  resolution: int(16, 1024),
  tolerance: int(0, 64),
  triangles: int(100, 10_000_000),
  size: int(64, 8192),
  textureSize: int(64, 8192),
  textures: oneOf(TEXTURE_MODES),
  minIou: num(0, 1),
  segment,
  cleanPlate: text,
  masks: text,
  preview: bool,
  force: bool,
} satisfies Record<string, Check>;

export const BASE_URL = 'the public address of the site, e.g. https://ocop.example.vn/san-pham/';
export const BUILD_CHECKS = {
  baseUrl: url(BASE_URL),
  cache: text,
  jobs: int(1, 64),
  title: text,
  widths,
  formats,
  textures: oneOf(TEXTURE_MODES),
  reconstruct: bool,
  allowLinksInto: listOf(text, 'folder paths'),
  prune: bool,
  usdz: bool,
  fidelity: bool,
  force: bool,
} satisfies Record<string, Check>;

export const RENDER_CHECKS = {
  width: int(16, 4096),
  height: int(16, 4096),
  cameraOrbit: text,
  gltfCamera: text,
  fieldOfView: text,
  environmentImage: text,
  environmentRotation: text,
  exposure: num(0, 100),
  toneMapping: oneOf(['neutral', 'aces', 'agx', 'linear']),
  shadowIntensity: num(0, 10),
  background: text,
  quality: num(0, 1),
  chromium: text,
  viewerDir: text,
  force: bool,
} satisfies Record<string, Check>;

/**
 * The options only the command line has (no API function): build's queue options, preview, worker, status and
 * check-site. Their flags parse with these ranges (cli/parse.ts fromCheck) and config files are checked with them.
 */
export const ENQUEUE_CHECKS = { queue: redisUrl, attempts: int(1, 20), wait: bool } satisfies Record<string, Check>;
export const PREVIEW_CHECKS = {
  port: int(0, 65535),
  host: text,
  cache: text,
  widths,
  allowLinksInto: listOf(text, 'folder paths'),
} satisfies Record<string, Check>;
export const WORKER_CHECKS = {
  queue: redisUrl,
  concurrency: int(1, 64),
  lockDuration: int(500, 3_600_000),
  stalledInterval: int(500, 3_600_000),
} satisfies Record<string, Check>;
export const STATUS_CHECKS = { queue: redisUrl } satisfies Record<string, Check>;
export const CHECK_SITE_CHECKS = { baseUrl: url(BASE_URL) } satisfies Record<string, Check>;
