/**
 * The glTF I/O with every extension and the real WASM codecs registered (Draco, meshopt), created
 * once per process.
 */
import { Logger, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import draco3d from 'draco3dgltf';
import { MeshoptDecoder, MeshoptEncoder, MeshoptSimplifier } from 'meshoptimizer';

let io: Promise<NodeIO> | undefined;
let dracoDecoder: Promise<unknown> | undefined;

/** The Draco decoder module (WASM), created once per process and shared by the I/O and the input checks (compressed.ts). */
export function dracoDecoderModule(): Promise<unknown> {
  dracoDecoder ??= draco3d.createDecoderModule();
  return dracoDecoder;
}

/** glTF Transform logs to stdout, which `--json` keeps for its report: the pipeline reports its own findings. */
export const SILENT = new Logger(Logger.Verbosity.SILENT);

export const codecs = { MeshoptDecoder, MeshoptEncoder, MeshoptSimplifier };

/**
 * meshopt's buffer encoder writing EXT_meshopt_compression streams as its ratified text defines them: attributes in
 * vertex codec version 0 (header byte 0xa0), triangles in index codec 0xe1 and other indices 0xd1 (meshoptimizer's
 * index encoders write those by default), as `gltfpack -cc` does. Version 1 of the vertex codec (0xa1, a little
 * smaller) is defined by KHR_meshopt_compression only; written under EXT it was misread silently: the decoder
 * @google/model-viewer 4.4.0 ships (meshoptimizer 1.0) decodes some of meshoptimizer 1.3's level-3 v1 streams wrongly
 * and put textures on the wrong texels (test/pipeline/model/codecs.test.ts). The version is passed on each call, so
 * meshoptimizer's process-wide default (1 since 0.23) does not decide it.
 */
export const MESHOPT_EXT_VERTEX_VERSION = 0;
const MeshoptEncoderEXT: typeof MeshoptEncoder = {
  ...MeshoptEncoder,
  encodeGltfBuffer: (source, count, size, mode) => MeshoptEncoder.encodeGltfBuffer(source, count, size, mode, MESHOPT_EXT_VERTEX_VERSION),
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
        'draco3d.decoder': await dracoDecoderModule(),
        'draco3d.encoder': await draco3d.createEncoderModule(),
        'meshopt.decoder': MeshoptDecoder,
        'meshopt.encoder': MeshoptEncoderEXT,
      });
  })();
  return io;
}
