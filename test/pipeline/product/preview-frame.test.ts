/**
 * The frame switch of `xoay preview` (pipeline/product/preview-frame.ts), without a browser: the page its frame shows
 * first. Only a path on the preview's own server may be framed (what the `page` query asks for); else the product
 * (one-product preview), else the catalogue. The site is a real folder with a product stamp in it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameSwitch } from '../../../pipeline/product/preview-frame.js';
import type { PreviewStatus } from '../../../pipeline/product/preview-status.js';
import { STAMP } from '../../../pipeline/product/site.js';

let site: string;
const ok =
  (products: PreviewStatus['products'] = []): (() => PreviewStatus) =>
  () => ({ state: 'ok', products, at: '2026-01-01T00:00:00.000Z' });
/** The iframe's first page in the frame switch. */
const framed = (page: string) => /<iframe name="page"[^>]* src="([^"]*)"/.exec(page)?.[1];

beforeAll(async () => {
  site = await mkdtemp(path.join(os.tmpdir(), 'xoay-frame-'));
  await mkdir(path.join(site, 'mut-gung'));
  await writeFile(path.join(site, 'mut-gung', STAMP), JSON.stringify({ product: { id: 'mut-gung', name: { vi: 'Mứt gừng' } } }));
  // Not products: no stamp, the viewer, a hidden folder.
  await mkdir(path.join(site, 'notes'));
  await mkdir(path.join(site, 'viewer'));
});

afterAll(async () => {
  await rm(site, { recursive: true, force: true });
});

describe('frameSwitch: the page the frame shows first', () => {
  it('frames a path on this server that is asked for', async () => {
    const page = frameSwitch(site, ok(), false);
    expect(framed(await page('/mut-gung/'))).toBe('/mut-gung/');
    expect(framed(await page('/mut-gung/embed.html'))).toBe('/mut-gung/embed.html');
    expect(framed(await page('/index.html'))).toBe('/index.html');
  });

  it('refuses anything else (another site, a protocol-relative or backslash path, quotes or markup): the catalogue instead', async () => {
    const page = frameSwitch(site, ok(), false);
    for (const asked of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example/',
      'javascript:alert(1)',
      'mut-gung/',
      '/mut-gung/" onload="alert(1)',
      "/mut-gung/'",
      '/<script>',
      '/a b',
      '',
    ])
      expect(framed(await page(asked)), asked).toBe('/index.html');
    expect(framed(await page(null))).toBe('/index.html');
  });

  it('one product: its page first (the build status names it, else the site has it); a path asked for still wins', async () => {
    expect(framed(await frameSwitch(site, ok([{ id: 'banh-pia', status: 'built' }]), true)(null))).toBe('/banh-pia/');
    expect(framed(await frameSwitch(site, ok(), true)(null))).toBe('/mut-gung/');
    expect(framed(await frameSwitch(site, ok(), true)('//evil.example/'))).toBe('/mut-gung/');
    expect(framed(await frameSwitch(site, ok(), true)('/index.html'))).toBe('/index.html');
  });

  it("links the site's products by their stamps' names, not folders without a stamp", async () => {
    const page = await frameSwitch(site, ok(), false)(null);
    expect(page).toContain('Mứt gừng');
    expect(page).toContain('href="/mut-gung/"');
    expect(page).not.toContain('/notes/');
  });

  it('a site folder that does not exist yet: no products, the catalogue', async () => {
    const page = await frameSwitch(path.join(site, 'missing'), ok(), true)(null);
    expect(framed(page)).toBe('/index.html');
  });
});
