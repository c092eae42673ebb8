/**
 * The frame switch of `xoay preview` (pipeline/product/preview-frame.ts), without a browser: the page its frame shows
 * first. Only a path on the preview's own server may be framed (what the `page` query asks for); else the product
 * (one-product preview), else the catalogue. The site is a real folder with product pages; one has a stamp in the
 * build state beside the cache.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameSwitch } from '../../../pipeline/product/preview-frame.js';
import type { PreviewStatus } from '../../../pipeline/product/preview-status.js';
import { FolderStorage } from '../../../pipeline/core/storage.js';
import { siteState } from '../../../pipeline/product/site.js';

let tmp: string, site: string, cache: string;
const ok =
  (products: PreviewStatus['products'] = []): (() => PreviewStatus) =>
  () => ({ state: 'ok', products, at: '2026-01-01T00:00:00.000Z' });
/** The iframe's first page in the frame switch. */
const framed = (page: string) => /<iframe name="page"[^>]* src="([^"]*)"/.exec(page)?.[1];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-frame-'));
  site = path.join(tmp, 'site');
  cache = path.join(tmp, 'cache');
  await mkdir(path.join(site, 'mut-gung'), { recursive: true });
  await writeFile(path.join(site, 'mut-gung', 'index.html'), '<!doctype html>');
  const state = siteState(new FolderStorage(cache), new FolderStorage(site));
  await state.store.writeAtomic(`${state.prefix}products/mut-gung.json`, JSON.stringify({ product: { id: 'mut-gung', name: { vi: 'Mứt gừng' } } }));
  // A product page whose stamp is not in this cache (built with another): named by its id.
  await mkdir(path.join(site, 'banh-pia'));
  await writeFile(path.join(site, 'banh-pia', 'index.html'), '<!doctype html>');
  // Not products: a folder without a page, the viewer.
  await mkdir(path.join(site, 'notes'));
  await mkdir(path.join(site, 'viewer'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('frameSwitch: the page the frame shows first', () => {
  it('frames a path on this server that is asked for', async () => {
    const page = frameSwitch(site, cache, ok(), false);
    expect(framed(await page('/mut-gung/'))).toBe('/mut-gung/');
    expect(framed(await page('/mut-gung/embed.html'))).toBe('/mut-gung/embed.html');
    expect(framed(await page('/index.html'))).toBe('/index.html');
  });

  it('refuses anything else (another site, a protocol-relative or backslash path, quotes or markup): the catalogue instead', async () => {
    const page = frameSwitch(site, cache, ok(), false);
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
    expect(framed(await frameSwitch(site, cache, ok([{ id: 'banh-pia', status: 'built' }]), true)(null))).toBe('/banh-pia/');
    expect(framed(await frameSwitch(site, cache, ok(), true)(null))).toBe('/banh-pia/');
    expect(framed(await frameSwitch(site, cache, ok(), true)('//evil.example/'))).toBe('/banh-pia/');
    expect(framed(await frameSwitch(site, cache, ok(), true)('/index.html'))).toBe('/index.html');
  });

  it("links the site's products by their stamps' names (else their ids), not folders without a page", async () => {
    const page = await frameSwitch(site, cache, ok(), false)(null);
    expect(page).toContain('<a href="/mut-gung/" target="page">Mứt gừng</a>');
    expect(page).toContain('<a href="/banh-pia/" target="page">banh-pia</a>');
    expect(page).not.toContain('/notes/');
    expect(page).not.toContain('/viewer/');
  });

  it('a site folder that does not exist yet: no products, the catalogue', async () => {
    const page = await frameSwitch(path.join(site, 'missing'), cache, ok(), true)(null);
    expect(framed(page)).toBe('/index.html');
  });
});
