/** The vector helpers: the values of the loops they replaced, bit for bit (same operation order). */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../pipeline/core/random.js';
import { add, at, cross, dot, length, mulMat3, mulMat3Mat3, mulMat3T, normalize, scale, sub, triangleCross, type Vec3 } from '../../../pipeline/core/vec3.js';

const rnd = mulberry32(7);
const vec = (): Vec3 => [rnd() - 0.5, rnd() * 3, -rnd()];
const mat = () => Array.from({ length: 9 }, () => rnd() * 2 - 1);

describe('vec3', () => {
  it('add, sub, scale, dot, cross, length, normalize', () => {
    const a = vec(),
      b = vec();
    expect(add(a, b)).toEqual([a[0] + b[0], a[1] + b[1], a[2] + b[2]]);
    expect(sub(a, b)).toEqual([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
    expect(scale(a, -1)).toEqual([-a[0], -a[1], -a[2]]);
    expect(dot(a, b)).toBe(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
    const c = cross(a, b);
    expect(c).toEqual([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]);
    expect(Math.abs(dot(c, a))).toBeLessThan(1e-12);
    expect(length([3, 4, 12])).toBe(13);
    expect(normalize([0, 0, 2])).toEqual([0, 0, 1]);
    expect(normalize([0, 0, 0])).toEqual([0, 0, 0]);
  });

  it('triangleCross: (b − a) × (c − a) of a flat array', () => {
    const P = new Float32Array([...vec(), ...vec(), ...vec()]);
    expect(triangleCross(P, 0, 3, 6)).toEqual(cross(sub(at(P, 3), at(P, 0)), sub(at(P, 6), at(P, 0))));
    expect(triangleCross([0, 0, 0, 1, 0, 0, 0, 1, 0], 0, 3, 6)).toEqual([0, 0, 1]);
  });

  it('3×3 products as the loops summed them (row-major, from 0, k in order)', () => {
    const A = mat(),
      B = mat(),
      v = vec();
    const AB = new Array<number>(9).fill(0);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) AB[r * 3 + c] = AB[r * 3 + c]! + A[r * 3 + k]! * B[k * 3 + c]!;
    expect(mulMat3Mat3(A, B)).toEqual(AB);
    expect(mulMat3(A, v)).toEqual([0, 1, 2].map((r) => A[r * 3]! * v[0] + A[r * 3 + 1]! * v[1] + A[r * 3 + 2]! * v[2]));
    expect(mulMat3T(A, v)).toEqual([0, 1, 2].map((c) => A[c]! * v[0] + A[3 + c]! * v[1] + A[6 + c]! * v[2]));
    expect(at(A, 1, 3)).toEqual([A[1], A[4], A[7]]);
  });
});
