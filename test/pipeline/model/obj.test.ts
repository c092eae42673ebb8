/** OBJ + MTL input: names, materials and textures carried into the compressed GLB; clear errors. */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model } from '../../../pipeline/model/model.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-obj-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CUBE = `# a box, as scanners write them
mtllib box.mtl
o Lacquer box
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 -1
vn 0 0 1
usemtl lacquer
f 1/1/1 4/4/1 3/3/1 2/2/1
f 5/1/2 6/2/2 7/3/2 8/4/2
g Label
usemtl label
f 1/1 2/2 6/3 5/4
`;
const MTL = `newmtl lacquer
Kd 0.8 0.1 0.1
Ns 50
newmtl label
Kd 1 1 1
map_Kd label.png
`;

async function objFolder(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) await writeFile(path.join(dir, f), data);
  return path.join(dir, 'box.obj');
}

/** A 64×64 gradient (not a solid colour, which glTF Transform would fold into a factor). */
const label = () => {
  const px = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) px.set([(i % 64) * 4, (i >> 6) * 4, 128], i * 3);
  return sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toBuffer();
};

describe('OBJ input', () => {
  it('keeps object, group and material names, and textures', async () => {
    const obj = await objFolder('ok', { 'box.obj': CUBE, 'box.mtl': MTL, 'label.png': await label() });
    const { report } = await model(obj, path.join(tmp, 'ok-out'));
    expect(report.after.triangles).toBe(6);
    expect(report.after.names.meshes).toEqual(['Lacquer box', 'Label']);
    expect(report.after.names.materials).toEqual(['lacquer', 'label']);
    expect(report.after.textures.map((t) => t.mimeType)).toEqual(['image/webp']);
    expect(report.validation.output.errors).toBe(0);
  });
  it('a missing .mtl, a missing texture, a bad face index: one clear error each', async () => {
    await expect(model(await objFolder('nomtl', { 'box.obj': CUBE }), path.join(tmp, 'o1'))).rejects.toThrow(
      /box\.obj: the material library "box\.mtl" it refers to \(mtllib\) is missing/,
    );
    await expect(model(await objFolder('notex', { 'box.obj': CUBE, 'box.mtl': MTL }), path.join(tmp, 'o2'))).rejects.toThrow(
      /box\.obj: the texture "label\.png" its materials refer to is missing/,
    );
    await expect(
      model(
        await objFolder('badidx', { 'box.obj': CUBE.replace('f 1/1 2/2 6/3 5/4', 'f 1 2 99'), 'box.mtl': MTL, 'label.png': await label() }),
        path.join(tmp, 'o3'),
      ),
    ).rejects.toThrow(/line \d+: vertex index 99 is out of range/);
    await expect(model(await objFolder('escape', { 'box.obj': CUBE.replace('mtllib box.mtl', 'mtllib ../box.mtl') }), path.join(tmp, 'o4'))).rejects.toThrow(
      /refuses "\.\.\/box\.mtl"/,
    );
  });
});
