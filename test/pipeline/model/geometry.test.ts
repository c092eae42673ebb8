/** The meshopt geometry stage: positions stored as plain integers, streams by kind, the model's shape unchanged. */
import { Document, MathUtils, type mat4, type Node, type vec3, type vec4 } from '@gltf-transform/core';
import { EXTMeshGPUInstancing, type InstancedMesh } from '@gltf-transform/extensions';
import { describe, expect, it } from 'vitest';
import { createIO, SILENT } from '../../../pipeline/model/codecs.js';
import { countRealTriangles } from '../../../pipeline/model/degenerate.js';
import { geometry } from '../../../pipeline/model/geometry.js';

/** A bumpy grid of `n`×`n` vertices, two triangles per cell. */
function grid(doc: Document, name: string, n: number, size: number) {
  const buffer = doc.getRoot().listBuffers()[0] ?? doc.createBuffer();
  const p: number[] = [],
    idx: number[] = [];
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) p.push((x / (n - 1)) * size, (y / (n - 1)) * size, Math.sin(x * 0.7) * Math.cos(y * 0.4) * size * 0.1);
  for (let y = 0; y + 1 < n; y++)
    for (let x = 0; x + 1 < n; x++) {
      const i = y * n + x;
      idx.push(i, i + 1, i + n, i + 1, i + n + 1, i + n);
    }
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(p)).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array(idx)).setBuffer(buffer));
  return doc.createMesh(name).addPrimitive(prim);
}

const apply = (m: mat4, p: number[]): number[] => [0, 1, 2].map((r) => m[r]! * p[0]! + m[r + 4]! * p[1]! + m[r + 8]! * p[2]! + m[r + 12]!);
/** Column-major 4×4 product a·b. */
const mul = (a: mat4, b: mat4): mat4 =>
  Array.from({ length: 16 }, (_, i) => [0, 1, 2, 3].reduce((sum, k) => sum + a[k * 4 + (i % 4)]! * b[(i >> 2) * 4 + k]!, 0)) as unknown as mat4;

/** Every drawn vertex in world space, GPU instances included, per mesh name. */
function worldPositions(doc: Document): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  doc
    .getRoot()
    .getDefaultScene()!
    .traverse((node: Node) => {
      const mesh = node.getMesh();
      if (!mesh) return;
      const world = node.getWorldMatrix();
      const batch = node.getExtension<InstancedMesh>('EXT_mesh_gpu_instancing');
      const frames: mat4[] = [];
      if (!batch) frames.push(world);
      else {
        const [t, r, s] = (['TRANSLATION', 'ROTATION', 'SCALE'] as const).map((k) => batch.getAttribute(k));
        for (let i = 0; i < (t ?? r ?? s)!.getCount(); i++) {
          const local = MathUtils.compose(
            (t?.getElement(i, []) ?? [0, 0, 0]) as vec3,
            (r?.getElement(i, []) ?? [0, 0, 0, 1]) as vec4,
            (s?.getElement(i, []) ?? [1, 1, 1]) as vec3,
            [] as unknown as mat4,
          );
          frames.push(mul(world, local));
        }
      }
      const list = out.get(mesh.getName()) ?? [];
      for (const prim of mesh.listPrimitives()) {
        const pos = prim.getAttribute('POSITION')!;
        for (const frame of frames) for (let i = 0; i < pos.getCount(); i++) list.push(apply(frame, pos.getElement(i, [])));
      }
      out.set(mesh.getName(), list);
    });
  return out;
}

