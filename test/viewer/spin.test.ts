/**
 * `<xoay-viewer>` spin mode in headless Chromium (Debian's, through playwright-core), desktop and phone emulation:
 * draggable after `load`, drags turn it, vertical swipes scroll the page, keyboard, reduced motion, memory released,
 * bad manifests shown as a message, nothing fetched from any host but 127.0.0.1.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spin } from '../../pipeline/spin/spin.js';
import { ROOT } from '../helpers/data.js';
import { chromiumReason, hasChromium, launchChromium, startServer, viewerPage, type Browser, type StaticServer } from '../helpers/browser.js';

let tmp: string;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-viewer-'));
  // The committed CC0 sample, two widths, every format.
  await spin(path.join(ROOT, 'samples/stool-turntable'), path.join(tmp, 'spin'), { widths: [256, 512] });
  // Two rows of 18 (the same frames split in two: enough to test row changes).
  await spin(path.join(ROOT, 'samples/stool-turntable'), path.join(tmp, 'rows'), { widths: [256], formats: ['jpeg'], rows: 2 });
  // Bad manifests.
  const bad = path.join(tmp, 'bad');
  await mkdir(bad, { recursive: true });
  const good = JSON.parse(await readFile(path.join(tmp, 'spin/spin.json'), 'utf8'));
  await cp(path.join(tmp, 'spin/row-1'), path.join(bad, 'row-1'), { recursive: true });
  await writeFile(path.join(bad, 'malformed.json'), '{"version": 1, "rows": [');
  await writeFile(
    path.join(bad, 'js-url.json'),
    JSON.stringify({ ...good, poster: 'javascript:alert(1)', posterSources: { jpeg: 'javascript:window.__pwned=1' } }),
  );
  await writeFile(
    path.join(bad, 'data-html.json'),
    JSON.stringify({
      ...good,
      rows: [{ ...good.rows[0], sprite: { ...good.rows[0].sprite, sources: { jpeg: 'data:text/html,<script>window.__pwned=1</script>' } } }],
    }),
  );
  await writeFile(
    path.join(bad, 'html-name.json'),
    JSON.stringify({
      ...good,
      poster: 'row-1/512/missing.jpg',
      posterSources: {},
      rows: [{ ...good.rows[0], name: '<img src=x onerror="window.__pwned=1">' }],
    }),
  );
  const missing = structuredClone(good);
  missing.rows[0].frames[0].src['512'] = { jpeg: 'row-1/512/404.jpg' };
  missing.rows[0].frames[0].src['256'] = { jpeg: 'row-1/256/404.jpg' };
  await writeFile(path.join(bad, 'missing-frame.json'), JSON.stringify(missing));
  server = await startServer({ '/viewer/': path.join(ROOT, 'dist/viewer'), '/spin/': path.join(tmp, 'spin'), '/rows/': path.join(tmp, 'rows'), '/bad/': bad });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Records the viewers' load/error events from the very start (capture phase sees the non-bubbling ones too). */
const RECORD = () => {
  const w = window as unknown as { seen?: string[] };
  if (w.seen) return;
  w.seen = [];
  for (const type of ['load', 'error'])
    document.addEventListener(type, (e) => e instanceof CustomEvent && w.seen!.push(type === 'load' ? 'load' : `error: ${e.detail?.message ?? ''}`), true);
};
const recording = new WeakSet<Page>();

/** Opens a page with one viewer and waits for its first `load` or `error` (events before this call are not missed). */
async function open(page: Page, attrs: string, extra = ''): Promise<string> {
  if (!recording.has(page)) {
    await page.addInitScript(RECORD);
    recording.add(page);
  }
  server.pages.set('/t.html', viewerPage(`<h1>Product</h1><xoay-viewer ${attrs}></xoay-viewer>${extra}<div style="height:3000px"></div>`));
  await page.goto(`${server.origin}/t.html`);
  await page.waitForFunction(() => ((window as unknown as { seen: string[] }).seen ?? []).length > 0, undefined, { timeout: 30_000 });
  return page.evaluate(() => (window as unknown as { seen: string[] }).seen[0]!);
}

const frameOf = (page: Page) => page.evaluate(() => document.querySelector('xoay-viewer')!.frame);

