/**
 * Headless Chromium for rendering (the product renderer, pipeline/render/render.ts, and the sample maker,
 * samples/make-turntable.ts): Debian's Chromium (or XOAY_CHROMIUM) through playwright-core, WebGL 2 on SwiftShader
 * (no GPU, no display), a fresh temporary profile, and no network: every request off 127.0.0.1 is refused.
 * `close()` closes the browser and removes the profile; a process that exits first removes the profile too.
 * The page it renders is served by core/static-server.ts (a prebuilt page folder plus the model held in memory),
 * so nothing at run time needs Vite or the project sources.
 */
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { XoayError } from './errors.js';

/** Where Debian's `chromium` package puts the browser. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Flags from ../shared/TOOLCHAIN.md: headless, no sandbox (containers), SwiftShader WebGL, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Console messages SwiftShader and three.js print on every run that say nothing about the render. */
export const BENIGN_CONSOLE = [/GPU stall due to ReadPixels/, /KHR_parallel_shader_compile extension not supported/];

/**
 * The Chromium executable: `explicit`, else $XOAY_CHROMIUM, else /usr/bin/chromium. Throws a XoayError of `stage`
 * that says how to get one when it is not there or not executable.
 */
export function findChromium(stage: string, explicit?: string): string {
  const given = explicit ?? (process.env.XOAY_CHROMIUM || undefined);
  const exe = path.resolve(given ?? DEFAULT_CHROMIUM);
  const how = 'install it (Debian/Ubuntu: apt-get install chromium) or set XOAY_CHROMIUM to a Chromium or Chrome executable';
  const source = explicit !== undefined ? 'the chromium option' : given !== undefined ? 'XOAY_CHROMIUM' : 'the default path';
  let isFile = false;
  try {
    isFile = statSync(exe).isFile();
  } catch {
    /* missing */
  }
  if (!isFile) throw new XoayError(stage, 'MISSING_RESOURCE', `Chromium is needed to render the model but was not found at ${exe} (${source}): ${how}`);
  try {
    accessSync(exe, constants.X_OK);
  } catch {
    throw new XoayError(stage, 'MISSING_RESOURCE', `Chromium at ${exe} (${source}) is not executable: ${how}`);
  }
  return exe;
}

export interface ChromiumSession {
  context: BrowserContext;
  /** The context's one page. */
  page: Page;
  /** Uncaught errors the page reported so far. */
  pageErrors: string[];
  /** URLs off 127.0.0.1 the page asked for (refused). */
  foreign: string[];
  /** Closes the browser and removes its profile; safe to call more than once, never throws. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Stage name for errors. */
  stage: string;
  /** Executable (see findChromium). */
  executable: string;
  /** Page size, CSS pixels (device pixel ratio 1). */
  viewport: { width: number; height: number };
  /** Prefix of the temporary profile folder in os.tmpdir(). */
  profilePrefix?: string;
  /** Print the page's console errors and warnings (not the benign ones) to stderr. */
  logConsole?: boolean;
}

/** Launches headless Chromium on a fresh temporary profile; on failure nothing is left behind. */
export async function launchChromium(o: LaunchOptions): Promise<ChromiumSession> {
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new XoayError(
      o.stage,
      'MISSING_RESOURCE',
      `the package playwright-core is needed to drive Chromium but could not be loaded (${e instanceof Error ? e.message : String(e)})`,
      undefined,
      { cause: e },
    );
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), o.profilePrefix ?? 'xoay-chromium-'));
  // Last resort (Ctrl-C: Playwright kills the browser and exits): drop the profile.
  const dropProfile = () => rmSync(profile, { recursive: true, force: true });
  process.once('exit', dropProfile);
  let context: BrowserContext | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    process.removeListener('exit', dropProfile);
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: o.executable,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: o.viewport,
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    const foreign: string[] = [];
    await context.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1') return route.continue();
      foreign.push(u.href);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    if (o.logConsole) {
      page.on('console', (msg) => {
        if ((msg.type() === 'error' || msg.type() === 'warning') && !BENIGN_CONSOLE.some((re) => re.test(msg.text()))) {
          process.stderr.write(`[page ${msg.type()}] ${msg.text()}\n`);
        }
      });
    }
    return { context, page, pageErrors, foreign, close };
  } catch (e) {
    await close();
    throw new XoayError(o.stage, 'MISSING_RESOURCE', `Chromium (${o.executable}) could not be started (${launchProblem(e)})`, undefined, { cause: e });
  }
}

/** What Playwright's launch error says went wrong: the browser's exit code and its last lines on stderr. */
function launchProblem(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) =>
    l
      // biome-ignore lint/suspicious/noControlCharactersInRegex: it removes the terminal's colour codes (ESC [ … m) from Chromium's messages
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/^\s*-\s*/, '')
      .trim(),
  );
  const stderr = [
    ...new Set(
      lines
        .filter((l) => /^\[pid=\d+\]\[err\]/.test(l))
        .map((l) => l.replace(/^\[pid=\d+\]\[err\]\s*/, ''))
        .filter(Boolean),
    ),
  ];
  const exit = lines.map((l) => /<process did exit: (exitCode=\S+ signal=\S+?)>/.exec(l)?.[1]).find(Boolean);
  const parts = [exit, ...stderr.slice(-3)].filter(Boolean);
  return parts.length ? parts.join('; ') : (lines[0] ?? text);
}

/** Rejects with `what took longer than … s` when `promise` has not settled in `ms`. */
export async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
