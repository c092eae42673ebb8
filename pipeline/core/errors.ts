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
  | 'RECONSTRUCT_FAILED';

export class XoayError extends Error {
  readonly code: XoayErrorCode;
  readonly stage: string;
  readonly file: string | undefined;

  constructor(stage: string, code: XoayErrorCode, message: string, file?: string, options?: { cause?: unknown }) {
    super(`${stage}: ${file ? `${file}: ` : ''}${message}`, options);
    this.name = 'XoayError';
    this.code = code;
    this.stage = stage;
    this.file = file;
  }
}

export function isXoayError(e: unknown): e is XoayError {
  return e instanceof XoayError;
}
