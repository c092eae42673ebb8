/**
 * `xoay preview` (pipeline/product/preview.ts): a small product folder (12 frames of the sample turntable, 256 px JPEG
 * spin) previewed in the Vite dev server. The page and the frame switch are served; path traversal in every spelling
 * (raw requests, so nothing normalises `..` on the way) is 404; the server is on 127.0.0.1 only unless told otherwise
 * (and then warns); editing product.json rebuilds and a real Chromium on the page reloads by itself; a broken edit
 * keeps the last good page served and reports the error.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEYOND_LOOPBACK_WARNING, type Preview, type PreviewEvent, preview } from '../../../pipeline/product/preview.js';
import { type Browser, chromiumReason, hasChromium, launchChromium } from '../../helpers/browser.js';
import { ROOT } from '../../helpers/data.js';

const ID = 'ghe-thu-xem';
const FIRST_NAME = 'Ghế thử xem trước';
const SHOOT = path.join(ROOT, 'samples/stool-turntable');

let tmp = '';
let prod = '';
let p: Preview;
const events: PreviewEvent[] = [];
/** The name of the last good build. */
let goodName = FIRST_NAME;

const productJson = (name: string) =>
  JSON.stringify(
    {
      id: ID,
      name: { vi: name },
      ocop: { stars: 4, year: 2024 },
      category: 'Thủ công mỹ nghệ',
      producer: { name: 'Hợp tác xã Thử', kind: 'co-operative', province: 'Bắc Ninh' },
    },
    null,
    2,
  );

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-preview-test-'));
  prod = path.join(tmp, 'prod');
  await mkdir(path.join(prod, 'spin'), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const n = String(1 + i * 3).padStart(3, '0');
    await copyFile(path.join(SHOOT, `stool_${n}.jpg`), path.join(prod, 'spin', `stool_${n}.jpg`));
  }
  await writeFile(path.join(prod, 'product.json'), productJson(FIRST_NAME));
  p = await preview(
    prod,
    { port: 0, cache: path.join(tmp, 'cache'), debounce: 200, build: { spin: { widths: [256], formats: ['jpeg'] } } },
    { onEvent: (e) => events.push(e) },
  );
});

