/**
 * Browser tests: the project's static server on 127.0.0.1 (a random port; only what it is given is served; every
 * request logged, so tests can assert bytes and that nothing else was asked for) and Debian's Chromium through playwright-core
 * (flags from ../shared/TOOLCHAIN.md), with desktop and phone (390×844, DPR 3, touch) contexts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../../pipeline/core/chromium.js';
import { serveStatic, type ServedRequest } from '../../pipeline/core/static-server.js';

export const CHROMIUM = DEFAULT_CHROMIUM;
export const hasChromium = existsSync(CHROMIUM);
export const chromiumReason = hasChromium ? '' : '(skipped: needs Debian chromium at /usr/bin/chromium; .ci/run installs it)';

export type { ServedRequest } from '../../pipeline/core/static-server.js';

export interface StaticServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  requests: ServedRequest[];
  /** Extra routes: URL path → body (HTML pages written by the test). */
  pages: Map<string, string | Uint8Array>;
  close(): Promise<void>;
}

/**
 * Serves `mounts` (URL prefix → folder, e.g. { '/viewer/': 'dist/viewer', '/spin/': out }) and `pages` with the
 * project's static server (pipeline/core/static-server.ts), every answer logged in `requests`. Paths that leave a
 * mount are refused; unknown paths are 404.
 */
export async function startServer(mounts: Record<string, string>): Promise<StaticServer> {
  const requests: ServedRequest[] = [];
  const s = await serveStatic({ mounts, onRequest: (r) => requests.push(r) });
  return { origin: s.origin, requests, pages: s.pages, close: s.close };
}

export interface Browser {
  desktop: BrowserContext;
  phone: BrowserContext;
  /** Every URL any page asked for that is not on 127.0.0.1 (must stay empty). */
  foreign: string[];
  close(): Promise<void>;
}

/** Chromium with a desktop (1280×800) and a phone (390×844, DPR 3, touch) context; requests off 127.0.0.1 are blocked and recorded. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const dirs: string[] = [];
  const foreign: string[] = [];
  const launch = async (opts: Parameters<typeof chromium.launchPersistentContext>[1]) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-chromium-'));
    dirs.push(dir);
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], ...opts });
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'file:' || u.hostname === '127.0.0.1') return route.continue();
      foreign.push(u.href);
      return route.abort();
    });
    return ctx;
  };
  const desktop = await launch({ viewport: { width: 1280, height: 800 } });
  const phone = await launch({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  return {
    desktop,
    phone,
    foreign,
    async close() {
      await Promise.allSettled([desktop.close(), phone.close()]);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** An HTML page that loads the built element (from /viewer/) and shows `body`. */
export function viewerPage(body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{margin:0;font:16px system-ui}xoay-viewer{width:min(100%,640px);margin:0 auto}</style>${head}
<script type="module" src="/viewer/xoay-viewer.js"></script></head><body>${body}</body></html>`;
}

/** A built viewer (in its own temporary folder), Chromium and the server: `/viewer/` plus `mounts`. */
export interface ViewerFixture {
  tmp: string;
  browser: Browser;
  server: StaticServer;
  close(): Promise<void>;
}

export async function viewerFixture(prefix: string, mounts: Record<string, string> = {}): Promise<ViewerFixture> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
  const viewer = path.join(tmp, 'viewer');
  const [, browser, server] = await Promise.all([buildViewer(viewer), launchChromium(), startServer({ '/viewer/': viewer, ...mounts })]);
  return {
    tmp,
    browser,
    server,
    async close() {
      await browser.close();
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Ends the interaction hint (a badge whose arrow nudges) with a key press, when a picture must not show it. */
export async function dismissHint(page: Page, selector: string): Promise<void> {
  await page.evaluate((sel) => document.querySelector(sel)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Shift' })), selector);
  await page.waitForFunction((sel) => !document.querySelector(sel)!.shadowRoot!.querySelector('.xoay-hint'), selector);
}

/** Open `url` and wait for the element with id `id` to fire `load` (rejects with its `error` event's message). */
export async function openViewer(page: Page, url: string, id = 'v'): Promise<void> {
  await page.goto(url);
  await page.evaluate(
    (id) =>
      new Promise<void>((resolve, reject) => {
        const v = document.getElementById(id)!;
        v.addEventListener('load', () => resolve(), { once: true });
        v.addEventListener('error', (e) => reject(new Error((e as unknown as CustomEvent).detail?.message ?? 'error')), { once: true });
      }),
    id,
  );
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Build the viewer (same config and sources as dist/viewer; `mode` as `vite build --mode`) into a test's own folder:
 * dist/ is rebuilt by any other test run on the machine, and chunk names change under a page that is loading.
 */
export async function buildViewer(outDir: string, mode?: string): Promise<void> {
  const args = [
    path.join(ROOT, 'node_modules/vite/bin/vite.js'),
    'build',
    ...(mode ? ['--mode', mode] : []),
    '--outDir',
    outDir,
    '--emptyOutDir',
    '--logLevel',
    'error',
  ];
  await promisify(execFile)(process.execPath, args, { cwd: ROOT });
}
