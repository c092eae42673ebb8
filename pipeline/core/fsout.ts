/**
 * Atomic output folders: everything is written into a temporary sibling of the destination and
 * renamed into place only when complete. The destination is never inside the input, and a failed
 * run leaves nothing behind.
 */
import { access, chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { XoayError } from './errors.js';
import { isInside } from './inside.js';

export interface OutputFolder {
  /** Where files are written while the job runs. */
  readonly dir: string;
  /** The final destination. */
  readonly target: string;
  /** Write a file (relative path) inside the temporary folder, creating sub-folders. */
  write(rel: string, data: string | Uint8Array): Promise<void>;
  /** Absolute path for a relative path inside the temporary folder (its folder is created). */
  file(rel: string): Promise<string>;
  /** Move the finished folder into place (replacing the target only when `force` was given). */
  commit(): Promise<void>;
  /** Remove the temporary folder (safe to call more than once). */
  abort(): Promise<void>;
}

/** What marks a temporary sibling of an output (`.name.xoay-tmp-…`): hidden, named after the output. */
export const TMP_MARK = '.xoay-tmp-';
/** What marks an output set aside while its replacement is renamed into place (core/storage.ts). */
export const OLD_MARK = '.xoay-old-';

/** The name of a temporary sibling of `target`: `.<its name>.xoay-tmp-<tag>` (the tag tells writers apart). */
export function tmpName(target: string, tag: string): string {
  return `.${path.basename(target)}${TMP_MARK}${tag}`;
}

/** Whether a path is in (or is) a temporary or set-aside sibling: a write not finished yet. */
export function isUnfinished(p: string): boolean {
  return p.includes(TMP_MARK) || p.includes(OLD_MARK);
}

let fallbackUmask: number | undefined;
/**
 * The process umask. Linux tells it in /proc/self/status; elsewhere process.umask() with no argument, which sets the
 * mask to 0 and back (a thread creating a file at that moment would make it world-writable), so that is done once.
 */
function umask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number.parseInt(m[1]!, 8);
  } catch {
    /* not Linux */
  }
  fallbackUmask ??= process.umask();
  return fallbackUmask;
}

/**
 * Gives a finished output the modes a web server running as another user can read: folders 0777 and files 0666, less
 * the process umask (0755 / 0644 under the usual 0022), as a folder made with mkdir and a file made with writeFile get.
 * A temporary folder from mkdtemp is 0700 and a copied file keeps its source's mode: renamed into place as they are,
 * a site answers 403/404 for everything but its top page. Symbolic links are left alone (their target decides).
 */
export async function settleModes(dir: string): Promise<void> {
  const mask = umask();
  const walk = async (d: string): Promise<void> => {
    await chmod(d, 0o777 & ~mask);
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) await chmod(p, 0o666 & ~mask);
    }
  };
  await walk(dir);
}

/** Whether a path exists (following symbolic links). */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export interface OpenOutputOptions {
  /** The stage name used in error messages. */
  stage: string;
  /** Input paths that the output must not be inside of (and must not contain). */
  inputs: string[];
  /** Replace an existing destination. */
  force: boolean;
}

export async function openOutput(target: string, opts: OpenOutputOptions): Promise<OutputFolder> {
  const abs = path.resolve(target);
  for (const input of opts.inputs) {
    const inp = path.resolve(input);
    if (isInside(abs, inp)) {
      throw new XoayError(opts.stage, 'OUTPUT_INSIDE_INPUT', `the output folder is inside the input folder ${inp}; choose an output outside it`, abs);
    }
    if (isInside(inp, abs)) {
      throw new XoayError(opts.stage, 'OUTPUT_INSIDE_INPUT', `the output folder contains the input ${inp}; replacing it would destroy the input`, abs);
    }
  }
  if (!opts.force && (await exists(abs))) {
    throw new XoayError(opts.stage, 'OUTPUT_EXISTS', 'the output already exists; pass --force to replace it', abs);
  }
  const parent = path.dirname(abs);
  // The first missing folder on the way to the output: created now, removed again if the job fails.
  let createdTop: string | undefined;
  for (let d = parent; !(await exists(d)); d = path.dirname(d)) {
    createdTop = d;
    if (path.dirname(d) === d) break;
  }
  try {
    await mkdir(parent, { recursive: true });
    await access(parent, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file stands where a folder of its path should be' : (code ?? String(e));
    throw new XoayError(opts.stage, 'OUTPUT_UNWRITABLE', `cannot write the output folder here (${why})`, abs, { cause: e });
  }
  const dir = path.join(parent, tmpName(abs, `${process.pid}-${Date.now().toString(36)}`));
  try {
    await mkdir(dir);
  } catch (e) {
    throw new XoayError(
      opts.stage,
      'OUTPUT_UNWRITABLE',
      `cannot create a temporary folder next to the output (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      abs,
      { cause: e },
    );
  }
  let done = false;
  const made = new Set<string>();
  const ensureDir = async (d: string) => {
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  const cleanup = () => {
    // Last resort on Ctrl-C: remove the temporary folder (and the folders made for it) synchronously.
    if (!done) {
      try {
        rmSync(createdTop ?? dir, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
  };
  process.once('exit', cleanup);
  return {
    dir,
    target: abs,
    async write(rel, data) {
      const p = path.join(dir, rel);
      await ensureDir(path.dirname(p));
      await writeFile(p, data);
    },
    async file(rel) {
      const p = path.join(dir, rel);
      await ensureDir(path.dirname(p));
      return p;
    },
    async commit() {
      await settleModes(dir);
      let old: string | undefined;
      if (await exists(abs)) {
        if (!opts.force) throw new XoayError(opts.stage, 'OUTPUT_EXISTS', 'the output appeared while the job ran; pass --force to replace it', abs);
        old = `${dir}.old`;
        await rename(abs, old);
      }
      try {
        await rename(dir, abs);
      } catch (e) {
        if (old) await rename(old, abs).catch(() => {}); // put the previous output back
        throw new XoayError(
          opts.stage,
          'OUTPUT_UNWRITABLE',
          `cannot move the finished output into place (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
          abs,
          { cause: e },
        );
      }
      done = true;
      process.removeListener('exit', cleanup);
      if (old) await rm(old, { recursive: true, force: true });
    },
    async abort() {
      if (done) return;
      done = true;
      process.removeListener('exit', cleanup);
      await rm(createdTop ?? dir, { recursive: true, force: true });
    },
  };
}
