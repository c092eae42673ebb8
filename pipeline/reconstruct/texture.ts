/**
 * Texture: a UV atlas for the reconstructed mesh and a base colour texture baked from the photos.
 * The atlas is our own (atlas.ts: normal-cone charts, orthographic projection, shelf packing at one
 * texel density); the bake (bake.ts) projects every texel's 3D point into the views that see it
 * (per-view depth maps), blends the best three by viewing angle, fills unseen texels from their
 * neighbours and dilates the seams.
 */
import { XoayError } from '../core/errors.js';
import { assertInteger, withDefaults } from '../core/options.js';
import { boundingBox, length, sub } from '../core/vec3.js';
import { buildAtlas } from './atlas.js';
import { type BakeView, type ViewImage, atlasTexels, bakeAtlas } from './bake.js';
import { type Camera, cameraCentre } from './cameras.js';
import type { Mesh } from './surface.js';

const STAGE = 'texture';

export interface TextureOptions {
  /** Width and height of the square atlas, in pixels (default 2048). */
  size: number;
  /** Texels left empty between charts and at the atlas border (default 4). */
  padding: number;
  /** Rounds of seam dilation: texels of colour grown past every chart's border (default 3). */
  dilate: number;
}

export const TEXTURE_DEFAULTS: TextureOptions = { size: 2048, padding: 4, dilate: 3 };

export interface TexturedMesh {
  /** x, y, z per vertex, the input mesh's world frame (vertices duplicated along chart seams). */
  positions: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside (as the input). */
  indices: Uint32Array;
  /** u, v per vertex, glTF convention: (0, 0) is the top-left of the image, v grows downwards. */
  uvs: Float32Array;
  /** The base colour texture, RGBA. */
  image: { data: Uint8Array; width: number; height: number };
  /** Seconds per step: atlas, texels, depth, visibility, colour, fill. */
  seconds: Record<string, number>;
}

/** One photo and its camera (the camera's P projects into this image's pixels). */
export interface TextureView {
  image: ViewImage;
  camera: Camera;
  /** The object's silhouette at the image's size (1 = object), optional: views showing backdrop at a texel's point count little there. */
  mask?: Uint8Array;
}

/** Exponent of cos(viewing angle) in a view's weight. */
const POWER = 4;
/** Views seen more obliquely than this (cosine) do not colour a texel. */
const MIN_COS = 0.1;
/** A point is seen when its depth is within this fraction of the mesh's bounding-box diagonal of the depth map's. */
const EPS = 0.01;
/** Pixels from the mesh's outline in a view where that view's weight is lowered. */
const EDGE_PX = 2;

/** The atlas and base colour texture of `mesh` from `views`. */
export async function texture(mesh: Mesh, views: readonly TextureView[], options?: Partial<TextureOptions>): Promise<TexturedMesh> {
  const o = withDefaults(TEXTURE_DEFAULTS, options);
  assertInteger(STAGE, 'size', o.size, 16, 16384);
  assertInteger(STAGE, 'padding', o.padding, 0, 256);
  assertInteger(STAGE, 'dilate', o.dilate, 0, 256);
  if (mesh.indices.length < 3) throw new XoayError(STAGE, 'RECONSTRUCT_FAILED', 'the mesh has no triangles');
  if (views.length === 0) throw new XoayError(STAGE, 'RECONSTRUCT_FAILED', 'no views to take colours from');
  views.forEach((v, i) => {
    const { width, height, channels, data } = v.image;
    if (!(channels === 3 || channels === 4) || data.length < width * height * channels) {
      throw new XoayError(
        STAGE,
        'RECONSTRUCT_FAILED',
        `view ${i + 1} (${v.camera.name}): expected ${width}×${height} RGB or RGBA pixels, got ${data.length} bytes with ${channels} channel(s)`,
      );
    }
  });
  const seconds: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - clock) / 1000;
    clock = now;
  };
  const layout = buildAtlas(mesh.positions, mesh.indices, o.size, o.padding);
  lap('atlas');
  const cover = atlasTexels(layout.texels, layout.indices, o.size);
  lap('texels');
  const { lo, hi } = boundingBox(mesh.positions);
  const diagonal = length(sub(hi, lo));
  const bakeViews: BakeView[] = views.map((v) => ({ image: v.image, P: v.camera.P, centre: cameraCentre(v.camera), ...(v.mask ? { mask: v.mask } : {}) }));
  const { rgba, times } = bakeAtlas(mesh.positions, mesh.indices, cover, bakeViews, o.size, o.dilate, {
    power: POWER,
    eps: EPS * diagonal,
    minCos: MIN_COS,
    edgePx: EDGE_PX,
  });
  Object.assign(seconds, times);
  clock = performance.now();
  const n = layout.xref.length;
  const P = mesh.positions;
  const positions = new Float32Array(3 * n),
    uvs = new Float32Array(2 * n);
  for (let v = 0; v < n; v++) {
    const s = 3 * layout.xref[v]!;
    positions[3 * v] = P[s]!;
    positions[3 * v + 1] = P[s + 1]!;
    positions[3 * v + 2] = P[s + 2]!;
    uvs[2 * v] = layout.texels[2 * v]! / o.size;
    uvs[2 * v + 1] = layout.texels[2 * v + 1]! / o.size;
  }
  lap('output');
  return { positions, indices: layout.indices, uvs, image: { data: rgba, width: o.size, height: o.size }, seconds };
}
