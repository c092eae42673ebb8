import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProduct, readProduct } from '../../../pipeline/product/product.js';
import { slugify } from '../../../pipeline/product/slug.js';
import { facts, makeProduct } from '../../helpers/products.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-product-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Deletes a dotted path from a copy of the facts. */
function without(field: string): Record<string, unknown> {
  const f = structuredClone(facts('che-shan-tuyet', { producer: { name: 'HTX', kind: 'co-operative', province: 'Hà Giang' } }));
  const parts = field.split('.');
  let o = f as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  delete o[parts.at(-1)!];
  return f;
}

function withValue(field: string, value: unknown): Record<string, unknown> {
  const f = structuredClone(facts('che-shan-tuyet')) as Record<string, unknown>;
  const parts = field.split('.');
  let o = f;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts.at(-1)!] = value;
  return f;
}

describe('product.json schema: errors name the file and the field', () => {
  it('accepts the minimal facts', () => {
    expect(checkProduct(facts('che-shan-tuyet'), 'product.json').id).toBe('che-shan-tuyet');
  });
  const required = ['id', 'name', 'name.vi', 'ocop', 'ocop.stars', 'ocop.year', 'category', 'producer', 'producer.name', 'producer.kind', 'producer.province'];
  for (const field of required) {
    it(`a missing ${field} is named as required`, () => {
      expect(() => checkProduct(without(field), '/x/product.json')).toThrow(
        new RegExp(`^build: /x/product\\.json: .*${field.replace('.', '\\.')}: is required but missing`),
      );
    });
  }
  const wrong: [string, unknown, RegExp][] = [
    ['id', 42, /id: expected text, got 42/],
    ['id', 'Chè Shan tuyết', /id: expected a slug .*"che-shan-tuyet".*got "Chè Shan tuyết"/],
    ['name', 'Chè', /name: expected an object/],
    ['name.vi', 7, /name\.vi: expected text, got 7/],
    ['name.vi', '', /name\.vi: expected non-empty text/],
    ['ocop.stars', 6, /ocop\.stars: expected a whole number from 3 to 5, got 6/],
    ['ocop.stars', 2, /ocop\.stars: expected a whole number from 3 to 5, got 2/],
    ['ocop.stars', 4.5, /ocop\.stars: expected a whole number from 3 to 5, got 4\.5/],
    ['ocop.stars', '4', /ocop\.stars: expected a whole number .*got "4"/],
    ['ocop.year', 'năm 2024', /ocop\.year: expected a whole number from 2018 to 2100/],
    ['category', ['a'], /category: expected text, got \["a"\]/],
    ['producer.kind', 'company', /producer\.kind: expected one of "co-operative", "enterprise", "household business", "cooperative group", got "company"/],
    ['producer.contact.email', 'not-an-email', /producer\.contact\.email: expected E-mail address in the expected form/],
    ['producer.contact.website', 'javascript:alert(1)', /producer\.contact\.website: expected Web site in the expected form/],
    ['price.amount', -5, /price\.amount: expected a number ≥ 0, got -5/],
    ['links', [{ label: 'x', url: 'javascript:alert(1)' }], /links\[0\]\.url: expected http\(s\) address in the expected form/],
    ['origin.ingredients', 'gạo', /origin\.ingredients: expected a list/],
    ['sample', 'yes', /sample: expected true or false/],
    ['colour', 'red', /colour: is not a known field/],
    ['name.en', '', /name\.en: expected non-empty text/],
    ['summary', { en: 'only English' }, /summary\.vi: is required but missing/],
    ['ocop.certificate', 123, /ocop\.certificate: expected text, got 123/],
    ['producer.district', 5, /producer\.district: expected text, got 5/],
    ['producer.commune', '', /producer\.commune: expected non-empty text/],
    ['producer.contact.phone', 'call me', /producer\.contact\.phone: expected Phone number in the expected form/],
    ['producer.contact.email', 'a@b.vn?bcc=x@y.vn', /producer\.contact\.email: expected E-mail address/],
    ['price.currency', 'vnd', /price\.currency: expected ISO 4217 code; VND when absent in the expected form/],
    ['price.unit', 5, /price\.unit: expected text, got 5/],
    ['links', [{ label: '', url: 'https://a.vn' }], /links\[0\]\.label: expected non-empty text/],
    ['origin.vùng', { nested: true }, /origin\.vùng: expected text or a number/],
  ];
  for (const [field, value, re] of wrong) {
    it(`${field} = ${JSON.stringify(value)} is refused with the field named`, () => {
      expect(() => checkProduct(withValue(field, value), 'product.json')).toThrow(re);
    });
  }
  it('refuses the reserved id "viewer" (the site keeps its viewer there)', () => {
    expect(() => checkProduct(facts('viewer'), 'product.json')).toThrow(/id: "viewer" is reserved/);
  });
  it('several problems are listed together', () => {
    expect(() => checkProduct(withValue('ocop.stars', 9), 'p.json')).toThrow(/ocop\.stars/);
    const f = withValue('ocop.stars', 9);
    delete f.category;
    expect(() => checkProduct(f, 'p.json')).toThrow(/ocop\.stars.*; category|category.*; ocop\.stars/);
  });
});

