/**
 * Smoke-test engines besides Chromium: Debian's Firefox ESR (through puppeteer-core, WebDriver BiDi) and WebKitGTK
 * (MiniBrowser driven by WebKitWebDriver, through a tiny W3C WebDriver client over fetch). Both need an X display
 * for WebGL, so each launch starts its own Xvfb (`-displayfd`: the server picks a free display number itself) and
 * passes DISPLAY only to the browser. Everything listens on 127.0.0.1 (Xvfb: a local socket only, no TCP); every
 * process started here is stopped by close(), also when a launch fails half-way, and killed if the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import puppeteer, { type Browser as PuppeteerBrowser, type Page } from 'puppeteer-core';
import sharp from 'sharp';

export const FIREFOX = '/usr/lib/firefox-esr/firefox-esr';

/** The first executable called `name` on PATH (or in /usr/bin), or null. */
function which(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const f = path.join(d, name);
    if (d && existsSync(f)) return f;
  }
  return null;
}

/** MiniBrowser ships in libwebkit2gtk-4.x under the multiarch lib folder (or libexec on other layouts). */
function findMiniBrowser(): string | null {
  const candidates: string[] = [];
  for (const lib of ['/usr/lib', '/usr/libexec']) {
    let entries: string[] = [];
    try {
      entries = readdirSync(lib);
    } catch {
      continue;
    }
    for (const e of entries) {
      if (/^webkit2?gtk-[\d.]+$/.test(e)) candidates.push(path.join(lib, e, 'MiniBrowser'));
      // multiarch: /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser
      if (/-linux-gnu/.test(e)) {
        try {
          for (const w of readdirSync(path.join(lib, e))) if (/^webkit2?gtk-[\d.]+$/.test(w)) candidates.push(path.join(lib, e, w, 'MiniBrowser'));
        } catch {
          // unreadable: not ours
        }
      }
    }
  }
  // Prefer the newest API version (webkitgtk-6.0 over webkit2gtk-4.1 over 4.0).
  return (
    candidates
      .filter((c) => existsSync(c))
      .sort()
      .reverse()[0] ?? null
  );
}

export const XVFB = which('Xvfb');
export const WEBKIT_DRIVER = which('WebKitWebDriver');
export const MINIBROWSER = findMiniBrowser();

const APT = '(apt-get install firefox-esr webkit2gtk-driver xvfb; .ci/run installs them)';
export const hasFirefox = existsSync(FIREFOX) && XVFB !== null;
export const firefoxReason = hasFirefox ? '' : `(skipped: needs ${!existsSync(FIREFOX) ? FIREFOX : 'Xvfb'} ${APT})`;
export const hasWebKit = WEBKIT_DRIVER !== null && MINIBROWSER !== null && XVFB !== null;
export const webkitReason = hasWebKit
  ? ''
  : `(skipped: needs ${[!WEBKIT_DRIVER && 'WebKitWebDriver', !MINIBROWSER && 'WebKitGTK MiniBrowser', !XVFB && 'Xvfb'].filter(Boolean).join(', ')} ${APT})`;

// --- processes -------------------------------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  /** stdout + stderr so far (for error messages). */
  log(): string;
}

/**
 * The last line of defence: a detached `sh` that reads process-group ids on its stdin (`+id` to watch, `-id` to
 * forget) and SIGKILLs what it still watches when its stdin closes, i.e. when this process ends in any way (a
 * vitest worker killed by a signal or for a timeout runs no `exit` handler). Normal runs stop everything themselves.
 */
let watchdog: ChildProcess | null = null;
function watch(pgid: number | undefined, on = true): void {
  if (pgid === undefined) return;
  if (!watchdog || watchdog.exitCode !== null) {
    const script = `gs=" "
while read -r l; do case $l in +*) gs="$gs\${l#+} ";; -*) gs=$(printf '%s' "$gs" | sed "s/ \${l#-} / /");; esac; done
for g in $gs; do kill -s KILL -- "-$g" 2>/dev/null; done`;
    watchdog = spawn('sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.on('error', () => {});
    watchdog.stdin!.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  }
  watchdog.stdin!.write(`${on ? '+' : '-'}${pgid}\n`);
}

/** Process groups still running, killed on a normal exit of this process without close(). */
const live = new Set<number>();
let exitHook = false;
function track(pgid: number): void {
  live.add(pgid);
  watch(pgid);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const g of live) killGroup(g, 'SIGKILL');
    });
  }
}
function untrack(pgid: number): void {
  live.delete(pgid);
  watch(pgid, false);
}

