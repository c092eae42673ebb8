/** The option parsers every command shares (cli/parse.ts): each names the option, what it takes and what it was given. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { absoluteDirs, formatList, int, list, num, percent, perRow, widthList } from '../../cli/parse.js';

describe('option parsers', () => {
  it('lists: comma-separated, spaces and empty items dropped', () => {
    expect(list(' 512, 1024,,2048 ')).toEqual(['512', '1024', '2048']);
  });
  it('width ladders: whole numbers 16–16384 (the range of the API check)', () => {
    expect(widthList('512,1024')).toEqual([512, 1024]);
    for (const bad of ['512,abc', '8', '512.5', '', ' , ', '16385'])
      expect(() => widthList(bad), bad).toThrow(`--widths must be integers 16–16384, got ${JSON.stringify(bad)}`);
  });
  it('formats: each one of the allowed', () => {
    expect(formatList('avif, jpeg', ['avif', 'webp', 'jpeg'] as const)).toEqual(['avif', 'jpeg']);
    expect(() => formatList('avif,gif', ['avif', 'webp', 'jpeg'] as const)).toThrow('--formats must list avif, webp, jpeg, got "avif,gif"');
    expect(() => formatList('', ['avif'] as const)).toThrow(/--formats must list avif/);
  });
  it('numbers: the range named in the message', () => {
    expect(int('--lods', 0, 6)('3')).toBe(3);
    expect(() => int('--lods', 0, 6)('7')).toThrow('--lods must be an integer 0–6, got "7"');
    expect(() => int('--triangles', 1)('0')).toThrow('--triangles must be an integer ≥ 1, got "0"');
    expect(num('--max-error', 0, 1)('0.25')).toBe(0.25);
    expect(() => num('--max-error', 0, 1)(' ')).toThrow('--max-error must be a number 0–1, got " "');
  });
  it('percentages: 0–100, as a fraction', () => {
    expect(percent('--margin')('5')).toBe(0.05);
    for (const bad of ['-1', '101', 'abc']) expect(() => percent('--margin')(bad)).toThrow(`--margin must be a percentage 0–100, got ${JSON.stringify(bad)}`);
  });
  it('per-row numbers: one, or a comma list of up to 64', () => {
    expect(perRow('--elevation', -89, 89)('10, 40')).toEqual([10, 40]);
    expect(perRow('--elevation', -89, 89)('12')).toBe(12); // one value: a number, as the API takes it
    expect(() => perRow('--elevation', -89, 89)('10,,40')).toThrow('--elevation must be a number -89–89 or a comma list of them (one per row), got "10,,40"');
    expect(() => perRow('--elevation', -89, 89)('90')).toThrow(/--elevation must be a number -89–89/);
    expect(() => perRow('--distance', 0, 1e6)(Array(65).fill('1').join(','))).toThrow('--distance takes at most 64 values, got 65');
  });
  it('folders: absolute, none when the option is absent', () => {
    expect(absoluteDirs(undefined)).toEqual([]);
    expect(absoluteDirs(['a/b', '/c'])).toEqual([path.resolve('a/b'), '/c']);
  });
});