describe('reading a product folder', () => {
  it('product.yaml works like product.json', async () => {
    const dir = await makeProduct(path.join(tmp, 'yaml'), 'x', {
      frames: 2,
      yaml: 'id: mat-ong-ban-dia\nname:\n  vi: Mật ong bản địa\nocop: { stars: 3, year: 2022 }\ncategory: Thực phẩm\nproducer: { name: HTX Ong, kind: co-operative, province: Hà Giang }\n',
    });
    const p = await readProduct(dir);
    expect(p.product.name.vi).toBe('Mật ong bản địa');
    expect(p.spinDir).toBe(path.join(dir, 'spin'));
  });
  it('invalid JSON and YAML name the file and line', async () => {
    const a = await makeProduct(path.join(tmp, 'badjson'), 'x', { frames: 2, product: '{\n  "id": "a",\n  "name": "b",\n}' });
    await expect(readProduct(a)).rejects.toThrow(/product\.json: is not valid JSON at line 4/);
    const a2 = await makeProduct(path.join(tmp, 'badjson2'), 'x', { frames: 2, product: '{\n  "id": "a"\n  "name": "b"\n}' });
    await expect(readProduct(a2)).rejects.toThrow(/product\.json: is not valid JSON at line 3/);
    const b = await makeProduct(path.join(tmp, 'badyaml'), 'x', { frames: 2, yaml: 'id: a\nname: [unclosed\n' });
    await expect(readProduct(b)).rejects.toThrow(/product\.yaml: is not valid YAML at line \d/);
    const c = await makeProduct(path.join(tmp, 'dupkey'), 'x', { frames: 2, yaml: 'id: a\nid: b\n' });
    await expect(readProduct(c)).rejects.toThrow(/product\.yaml: is not valid YAML/);
  });
  it('both product.json and product.yaml, or neither, is an error; so is a folder with nothing to show', async () => {
    const both = await makeProduct(path.join(tmp, 'both'), 'both', { frames: 2 });
    await writeFile(path.join(both, 'product.yaml'), 'id: both\n');
    await expect(readProduct(both)).rejects.toThrow(/both product\.json and product\.yaml/);
    await expect(readProduct(tmp)).rejects.toThrow(/no product\.json or product\.yaml/);
    const empty = await makeProduct(path.join(tmp, 'empty'), 'empty', { frames: false });
    await expect(readProduct(empty)).rejects.toThrow(/nothing to show/);
  });
  it('a file that is not UTF-8 is refused, not garbled; a BOM is fine', async () => {
    const latin = await makeProduct(path.join(tmp, 'latin1'), 'x', { frames: 2 });
    await writeFile(path.join(latin, 'product.json'), Buffer.from(JSON.stringify(facts('x', { name: { vi: 'Chè ngon' } })), 'latin1'));
    await expect(readProduct(latin)).rejects.toThrow(/product\.json: is not valid UTF-8/);
    const bom = await makeProduct(path.join(tmp, 'bom'), 'x', { frames: 2 });
    await writeFile(path.join(bom, 'product.json'), '\uFEFF' + JSON.stringify(facts('x')));
    expect((await readProduct(bom)).product.id).toBe('x');
  });
});

describe('Vietnamese text', () => {
  it('is NFC-normalised on reading and otherwise kept exactly', async () => {
    const name = 'Chè Shan tuyết cổ thụ Hà Giang – Đặc sản “vùng cao”';
    const decomposed = name.normalize('NFD');
    expect(decomposed).not.toBe(name);
    const dir = await makeProduct(path.join(tmp, 'nfd'), 'x', {
      frames: 2,
      product: facts('che-shan-tuyet', { name: { vi: decomposed } }),
      story: 'Trà ngon nhờ sương núi.'.normalize('NFD'),
    });
    const p = await readProduct(dir);
    expect(p.product.name.vi).toBe(name);
    expect(p.story).toBe('Trà ngon nhờ sương núi.');
  });
  it('slugs drop diacritics as Vietnamese readers expect', () => {
    expect(slugify('Chè Shan tuyết')).toBe('che-shan-tuyet');
    expect(slugify('Chè Shan tuyết'.normalize('NFD'))).toBe('che-shan-tuyet');
    expect(slugify('Đặc sản Đà Lạt')).toBe('dac-san-da-lat');
    expect(slugify('Nước mắm Phú Quốc')).toBe('nuoc-mam-phu-quoc');
    expect(slugify('Bưởi Năm Roi, Vĩnh Long!')).toBe('buoi-nam-roi-vinh-long');
    expect(slugify('  Gạo ST25 — hữu cơ  ')).toBe('gao-st25-huu-co');
    expect(slugify('Ỷ Lan ở Ỳ Tỵ')).toBe('y-lan-o-y-ty');
  });
});