describe('geometry (meshopt)', () => {
  // One grid per mesh (the default, glTF Transform's): the step is each mesh's largest half-extent / 8191, times its
  // node's scale in world units. One for the whole scene (as gltfpack): the largest half-extent of all meshes (the plate's 5).
  it.each([
    ['mesh', { plate: 5 * 2, bolt: 0.25 }],
    ['scene', { plate: 5 * 2, bolt: 5 }],
  ] as const)(
    'stores quantised positions as plain integers in one stream per kind, nothing unused, and the shape stays on the 14-bit grid (%s volume)',
    async (volume, halfExtents) => {
      const doc = new Document().setLogger(SILENT);
      const scene = doc.createScene('Scene');
      doc.getRoot().setDefaultScene(scene);
      const parent = doc.createNode('Assembly').setTranslation([3, -2, 1]).setRotation([0, 0.3826834, 0, 0.9238795]);
      scene.addChild(parent);
      parent.addChild(
        doc
          .createNode('Plate')
          .setMesh(grid(doc, 'plate', 40, 10))
          .setScale([2, 2, 2]),
      );
      const instancing = doc.createExtension(EXTMeshGPUInstancing);
      const buffer = doc.getRoot().listBuffers()[0]!;
      const batch = instancing
        .createInstancedMesh()
        .setAttribute(
          'TRANSLATION',
          doc
            .createAccessor()
            .setType('VEC3')
            .setArray(new Float32Array([0, 0, 0, 5, 0, 0, 0, 5, 0]))
            .setBuffer(buffer),
        )
        .setAttribute(
          'ROTATION',
          doc
            .createAccessor()
            .setType('VEC4')
            .setArray(new Float32Array([0, 0, 0, 1, 0, 0, 0.7071068, 0.7071068, 0, 0.7071068, 0, 0.7071068]))
            .setBuffer(buffer),
        );
      parent.addChild(
        doc
          .createNode('Bolts')
          .setMesh(grid(doc, 'bolt', 12, 0.5))
          .setExtension('EXT_mesh_gpu_instancing', batch),
      );
      const before = worldPositions(doc);

      await doc.transform(...geometry('meshopt', volume));
      const io = await createIO();
      const glb = await io.writeBinary(doc);
      const back = await io.readBinary(glb);

      // Plain SHORT positions (KHR_mesh_quantization), the 1/8191 in the node or instance scale.
      for (const mesh of back.getRoot().listMeshes()) {
        const pos = mesh.listPrimitives()[0]!.getAttribute('POSITION')!;
        expect(pos.getArray()).toBeInstanceOf(Int16Array);
        expect(pos.getNormalized()).toBe(false);
        expect(Math.max(...pos.getMax([]).map(Math.abs), ...pos.getMin([]).map(Math.abs))).toBeLessThanOrEqual(8191);
      }
      // Every vertex within half a grid step per axis of where it was (as a length: at most √3/2 step).
      const after = worldPositions(back);
      for (const [name, halfExtent] of Object.entries(halfExtents)) {
        const a = before.get(name)!,
          b = after.get(name)!;
        expect(b.length).toBe(a.length);
        const step = halfExtent / 8191;
        // Vertices are reordered for compression: each one's nearest counterpart, both ways.
        const nearest = (p: number[], set: number[][]) => Math.min(...set.map((q) => Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!)));
        const worst = Math.max(...a.map((p) => nearest(p, b)), ...b.map((q) => nearest(q, a)));
        expect(worst).toBeLessThanOrEqual((Math.sqrt(3) / 2) * step * 1.001);
      }
      // One compressed buffer view for all the positions, one for all the indices.
      const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + new DataView(glb.buffer, glb.byteOffset).getUint32(12, true))));
      const views = (semantic: string) =>
        new Set(
          json.meshes.flatMap((m: { primitives: { attributes: Record<string, number>; indices: number }[] }) =>
            m.primitives.map((p) => json.accessors[semantic === 'indices' ? p.indices : p.attributes[semantic]!].bufferView),
          ),
        );
      expect(views('POSITION').size).toBe(1);
      expect(views('indices').size).toBe(1);
      // Defaults left out of the JSON (the meshopt writer spells them out): not normalised, offset 0.
      for (const a of json.accessors) {
        expect(a.normalized).not.toBe(false);
        expect(a.byteOffset).not.toBe(0);
      }
      // Nothing written that nothing uses (quantize() leaves the instance batch it replaced behind).
      const used = new Set<number>();
      for (const m of json.meshes) for (const p of m.primitives) used.add(p.indices).add(p.attributes.POSITION);
      for (const n of json.nodes) for (const a of Object.values<number>(n.extensions?.EXT_mesh_gpu_instancing?.attributes ?? {})) used.add(a);
      expect(used.size).toBe(json.accessors.length);
    },
  );
});