afterAll(async () => {
  if (p) {
    const site = p.site;
    await p.close();
    expect(existsSync(site)).toBe(false);
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw GET: the path goes on the wire exactly as given (fetch and URL would normalise `..` and `%2e`). */
function get(target: string, headers: Record<string, string> = {}): Promise<Reply> {
  const { port } = p.server.httpServer!.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const [line = '', ...fields] = head.split('\r\n');
      const h: http.IncomingHttpHeaders = {};
      for (const f of fields) {
        const i = f.indexOf(':');
        h[f.slice(0, i).toLowerCase()] = f.slice(i + 1).trim();
      }
      resolve({ status: Number(line.split(' ')[1]), headers: h, body: Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8') });
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\n${extra}Connection: close\r\n\r\n`, 'latin1');
  });
}

/** Resolves when an event matching `test` arrives after `from` (an index into `events`). */
async function waitForEvent<T extends PreviewEvent['type']>(type: T, from: number, timeout = 30_000): Promise<Extract<PreviewEvent, { type: T }>> {
  const until = Date.now() + timeout;
  for (;;) {
    const e = events.slice(from).find((x) => x.type === type);
    if (e) return e as Extract<PreviewEvent, { type: T }>;
    if (Date.now() > until) throw new Error(`no "${type}" event within ${timeout} ms; events: ${JSON.stringify(events.slice(from).map((x) => x.type))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The machine's first non-loopback IPv4 address, if it has one. */
function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

function connects(host: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 3000 });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('timeout', () => {
      sock.destroy();
      resolve('ETIMEDOUT');
    });
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('xoay preview', () => {
  it('builds the product into a temporary site and serves its page, the catalogue and the frame switch', async () => {
    expect(p.mode).toBe('product');
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(p.status()).toMatchObject({ state: 'ok', products: [{ id: ID, status: 'built' }] });
    expect(existsSync(path.join(p.site, ID, 'index.html'))).toBe(true);

    const page = await get(`/${ID}/index.html`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(`<h1>${FIRST_NAME}</h1>`);
    // Vite's client is injected (it reloads the page); the viewer is the site's own copy; the base URL is the server.
    expect(page.body).toContain('<script type="module" src="/@vite/client"></script>');
    expect(page.body).toContain('src="../viewer/xoay-viewer.js"');
    expect(page.body).toContain(`${p.url}${ID}/`);
    expect((await get(`/${ID}/`)).body).toContain(`<h1>${FIRST_NAME}</h1>`);
    expect((await get(`/${ID}`)).headers.location).toBe(`/${ID}/`);

    // The prebuilt viewer is served byte for byte (Vite would rewrite its imports and decoder URLs).
    const viewer = await get('/viewer/xoay-viewer.js');
    expect(viewer.status).toBe(200);
    expect(viewer.headers['content-type']).toMatch(/^text\/javascript/);
    expect(viewer.body).toBe(await readFile(path.join(ROOT, 'dist/viewer/xoay-viewer.js'), 'utf8'));
    expect((await get(`/${ID}/spin/spin.json`)).status).toBe(200);
    expect((await get('/@vite/client')).status).toBe(200);

    const frames = await get('/__xoay/preview');
    expect(frames.status).toBe(200);
    for (const size of ['Phone', 'Tablet', 'Desktop', '390', '844', '820', '1180', '1366', '800']) expect(frames.body).toContain(size);
    expect(frames.body).toContain(`<iframe name="page" title="The page as published" src="/${ID}/"`);
    expect(frames.body).toContain('href="/index.html"');
    // A browser's visit to / lands on the frame switch; inside the frame, / is the catalogue.
    expect((await get('/', { 'Sec-Fetch-Dest': 'document' })).headers.location).toBe('/__xoay/preview');
    const catalogue = await get('/', { 'Sec-Fetch-Dest': 'iframe' });
    expect(catalogue.status).toBe(200);
    expect(catalogue.body).toContain(FIRST_NAME);
  });

  it('answers 404 to anything outside the site folder, however it is spelt', async () => {
    const viteClient = path.dirname(createRequire(import.meta.url).resolve('vite/dist/client/client.mjs'));
    // A symbolic link inside the site leading out of it, and a file beside the site.
    await writeFile(path.join(tmp, 'secret.txt'), 'secret');
    await symlink(tmp, path.join(p.site, 'escape'));
    await symlink(path.join(tmp, 'secret.txt'), path.join(p.site, ID, 'secret.txt'));
    try {
      const attempts = [
        '/../../etc/passwd',
        '/../../../../../../../../etc/passwd',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
        '/..%2f..%2fetc/passwd',
        '/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
        '/%252e%252e/%252e%252e/etc/passwd',
        '/..\\..\\etc\\passwd',
        '/%5c..%5c..%5cetc%5cpasswd',
        '/etc/passwd%00.html',
        `/${ID}/../../../package.json`,
        `/${ID}/%2e%2e/%2e%2e/%2e%2e/package.json`,
        `/${ID}/..%2f..%2f..%2fpackage.json`,
        '/@fs/etc/passwd',
        `/@fs${ROOT}/package.json`,
        `/@fs${ROOT}/package.json?import&raw`,
        `/@fs${ROOT}/package.json?raw`,
        `/@fs${p.site}/index.html`,
        `/@fs${viteClient}/client.mjs?raw`,
        '/@fs/etc/passwd?import&raw',
        '/@fs/etc/passwd?raw',
        '/etc/passwd?raw',
        '/etc/passwd?import',
        '/etc/passwd?import&raw',
        `${ROOT}/package.json?raw`,
        '/package.json?raw',
        '/@id/__x00__/etc/passwd',
        '/@id/etc/passwd?raw',
        '/@vite/client?raw',
        '/@vite/env?import&raw',
        '/node_modules/vite/package.json',
        '/__open-in-editor?file=/etc/passwd',
        '/.xoay-site.json',
        `/${ID}/.xoay-product.json`,
        '/escape/secret.txt',
        '/escape/prod/product.json',
        `/${ID}/secret.txt`,
        'http://127.0.0.1/etc/passwd',
      ];
      for (const target of attempts) {
        const r = await get(target);
        expect({ target, status: r.status }).toEqual({ target, status: 404 });
        expect(r.body).not.toMatch(/root:|secret|"name": "xoay"|Ghế|import\s/);
      }
      // Control: the same mechanism serves what is in the site.
      expect((await get(`/${ID}/qr.svg`)).status).toBe(200);
    } finally {
      await unlink(path.join(p.site, 'escape'));
      await unlink(path.join(p.site, ID, 'secret.txt'));
    }
  });

  it('listens on 127.0.0.1 only, unless a host is given (and then warns)', async () => {
    const address = p.server.httpServer!.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    const lan = lanAddress();
    if (lan) expect(await connects(lan, address.port)).toBe('ECONNREFUSED');

    // A port in use is an error naming the option, not a silent move to another port.
    await expect(preview(p.site, { port: address.port })).rejects.toThrow(/^preview: .*--port/);

    // Serving the built site as it is, on every interface: a warning, and reachable from the network address.
    const seen: PreviewEvent[] = [];
    const open = await preview(p.site, { port: 0, host: '0.0.0.0' }, { onEvent: (e) => seen.push(e) });
    try {
      expect(open.mode).toBe('site');
      const a = open.server.httpServer!.address() as AddressInfo;
      expect(a.address).toBe('0.0.0.0');
      expect(seen).toContainEqual({ type: 'warning', message: expect.stringContaining(BEYOND_LOOPBACK_WARNING) });
      if (lan) expect(await connects(lan, a.port)).toBe(true);
    } finally {
      await open.close();
    }
    // The site given was served, not removed.
    expect(existsSync(path.join(p.site, ID, 'index.html'))).toBe(true);
  });

  describe('in a browser', () => {
    let browser: Browser | undefined;
    let page: Page;

    beforeAll(async () => {
      if (!hasChromium) return;
      browser = await launchChromium();
      page = await browser.desktop.newPage();
      // Every frame records when its <xoay-viewer> has loaded (the event does not bubble: caught on the way down).
      await page.addInitScript(() => {
        document.addEventListener(
          'load',
          (e) => {
            if ((e.target as Element).tagName === 'XOAY-VIEWER') (window as unknown as { viewerLoaded: boolean }).viewerLoaded = true;
          },
          true,
        );
      });
    });

    afterAll(async () => {
      await browser?.close();
    });

    const inFrame = <T>(fn: () => T): Promise<T | undefined> =>
      (page.frame({ name: 'page' })?.evaluate(fn) ?? Promise.resolve(undefined)).catch(() => undefined) as Promise<T | undefined>;
    const heading = () => inFrame(() => document.querySelector('h1')?.textContent ?? '');

    it.skipIf(!hasChromium)(
      `shows the page in phone, tablet and desktop frames; an edit to product.json rebuilds and the page reloads by itself ${chromiumReason}`,
      async () => {
        await page.goto(p.url);
        expect(new URL(page.url()).pathname).toBe('/__xoay/preview');
        await expect.poll(heading, { timeout: 20_000 }).toBe(FIRST_NAME);
        // The viewer runs from the dev server (its spin loaded and drawing).
        await expect.poll(() => inFrame(() => (window as unknown as { viewerLoaded?: boolean }).viewerLoaded === true), { timeout: 20_000 }).toBe(true);
        expect(await inFrame(() => document.querySelector('xoay-viewer')?.shadowRoot?.querySelector('canvas')?.width ?? 0)).toBeGreaterThan(0);

        // The frame switch: buttons (and keys 1–3) size the iframe; the page lays out at that width.
        const frameSize = () => page.evaluate(() => [document.querySelector('iframe')!.width, document.querySelector('iframe')!.height].join('×'));
        expect(await frameSize()).toBe('390×844');
        expect(await inFrame(() => innerWidth)).toBe(390);
        await page.getByRole('button', { name: /Tablet/ }).click();
        expect(await frameSize()).toBe('820×1180');
        expect(await page.getByRole('button', { name: /Tablet/ }).getAttribute('aria-pressed')).toBe('true');
        await page.getByRole('button', { name: /Phone/ }).focus();
        await page.keyboard.press('3');
        expect(await frameSize()).toBe('1366×800');
        await expect.poll(() => inFrame(() => innerWidth)).toBe(1366);
        await page.getByRole('button', { name: /Phone/ }).focus();
        await page.keyboard.press('Enter');
        expect(await frameSize()).toBe('390×844');

        // Edit the name: the build re-runs (the spin comes from the cache) and the page reloads itself.
        await inFrame(() => ((window as unknown as { before: boolean }).before = true));
        const from = events.length;
        goodName = 'Ghế đã sửa tên';
        await writeFile(path.join(prod, 'product.json'), productJson(goodName));
        await expect.poll(heading, { timeout: 20_000 }).toBe(goodName);
        expect(await inFrame(() => (window as unknown as { before?: boolean }).before)).toBeUndefined();
        const built = await waitForEvent('built', from);
        expect(built).toMatchObject({ built: 1, failed: 0, reloaded: true });
        expect(events.slice(from)).toContainEqual({ type: 'build', event: expect.objectContaining({ type: 'product', stage: 'spin', cached: true }) });
        expect(browser!.foreign).toEqual([]);
      },
    );

    it(`keeps serving the last good page when an edit breaks product.json, and says what is wrong ${hasChromium ? '' : chromiumReason}`, async () => {
      const from = events.length;
      await writeFile(path.join(prod, 'product.json'), '{ "id": "ghe-thu-xem", "name": { "vi": "Ghế hỏng" ');
      const error = await waitForEvent('error', from);
      expect(error.message).toMatch(/product\.json/);
      expect(p.status()).toMatchObject({ state: 'error', message: expect.stringContaining('product.json') });

      const served = await get(`/${ID}/`);
      expect(served.status).toBe(200);
      expect(served.body).toContain(`<h1>${goodName}</h1>`);
      expect(served.body).not.toContain('Ghế hỏng');
      expect(served.body).toMatch(/<div role="alert" data-xoay-preview-error[^>]*>xoay preview: the last build failed[^<]*product\.json/);

      if (browser) {
        // Vite's error overlay over the page, the frame switch's status line, and the page still the last good one.
        await expect
          .poll(() => inFrame(() => document.querySelector('vite-error-overlay')?.shadowRoot?.textContent ?? ''), { timeout: 20_000 })
          .toContain('product.json');
        await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toContain('Build failed');
        expect(await heading()).toBe(goodName);
      }

      // Fixed again: the error goes, and the pages reload without the banner.
      const fixed = events.length;
      await writeFile(path.join(prod, 'product.json'), productJson(goodName));
      expect(await waitForEvent('built', fixed)).toMatchObject({ failed: 0, reloaded: true });
      expect(p.status().state).toBe('ok');
      expect((await get(`/${ID}/`)).body).not.toContain('data-xoay-preview-error');
      if (browser) {
        await expect
          .poll(() => inFrame(() => document.querySelector('vite-error-overlay') === null && document.querySelector('[data-xoay-preview-error]') === null), {
            timeout: 20_000,
          })
          .toBe(true);
        await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toContain('Up to date');
      }
    });
  });
});