/** Starts `cmd` in its own process group (so its children go with it), its output kept for errors. */
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, extraFd = false): Proc {
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...(extraFd ? (['pipe'] as const) : [])] });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      log += String(e);
      resolve();
    });
  });
  if (child.pid !== undefined) track(child.pid);
  return { child, exited, log: () => log };
}

/** Signals a whole process group (e.g. WebKitWebDriver with MiniBrowser and its web processes); false if it is empty. */
function killGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Live processes (not zombies) in process group `pgid` other than its leader (Linux /proc). */
function groupOthers(pgid: number): number {
  let n = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && d !== String(pgid));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** Waits (up to `ms`) until only the leader is left in the group. */
async function groupSettled(pgid: number, ms: number): Promise<void> {
  const t0 = Date.now();
  while (groupOthers(pgid) > 0 && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 100));
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when the leader has exited and the group is gone. */
async function stop(p: Proc, graceMs = 3000): Promise<void> {
  const pgid = p.child.pid;
  if (pgid === undefined) return;
  if (p.child.exitCode === null && p.child.signalCode === null) {
    killGroup(pgid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }
  // Whatever is left in the group (a web process that ignored SIGTERM, or outlived a leader that died) goes too.
  killGroup(pgid, 'SIGKILL');
  untrack(pgid);
}

const timeout = <T>(what: string, ms: number, p: Promise<T>): Promise<T> => {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
};

export interface Xvfb {
  /** e.g. ":3" */
  display: string;
  stop(): Promise<void>;
}

/** An X server in memory on a free display (Xvfb picks it and reports it on a pipe), no TCP listener. */
export async function startXvfb(screen = '1280x1024x24'): Promise<Xvfb> {
  if (!XVFB) throw new Error('Xvfb is not installed (apt-get install xvfb)');
  const p = start(XVFB, ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp', '-noreset'], process.env, true);
  const fd3 = p.child.stdio[3] as NodeJS.ReadableStream;
  try {
    const display = await timeout(
      'Xvfb',
      15_000,
      new Promise<string>((resolve, reject) => {
        let out = '';
        fd3.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(`:${out.trim()}`);
        });
        void p.exited.then(() => reject(new Error(`Xvfb exited before it was ready: ${p.log()}`)));
      }),
    );
    return { display, stop: () => stop(p) };
  } catch (e) {
    await stop(p);
    throw e;
  }
}

// --- Firefox ---------------------------------------------------------------------------------------------------

export interface Firefox {
  browser: PuppeteerBrowser;
  display: string;
  /** A new tab (1280×800), with uncaught page errors collected in `errors`. */
  newPage(): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

/** Firefox ESR, headless, on its own Xvfb (headless Firefox only gets WebGL with a display). */
export async function launchFirefox(): Promise<Firefox> {
  const x = await startXvfb();
  let browser: PuppeteerBrowser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      env: { ...process.env, DISPLAY: x.display },
      defaultViewport: { width: 1280, height: 800 },
      timeout: 60_000,
      protocolTimeout: 60_000,
      // No update, telemetry or captive-portal traffic (puppeteer sets most of these already).
      extraPrefsFirefox: {
        'network.captive-portal-service.enabled': false,
        'network.connectivity-service.enabled': false,
        'browser.safebrowsing.update.enabled': false,
      },
    });
  } catch (e) {
    await x.stop();
    throw e;
  }
  // puppeteer starts Firefox detached, as its own process group: the watchdog covers it from here on.
  const pid = browser.process()?.pid;
  if (pid !== undefined) track(pid);
  const errors: string[] = [];
  return {
    browser,
    display: x.display,
    errors,
    async newPage() {
      const page = await browser.newPage();
      page.on('pageerror', (e) => errors.push(String((e as Error)?.message ?? e)));
      return page;
    },
    async close() {
      try {
        await timeout('firefox close', 15_000, browser.close());
      } catch {
        // stuck: the group kill below
      }
      if (pid !== undefined) {
        killGroup(pid, 'SIGKILL');
        untrack(pid);
      }
      await x.stop();
    },
  };
}

// --- WebKitGTK through W3C WebDriver ---------------------------------------------------------------------------

/** A W3C web element reference (what findElement and scripts returning elements give). */
export interface ElementRef {
  'element-6066-11e4-a52e-4f735466cecf': string;
}

export interface Point {
  x: number;
  y: number;
}

