/**
 * The glTF I/O with every extension and the real WASM codecs registered (Draco, meshopt), created
 * once per process.
 */
import { Logger, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import draco3d from 'draco3dgltf';
import { MeshoptDecoder, MeshoptEncoder, MeshoptSimplifier } from 'meshoptimizer';

let io: Promise<NodeIO> | undefined;

/** glTF Transform logs to stdout, which `--json` keeps for its report: the pipeline reports its own findings. */
export const SILENT = new Logger(Logger.Verbosity.SILENT);

export const codecs = { MeshoptDecoder, MeshoptEncoder, MeshoptSimplifier };

/**
 * meshopt's buffer encoder writing vertex codec v1 at level 3 (meshoptimizer ≥ 0.23; what `gltfpack -cc` writes):
 * ≈ 4 % smaller geometry than glTF Transform's v0 level 2, read by every meshopt decoder since (three.js ships 1.1).
 */
const MeshoptEncoderV1: typeof MeshoptEncoder = {
  ...MeshoptEncoder,
  encodeGltfBuffer: (source, count, size, mode) =>
    mode === 'ATTRIBUTES' ? MeshoptEncoder.encodeVertexBufferLevel(source, count, size, 3, 1) : MeshoptEncoder.encodeGltfBuffer(source, count, size, mode, 1),
};

/** A NodeIO that reads and writes every extension glTF Transform knows, with decoders and encoders ready. */
export function createIO(): Promise<NodeIO> {
  io ??= (async () => {
    await Promise.all([MeshoptDecoder.ready, MeshoptEncoder.ready, MeshoptSimplifier.ready]);
    return new NodeIO()
      .setLogger(SILENT)
      .setAllowNetwork(false)
      .registerExtensions(ALL_EXTENSIONS)
      .registerDependencies({
        'draco3d.decoder': await draco3d.createDecoderModule(),
        'draco3d.encoder': await draco3d.createEncoderModule(),
        'meshopt.decoder': MeshoptDecoder,
        'meshopt.encoder': MeshoptEncoderV1,
      });
  })();
  return io;
}