describe.skipIf(!hasChromium)(`<xoay-viewer> spin in Chromium ${chromiumReason}`, () => {
  it('desktop: draggable after load (sprite only, before the frames), a horizontal drag turns it, keys step it', async () => {
    const page = await browser.desktop.newPage();
    const before = server.requests.length;
    expect(await open(page, 'src="/spin/spin.json" alt="Painted wooden stool" loading="eager"')).toBe('load');
    // Interactive after the manifest, the poster and one sprite: no full frame was needed.
    const firstRequests = server.requests.slice(before).map((r) => r.url);
    expect(firstRequests.some((u) => /sprite\.(avif|webp|jpg)$/.test(u))).toBe(true);
    const box = (await page.locator('xoay-viewer').boundingBox())!;
    expect(await frameOf(page)).toBe(0);
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    const after = await frameOf(page);
    // A drag across 30 % of the width turns about 30 % of the 36 frames (inertia may add a little).
    expect(after).toBeGreaterThanOrEqual(9);
    expect(after).toBeLessThan(36);
    // Keyboard: focus, → steps one frame, Home goes to 0, End to the last.
    await page.locator('xoay-viewer').focus();
    await page.evaluate(() => (document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
    // Let inertia settle: the frame stops changing.
    let f0 = -1;
    await expect
      .poll(
        async () => {
          const f = await frameOf(page);
          const same = f === f0;
          f0 = f;
          return same;
        },
        { interval: 300, timeout: 5000 },
      )
      .toBe(true);
    await page.keyboard.press('ArrowRight');
    expect(await frameOf(page)).toBe((f0 + 1) % 36);
    await page.keyboard.press('Home');
    expect(await frameOf(page)).toBe(0);
    await page.keyboard.press('End');
    expect(await frameOf(page)).toBe(35);
    // Screen readers: a slider labelled with alt, whose value is the angle.
    const aria = () =>
      page.evaluate(() => {
        const s = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-spin')!;
        return { role: s.getAttribute('role'), label: s.getAttribute('aria-label'), now: s.getAttribute('aria-valuenow') };
      });
    await expect.poll(aria, { timeout: 5000 }).toEqual({ role: 'slider', label: 'Painted wooden stool', now: '350' });
    // Full frames load after: in spread-out order from the current angle, at a width that fits.
    await page.waitForFunction(() => (document.querySelector('xoay-viewer')!.viewer as { stats(): { bytesLoaded: number } }).stats().bytesLoaded > 0);
    expect(browser.foreign).toEqual([]);
    await page.close();
  });

  it('phone: a horizontal swipe turns it, a vertical swipe scrolls the page and leaves the frame alone, a pinch zooms the spin (not the page)', async () => {
    const page = await browser.phone.newPage();
    expect(await open(page, 'src="/spin/spin.json" alt="Stool" loading="eager"')).toBe('load');
    const box = (await page.locator('xoay-viewer').boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const touch = async (points: [number, number][]) => {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: points[0]![0], y: points[0]![1] }] });
      for (const [x, y] of points.slice(1)) {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
        await page.waitForTimeout(16);
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    const cx = box.x + box.width / 2,
      cy = box.y + box.height / 2;
    const line = (x0: number, y0: number, x1: number, y1: number, n = 12) =>
      Array.from({ length: n + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n] as [number, number]);
    // Vertical swipe up: the page scrolls, the frame does not change.
    expect(await page.evaluate(() => scrollY)).toBe(0);
    await touch(line(cx, cy + 100, cx, cy - 150));
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => scrollY)).toBeGreaterThan(50);
    expect(await frameOf(page)).toBe(0);
    // Horizontal swipe: the frame changes.
    await page.evaluate(() => scrollTo(0, 0));
    await page.waitForTimeout(200);
    const box2 = (await page.locator('xoay-viewer').boundingBox())!;
    const y2 = box2.y + box2.height / 2;
    await touch(line(box2.x + 60, y2, box2.x + 260, y2));
    await page.waitForTimeout(300);
    expect(await frameOf(page)).not.toBe(0);
    // High-DPI: the canvas backing store is CSS size × 3.
    const dims = await page.evaluate(() => {
      const c = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('canvas:last-of-type') as HTMLCanvasElement;
      return { w: c.width, css: c.getBoundingClientRect().width };
    });
    expect(dims.w).toBe(Math.round(dims.css * 3));
    // Pinch: two fingers moving apart zoom in (the page itself does not zoom: the element takes the gesture).
    const box3 = (await page.locator('xoay-viewer').boundingBox())!;
    const px = box3.x + box3.width / 2,
      py = box3.y + box3.height / 2;
    const fingers = (d: number) => [
      { x: px - d, y: py, id: 1 },
      { x: px + d, y: py, id: 2 },
    ];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(20) });
    for (let d = 30; d <= 120; d += 10) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(d) });
      await page.waitForTimeout(16);
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect
      .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer')!.viewer as { zoom: number }).zoom), { timeout: 5000 })
      .toBeGreaterThan(1.5);
    expect(await page.evaluate(() => visualViewport!.scale)).toBe(1);
    // Pinch back out to the whole view, lift one finger, and drag on with the other without lifting it: it turns.
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(120) });
    for (let d = 110; d >= 10; d -= 10) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(d) });
      await page.waitForTimeout(16);
    }
    await expect.poll(() => page.evaluate(() => (document.querySelector('xoay-viewer')!.viewer as { zoom: number }).zoom), { timeout: 5000 }).toBe(1);
    const before = await frameOf(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [fingers(10)[1]!] }); // finger 2 lifted (Chromium releases the points a touchEnd names)
    for (let x = px - 10; x <= px + 150; x += 16) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: py, id: 1 }] });
      await page.waitForTimeout(16);
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForTimeout(300);
    expect(await frameOf(page)).not.toBe(before);
    await page.close();
  });

  it('autoplay turns it, but not under prefers-reduced-motion; an interaction stops it', async () => {
    const page = await browser.desktop.newPage();
    expect(await open(page, 'src="/spin/spin.json" autoplay loading="eager"')).toBe('load');
    await page.waitForFunction(() => document.querySelector('xoay-viewer')!.frame > 2);
    await page.mouse.click(10, 10); // not on the viewer: it keeps turning
    await page.locator('xoay-viewer').click();
    const stopped = await frameOf(page);
    await page.waitForTimeout(600);
    expect(Math.abs((await frameOf(page)) - stopped)).toBeLessThanOrEqual(1);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await open(page, 'src="/spin/spin.json" autoplay loading="eager"')).toBe('load');
    await page.waitForTimeout(800);
    expect(await frameOf(page)).toBe(0);
    await page.close();
  });

  it('keeps only a window of decoded frames (the core, with a small memory budget), frees them when removed; several viewers on one page', async () => {
    const page = await browser.desktop.newPage();
    server.pages.set(
      '/core.html',
      viewerPage(`<div id="a" style="width:512px;height:512px"></div><xoay-viewer id="b" src="/spin/spin.json" loading="eager"></xoay-viewer><xoay-viewer id="c" src="/spin/spin.json" loading="eager"></xoay-viewer>
<script type="module">import { createSpinViewer } from '/viewer/xoay-viewer.js'; window.core = createSpinViewer(document.getElementById('a'), { src: '/spin/spin.json', memoryBytes: 4 * 1024 * 1024 });</script>`),
    );
    await page.goto(`${server.origin}/core.html`);
    await page.waitForFunction(() => (window as unknown as { core?: { frames: number } }).core?.frames === 36);
    await page.evaluate(() => (window as unknown as { core: { ready: Promise<void> } }).core.ready);
    // Turn through a whole turn: the decoded window never holds more than 2·radius + 1 frames (radius 2 for 4 MiB).
    const seen = await page.evaluate(async () => {
      const core = (window as unknown as { core: { setFrame(f: number): void; stats(): { decodedFrames: number; windowRadius: number } } }).core;
      let most = 0;
      for (let f = 0; f < 36; f++) {
        core.setFrame(f);
        // Give the window time to decode (a loaded machine is slow), then count.
        for (let t = 0; t < 40 && core.stats().decodedFrames < 3; t++) await new Promise((r) => setTimeout(r, 50));
        most = Math.max(most, core.stats().decodedFrames);
      }
      return { most, radius: core.stats().windowRadius };
    });
    expect(seen.radius).toBe(2);
    expect(seen.most).toBeGreaterThan(0);
    expect(seen.most).toBeLessThanOrEqual(5);
    // Off screen: every decoded frame is released; back on screen: the window is decoded again.
    const decoded = () => page.evaluate(() => (window as unknown as { core: { stats(): { decodedFrames: number } } }).core.stats().decodedFrames);
    await page.evaluate(() => scrollTo(0, 10_000));
    await expect.poll(decoded, { timeout: 10_000 }).toBe(0);
    await page.evaluate(() => scrollTo(0, 0));
    await expect.poll(decoded, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.waitForFunction(() => [...document.querySelectorAll('xoay-viewer')].every((v) => v.frames === 36));
    const frames = await page.evaluate(() => {
      const b = document.getElementById('b') as HTMLElementTagNameMap['xoay-viewer'];
      b.frame = 7;
      return [b.frame, (document.getElementById('c') as HTMLElementTagNameMap['xoay-viewer']).frame];
    });
    expect(frames).toEqual([7, 0]);
    const released = await page.evaluate(() => {
      const b = document.getElementById('b') as HTMLElementTagNameMap['xoay-viewer'];
      const core = b.viewer as { stats(): { decodedFrames: number } };
      b.remove();
      return { viewer: b.viewer, decoded: core.stats().decodedFrames, left: b.shadowRoot!.querySelectorAll('canvas').length };
    });
    expect(released).toEqual({ viewer: null, decoded: 0, left: 0 });
    await page.close();
  });

  it('zoom: double-click zooms in and loads the largest width for the current frame only; Escape and double-click leave', async () => {
    const page = await browser.desktop.newPage();
    expect(await open(page, 'src="/spin/spin.json" loading="eager" style="width:300px"')).toBe('load');
    await page.waitForTimeout(500);
    const before = server.requests.length;
    const box = (await page.locator('xoay-viewer').boundingBox())!;
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await expect
      .poll(() => page.evaluate(() => (document.querySelector('xoay-viewer')!.viewer as { zoom: number }).zoom), { timeout: 10_000 })
      .toBeGreaterThan(2);
    // The 512-px rendition of frame 1 only (the element shows 256 px otherwise).
    await expect
      .poll(
        () =>
          server.requests
            .slice(before)
            .map((r) => r.url)
            .filter((u) => u.includes('/512/')),
        { timeout: 10_000 },
      )
      .toHaveLength(1);
    expect(
      server.requests
        .slice(before)
        .map((r) => r.url)
        .filter((u) => u.includes('/512/'))[0],
    ).toMatch(/\/512\/0*1\.(avif|webp|jpg)$/);
    // Dragging while zoomed pans; the frame stays.
    await page.mouse.move(box.x + 200, box.y + 150);
    await page.mouse.down();
    await page.mouse.move(box.x + 100, box.y + 100, { steps: 5 });
    await page.mouse.up();
    expect(await frameOf(page)).toBe(0);
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => (document.querySelector('xoay-viewer')!.viewer as { zoom: number }).zoom)).toBe(1);
    await page.close();
  });

  it('fullscreen: the API where it exists, a CSS fallback where it does not (iPhone); F and Escape', async () => {
    const page = await browser.desktop.newPage();
    await page.addInitScript(() => {
      // As on iPhone Safari: no element fullscreen.
      Object.defineProperty(Element.prototype, 'requestFullscreen', { value: undefined });
      Object.defineProperty(Document.prototype, 'fullscreenEnabled', { get: () => false });
    });
    expect(await open(page, 'src="/spin/spin.json" loading="eager"')).toBe('load');
    await page.evaluate(() => (document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).focus());
    await page.keyboard.press('f');
    // Fullscreen is a small chunk of its own, imported at the first F.
    await page.waitForFunction(() => !!document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('[data-xoay-fullscreen]'));
    const rect = await page.evaluate(() => {
      const fs = document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('[data-xoay-fullscreen]');
      const r = fs?.getBoundingClientRect();
      return { fs: !!fs, w: r?.width, h: r?.height, overflow: document.documentElement.style.overflow };
    });
    expect(rect).toEqual({ fs: true, w: 1280, h: 800, overflow: 'hidden' });
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => !!document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('[data-xoay-fullscreen]'))).toBe(false);
    expect(await page.evaluate(() => document.documentElement.style.overflow)).toBe('');
    await page.close();
  });

  it('rows: a vertical drag changes the row (the element takes vertical moves only when there are rows); framechange says which', async () => {
    const page = await browser.desktop.newPage();
    expect(await open(page, 'src="/rows/spin.json" loading="eager"')).toBe('load');
    const state = await page.evaluate(() => {
      const el = document.querySelector('xoay-viewer')!;
      (window as unknown as { events: unknown[] }).events = [];
      el.addEventListener('framechange', (e) => (window as unknown as { events: unknown[] }).events.push((e as CustomEvent).detail));
      return { frames: el.frames, touch: (el.shadowRoot!.querySelector('.xoay-spin') as HTMLElement).style.touchAction };
    });
    expect(state).toEqual({ frames: 18, touch: 'none' });
    const box = (await page.locator('xoay-viewer').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8, { steps: 10 });
    await page.mouse.up();
    expect(await page.evaluate(() => document.querySelector('xoay-viewer')!.row)).toBe(0); // dragging down: the upper row (already the first)
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2, { steps: 10 });
    await page.mouse.up();
    expect(await page.evaluate(() => document.querySelector('xoay-viewer')!.row)).toBe(1);
    const events = await page.evaluate(() => (window as unknown as { events: { row: number; frame: number }[] }).events);
    expect(events.at(-1)).toEqual({ row: 1, frame: 0 });
    await page.close();
  });

  it('lazy: nothing is fetched until the viewer nears the viewport', async () => {
    const page = await browser.desktop.newPage();
    server.pages.set('/lazy.html', viewerPage('<div style="height:4000px"></div><xoay-viewer src="/spin/spin.json?lazy"></xoay-viewer>'));
    const before = server.requests.length;
    await page.goto(`${server.origin}/lazy.html`);
    await page.waitForTimeout(500);
    expect(server.requests.slice(before).some((r) => r.url.startsWith('/spin/'))).toBe(false);
    await page.evaluate(() => document.querySelector('xoay-viewer')!.scrollIntoView());
    await page.waitForFunction(() => document.querySelector('xoay-viewer')!.frames === 36);
    await page.close();
  });

  it('bad input: a clear message in place and an `error` event, no injected script runs, the page keeps working', async () => {
    const page = await browser.desktop.newPage();
    const cases: [string, RegExp][] = [
      ['/bad/nothing.json', /nothing\.json: could not be loaded \(HTTP 404\)/],
      ['/bad/malformed.json', /malformed\.json: is not valid JSON/],
      ['/bad/js-url.json', /posterSources\.jpeg uses the javascript: scheme/],
      ['/bad/data-html.json', /sprite\.sources\.jpeg uses the data: scheme/],
    ];
    for (const [src, message] of cases) {
      const got = await open(page, `src="${src}" loading="eager"`, '<button id="ok" onclick="this.textContent=\'clicked\'">ok</button>');
      expect(got).toMatch(message);
      // In place, a sentence in the page's language (test/viewer/i18n.test.ts); the details are in the event.
      const shown = await page.evaluate(() => document.querySelector('xoay-viewer')!.shadowRoot!.querySelector('[role=alert]')?.textContent ?? '');
      expect(shown).toBe('The product could not be shown.');
      await page.click('#ok');
      expect(await page.textContent('#ok')).toBe('clicked');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    }
    // HTML in a text field stays text; a 404 poster or frame is reported, and the spin still turns from its sprite.
    expect(await open(page, 'src="/bad/html-name.json" loading="eager"')).toBe('load');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const page2 = await browser.desktop.newPage();
    // Record the element's events from the start (capture phase sees non-bubbling events too).
    await page2.addInitScript(() => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      for (const type of ['load', 'error'])
        document.addEventListener(type, (e) => e instanceof CustomEvent && w.seen.push(`${type}: ${e.detail?.message ?? ''}`), true);
    });
    server.pages.set('/m.html', viewerPage('<xoay-viewer src="/bad/missing-frame.json" loading="eager"></xoay-viewer>'));
    await page2.goto(`${server.origin}/m.html`);
    await expect
      .poll(() => page2.evaluate(() => (window as unknown as { seen: string[] }).seen.join('\n')), { timeout: 20_000 })
      .toMatch(/^load: [\s\S]*404\.jpg: HTTP 404|404\.jpg: HTTP 404[\s\S]*load: /);
    await page2.close();
    expect(browser.foreign).toEqual([]);
    await page.close();
  });
});