export interface WebDriverSession {
  id: string;
  capabilities: Record<string, unknown>;
  navigate(url: string): Promise<void>;
  /** W3C Execute Script: `script` is a function body; `arguments` are `args`. */
  execute<T>(script: string, ...args: unknown[]): Promise<T>;
  /** W3C Execute Async Script: the last of `arguments` is the callback to call with the result. */
  executeAsync<T>(script: string, ...args: unknown[]): Promise<T>;
  /** Runs a (possibly async) function in the page and returns its result; a rejection becomes an Error here. */
  evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R>;
  findElement(css: string): Promise<ElementRef>;
  /** W3C Perform Actions (raw input sources), then Release Actions. */
  performActions(actions: unknown[]): Promise<void>;
  /** A left-button mouse drag in viewport CSS pixels through `steps` intermediate moves. */
  drag(from: Point, to: Point, steps?: number): Promise<void>;
  /** PNG of the viewport, or of one element (scrolled into view; cut from the viewport's). */
  screenshot(element?: ElementRef): Promise<Buffer>;
  delete(): Promise<void>;
}

export interface WebKit {
  /** http://127.0.0.1:PORT of WebKitWebDriver */
  url: string;
  display: string;
  /** A MiniBrowser session (`--automation`); sessions still open are deleted by close(). */
  newSession(): Promise<WebDriverSession>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`WebDriver ${code}: ${message}`);
  }
}

