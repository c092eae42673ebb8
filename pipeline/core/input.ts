/** The first check of a stage's input path: it exists and is the kind of thing the stage reads. */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { XoayError, type XoayErrorCode } from './errors.js';

export interface InputKind {
  /** What the path must be: a folder, a regular file, or anything but a folder (a file the stage checks further). */
  kind: 'folder' | 'file' | 'not folder';
  /** The message when nothing is there (or it cannot be reached). */
  missing: string;
  /** The message when it is not of that kind. */
  wrongKind: string;
  /** The code of that error (default INPUT_MISSING). */
  wrongKindCode?: XoayErrorCode;
}

/**
 * The Stats of a stage's input `p`, or an INPUT_MISSING XoayError naming `p` when nothing is there, and an error
 * (INPUT_MISSING unless told) when it is not of the expected kind. Symbolic links are followed.
 */
export async function statInput(stage: string, p: string, expect: InputKind): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(p);
  } catch {
    throw new XoayError(stage, 'INPUT_MISSING', expect.missing, p);
  }
  const right = expect.kind === 'folder' ? st.isDirectory() : expect.kind === 'file' ? st.isFile() : !st.isDirectory();
  if (!right) throw new XoayError(stage, expect.wrongKindCode ?? 'INPUT_MISSING', expect.wrongKind, p);
  return st;
}
