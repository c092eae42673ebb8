/**
 * Typed errors for every stage. A message always says which stage failed, which file (when there is
 * one) and what is wrong, so the CLI can print it as one line and exit non-zero.
 */

export type XoayErrorCode =
  | 'INPUT_MISSING'
  | 'INPUT_EMPTY'
  | 'TOO_FEW_FRAMES'
  | 'EMPTY_FILE'
  | 'UNREADABLE_IMAGE'
  | 'UNEQUAL_SIZES'
  | 'UNEQUAL_ROWS'
  | 'DUPLICATE_FRAMES'
  | 'PIXEL_LIMIT'
  | 'OUTPUT_INSIDE_INPUT'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_UNWRITABLE'
  | 'QUEUE_JOB_FAILED'
  | 'QUEUE_UNREACHABLE'
  | 'OBJECT_NOT_FOUND'
  | 'BAD_OPTION'
  | 'MODEL_INVALID'
  | 'UNSAFE_URI'
  | 'MISSING_RESOURCE'
  | 'UNSUPPORTED_INPUT'
  | 'BAD_PRODUCT'
  | 'DUPLICATE_ID'
  | 'RENDER_FAILED'
  | 'PORT_IN_USE'
  | 'BAD_CALIBRATION'
  | 'BAD_SHOOT'
  | 'RECONSTRUCT_FAILED'
  | 'LIMIT'
  | 'OUTSIDE_FOLDER'
  | 'NOT_A_FILE'
  | 'CANCELLED'
  | 'CRASHED';

export class XoayError extends Error {
  readonly code: XoayErrorCode;
  readonly stage: string;
  readonly file: string | undefined;

  constructor(stage: string, code: XoayErrorCode, message: string, file?: string, options?: { cause?: unknown }) {
    super(oneLine(`${stage}: ${file ? `${file}: ` : ''}${message}`), options);
    this.name = 'XoayError';
    this.code = code;
    this.stage = stage;
    this.file = file;
  }
}

export function isXoayError(e: unknown): e is XoayError {
  return e instanceof XoayError;
}

/** Longest message an error carries; what is over is cut (a 10 MB URI or key is never echoed whole). */
export const MAX_MESSAGE = 2000;
/** Longest piece of input (a URI, a key, a name) echoed in a message. */
export const MAX_ECHO = 200;

/**
 * One printable line: control characters and line separators (a key with a newline could forge a line of output)
 * become visible escapes, and a message over MAX_MESSAGE characters is cut.
 */
export function oneLine(s: string, max = MAX_MESSAGE): string {
  const escapeControls = (t: string) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it makes visible
    t.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
      c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (s.length <= max) {
    const clean = escapeControls(s);
    if (clean.length <= max) return clean;
  }
  return `${escapeControls(s.slice(0, max)).slice(0, max)}… (cut: ${s.length} characters)`;
}

/** A piece of untrusted input for a message: quoted, one line, at most MAX_ECHO characters. */
export function echo(value: unknown, max = MAX_ECHO): string {
  const s = typeof value === 'string' ? value : String(value);
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return `"${oneLine(cut, max + 1)}"${s.length > max ? ` (${s.length} characters)` : ''}`;
}