async function wd<T>(base: string, method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown, ms = 60_000): Promise<T> {
  const res = await fetch(base + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(ms),
  });
  const text = await res.text();
  let json: { value?: unknown };
  try {
    json = JSON.parse(text) as { value?: unknown };
  } catch {
    throw new Error(`WebDriver ${method} ${route}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  const v = json.value as { error?: string; message?: string } | undefined;
  if (!res.ok || (v && typeof v === 'object' && typeof v.error === 'string'))
    throw new WebDriverError(v?.error ?? `HTTP ${res.status}`, v?.message ?? text.slice(0, 300));
  return json.value as T;
}

/** WebKitWebDriver on a free 127.0.0.1 port with its own Xvfb; sessions run MiniBrowser in automation mode. */
export async function startWebKit(): Promise<WebKit> {
  if (!WEBKIT_DRIVER || !MINIBROWSER) throw new Error(`WebKitGTK is not installed ${webkitReason}`);
  const x = await startXvfb();
  let driver: Proc | null = null;
  let base = '';
  try {
    // A port found free may be taken before the driver binds it: try a few.
    for (let attempt = 0; attempt < 3 && !base; attempt++) {
      const port = await freePort();
      const p = start(WEBKIT_DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { ...process.env, DISPLAY: x.display });
      const url = `http://127.0.0.1:${port}`;
      let gone = false;
      void p.exited.then(() => (gone = true));
      const t0 = Date.now();
      while (!gone && Date.now() - t0 < 15_000) {
        try {
          const status = await wd<{ ready: boolean }>(url, 'GET', '/status', undefined, 2000);
          if (status.ready) {
            base = url;
            break;
          }
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (base) driver = p;
      else {
        await stop(p);
        if (attempt === 2) throw new Error(`WebKitWebDriver did not start: ${p.log()}`);
      }
    }
  } catch (e) {
    if (driver) await stop(driver);
    await x.stop();
    throw e;
  }
  const sessions = new Set<string>();

  const newSession = async (): Promise<WebDriverSession> => {
    const created = await wd<{ sessionId: string; capabilities: Record<string, unknown> }>(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
    });
    const id = created.sessionId;
    sessions.add(id);
    const s = `/session/${id}`;
    const call = <T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown) => wd<T>(base, method, s + route, body);
    await call('POST', '/timeouts', { script: 60_000, pageLoad: 60_000 });
    const session: WebDriverSession = {
      id,
      capabilities: created.capabilities,
      async navigate(url) {
        await call<null>('POST', '/url', { url });
        // WebKitWebDriver (2.50) can answer before the new document is the current one (a second navigation in a
        // session, a fresh session): wait until it is, and loaded, so the next script runs in it.
        const want = new URL(url).href;
        const t0 = Date.now();
        for (;;) {
          const at = await session.execute<{ href: string; state: string }>('return { href: location.href, state: document.readyState };').catch(() => null);
          if (at && at.href === want && at.state === 'complete') return;
          if (Date.now() - t0 > 30_000) throw new Error(`navigate ${url}: still at ${at?.href ?? '?'} (${at?.state ?? '?'}) after 30 s`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      execute: <T>(script: string, ...args: unknown[]) => call<T>('POST', '/execute/sync', { script, args }),
      executeAsync: <T>(script: string, ...args: unknown[]) => call<T>('POST', '/execute/async', { script, args }),
      async evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R> {
        const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn.toString()}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
  .then((value) => done({ ok: true, value }), (e) => done({ ok: false, error: String(e && e.stack || e) }));`;
        const r = await session.executeAsync<{ ok: boolean; value: R; error: string }>(script, ...args);
        if (!r.ok) throw new Error(`in the page: ${r.error}`);
        return r.value;
      },
      findElement: (css) => call<ElementRef>('POST', '/element', { using: 'css selector', value: css }),
      async performActions(actions) {
        try {
          await call('POST', '/actions', { actions });
        } finally {
          await call('DELETE', '/actions');
        }
      },
      async drag(from, to, steps = 10) {
        const r = (v: number) => Math.round(v);
        const moves = Array.from({ length: steps }, (_, i) => {
          const t = (i + 1) / steps;
          return { type: 'pointerMove', duration: 16, origin: 'viewport', x: r(from.x + (to.x - from.x) * t), y: r(from.y + (to.y - from.y) * t) };
        });
        await session.performActions([
          {
            type: 'pointer',
            id: 'mouse',
            parameters: { pointerType: 'mouse' },
            actions: [
              { type: 'pointerMove', duration: 0, origin: 'viewport', x: r(from.x), y: r(from.y) },
              { type: 'pointerDown', button: 0 },
              ...moves,
              { type: 'pointerUp', button: 0 },
            ],
          },
        ]);
      },
      async screenshot(element) {
        const png = Buffer.from(await call<string>('GET', '/screenshot'), 'base64');
        if (!element) return png;
        // WebKitGTK's own element screenshot (GET …/element/{id}/screenshot) comes back partly or wholly black under
        // Xvfb (2.50.6); the viewport's is right, so crop that to the element's box instead.
        const r = await session.execute<{ x: number; y: number; width: number; height: number; vw: number }>(
          `const el = arguments[0]; el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height, vw: innerWidth };`,
          element,
        );
        const meta = await sharp(png).metadata();
        const W = meta.width ?? 0,
          H = meta.height ?? 0;
        const k = r.vw ? W / r.vw : 1;
        const left = Math.max(0, Math.round(r.x * k)),
          top = Math.max(0, Math.round(r.y * k));
        const width = Math.min(W, Math.round((r.x + r.width) * k)) - left,
          height = Math.min(H, Math.round((r.y + r.height) * k)) - top;
        if (width <= 0 || height <= 0) throw new Error(`the element is outside the viewport (${JSON.stringify(r)})`);
        return sharp(png).extract({ left, top, width, height }).png().toBuffer();
      },
      async delete() {
        if (!sessions.delete(id)) return;
        await wd(base, 'DELETE', s, undefined, 15_000);
      },
    };
    return session;
  };

  return {
    url: base,
    display: x.display,
    newSession,
    async close() {
      // Closing the sessions lets MiniBrowser quit on its own; the group kill below catches whatever does not.
      await Promise.allSettled([...sessions].map((id) => wd(base, 'DELETE', `/session/${id}`, undefined, 10_000)));
      sessions.clear();
      // Give MiniBrowser and its web processes a moment to quit while the driver is there to reap them.
      if (driver?.child.pid !== undefined) await groupSettled(driver.child.pid, 3000);
      if (driver) await stop(driver);
      await x.stop();
    },
  };
}

// --- pixels ----------------------------------------------------------------------------------------------------

export interface PixelStats {
  width: number;
  height: number;
  /** The largest standard deviation over R, G and B: 0 for a blank, single-colour image. */
  stdev: number;
  /** Share of pixels with colour in them (max − min of R, G, B over 48): 0 for white, grey and black only. */
  colourful: number;
}

/** What a screenshot shows, roughly: whether anything was drawn, and whether it has colour (textures, not grey shading). */
export async function pixelStats(png: Uint8Array): Promise<PixelStats> {
  const [stats, raw] = await Promise.all([sharp(png).stats(), sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })]);
  const { data, info } = raw;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i]!,
      g = data[i + 1]!,
      b = data[i + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 48) coloured++;
  }
  const n = info.width * info.height;
  return { width: info.width, height: info.height, stdev: Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev)), colourful: n ? coloured / n : 0 };
}