describe('weld after quantisation', () => {
  it('writes once the vertices that quantisation made identical (same integer position, same stored normal), every triangle kept in place', async () => {
    // A flat 12×12 grid given unwelded, as exporters often do: three vertices of its own per triangle, copies that
    // differ only far below the 14-bit grid (positions) and the 8-bit octahedral normals.
    const n = 12,
      size = 3;
    const doc = new Document().setLogger(SILENT);
    const buffer = doc.createBuffer();
    const corner = (x: number, y: number) => [(x / (n - 1)) * size, (y / (n - 1)) * size, 0];
    const p: number[] = [],
      nrm: number[] = [],
      before: number[][] = [];
    let k = 0;
    for (let y = 0; y + 1 < n; y++) {
      for (let x = 0; x + 1 < n; x++) {
        for (const [cx, cy] of [
          [x, y],
          [x + 1, y],
          [x, y + 1],
          [x + 1, y],
          [x + 1, y + 1],
          [x, y + 1],
        ] as const) {
          const c = corner(cx, cy);
          const jitter = ((k++ % 7) - 3) * 1e-7 * size; // ≤ 0.0025 grid steps
          p.push(c[0]! + jitter, c[1]!, c[2]! - jitter);
          nrm.push(jitter, -jitter, 1);
          before.push(c);
        }
      }
    }
    const prim = doc
      .createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(p)).setBuffer(buffer))
      .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(nrm)).setBuffer(buffer))
      .setIndices(
        doc
          .createAccessor()
          .setType('SCALAR')
          .setArray(new Uint16Array(before.map((_, i) => i)))
          .setBuffer(buffer),
      );
    const scene = doc.createScene('Scene');
    doc.getRoot().setDefaultScene(scene);
    scene.addChild(doc.createNode('Sheet').setMesh(doc.createMesh('sheet').addPrimitive(prim)));

    await doc.transform(...geometry('meshopt'));
    const io = await createIO();
    const back = await io.readBinary(await io.writeBinary(doc));
    const out = back.getRoot().listMeshes()[0]!.listPrimitives()[0]!;
    const pos = out.getAttribute('POSITION')!,
      normal = out.getAttribute('NORMAL')!,
      idx = out.getIndices()!;

    // One vertex per grid point: no two written vertices alike.
    expect(pos.getCount()).toBe(n * n);
    const rows = new Set<string>();
    for (let i = 0; i < pos.getCount(); i++) rows.add(`${pos.getElement(i, [])}|${normal.getElement(i, [])}`);
    expect(rows.size).toBe(pos.getCount());
    // Every triangle still there, its corners where they were (within half a 14-bit step per axis).
    expect(idx.getCount()).toBe(before.length);
    const world = back.getRoot().listNodes()[0]!.getWorldMatrix();
    const step = size / 2 / 8191,
      spacing = size / (n - 1);
    /** The grid point a written corner stands for (its lattice coordinates), checked to be within half a step of it. */
    const point = (v: number[]) =>
      v
        .map((c) => {
          const q = Math.round(c / spacing);
          expect(Math.abs(c - q * spacing)).toBeLessThanOrEqual((step / 2) * 1.001);
          return q;
        })
        .join(',');
    const corners = new Set<string>(),
      expected = new Set<string>();
    for (let t = 0; t < idx.getCount(); t += 3) {
      corners.add(
        [0, 1, 2]
          .map((j) => point(apply(world, pos.getElement(idx.getScalar(t + j), []))))
          .sort()
          .join(' '),
      );
    }
    for (let t = 0; t < before.length; t += 3)
      expected.add(
        before
          .slice(t, t + 3)
          .map(point)
          .sort()
          .join(' '),
      );
    expect(corners.size).toBe(before.length / 3);
    expect(corners).toEqual(expected);
  });

  it('drops the triangles that the grid leaves without area (corners on one grid point, or in a line), and only those', async () => {
    // A 2 × 2 quad and three slivers along its bottom edge whose apex is a thousandth of a grid step off the edge:
    // a real (tiny) area in floats, none on the 14-bit grid, where the apex lands on the edge or on a corner.
    const doc = new Document().setLogger(SILENT);
    const buffer = doc.createBuffer();
    const step = 1 / 8191; // the grid step: the largest half-extent (1) / 8191
    const p = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0, 0, -1 + step / 1000, 0, -1 + step / 1000, -1 + step / 1000, 0, 0.5, -1, step / 1000];
    const idx = [0, 1, 2, 0, 2, 3, 0, 1, 4, 0, 5, 1, 0, 1, 6];
    const prim = doc
      .createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(p)).setBuffer(buffer))
      .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array(idx)).setBuffer(buffer));
    const scene = doc.createScene('Scene');
    doc.getRoot().setDefaultScene(scene);
    scene.addChild(doc.createNode('Quad').setMesh(doc.createMesh('quad').addPrimitive(prim)));
    expect(countRealTriangles(doc)).toBe(5);

    await doc.transform(...geometry('meshopt'));
    const io = await createIO();
    const back = await io.readBinary(await io.writeBinary(doc));
    const out = back.getRoot().listMeshes()[0]!.listPrimitives()[0]!;
    // The quad's two triangles, nothing else; every one written has an area.
    expect(out.getIndices()!.getCount()).toBe(6);
    expect(countRealTriangles(back)).toBe(2);
    const world = back.getRoot().listNodes()[0]!.getWorldMatrix();
    const pos = out.getAttribute('POSITION')!;
    const corners = new Set<string>();
    for (let i = 0; i < pos.getCount(); i++)
      corners.add(
        apply(world, pos.getElement(i, []))
          .map((c) => Math.round(c))
          .join(','),
      );
    expect(corners).toEqual(new Set(['-1,-1,0', '1,-1,0', '1,1,0', '-1,1,0']));
  });
});
