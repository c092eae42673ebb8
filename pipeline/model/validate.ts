/**
 * Validate: the Khronos glTF-Validator on the model's own bytes. Errors stop the build with the
 * validator's own messages (the first few) and the count; warnings and infos go into the report.
 */
import { validateBytes, type ValidatorMessage } from 'gltf-validator';
import { XoayError } from '../core/errors.js';
import type { ModelSource } from './source.js';

const STAGE = 'validate';

export interface ValidationSummary {
  errors: number;
  warnings: number;
  infos: number;
  /** The first messages, as `CODE pointer: message`. */
  messages: string[];
}

export interface ValidateOptions {
  /** Validator codes treated as expected (e.g. extensions the validator does not know). */
  ignore: string[];
  /** Messages kept in the summary. */
  keep: number;
}

/** Notes the validator raises for valid outputs it does not understand: meshopt, basisu, image/ktx2. */
export const KNOWN_UNSUPPORTED = ['UNSUPPORTED_EXTENSION', 'IMAGE_UNRECOGNIZED_FORMAT'];

export const VALIDATE_DEFAULTS: ValidateOptions = { ignore: [], keep: 8 };

const line = (m: ValidatorMessage) => `${m.code}${m.pointer ? ` ${m.pointer}` : ''}: ${m.message}`;

export async function validateModel(src: ModelSource, opts?: Partial<ValidateOptions>): Promise<ValidationSummary> {
  const o = { ...VALIDATE_DEFAULTS, ...opts };
  const report = await validateBytes(src.bytes, {
    uri: src.file,
    format: src.format === 'glb' ? 'glb' : 'gltf',
    maxIssues: 1000,
    ignoredIssues: o.ignore,
    externalResourceFunction: (uri: string) => src.resource(uri), // resource() decodes and checks the URI itself
  });
  const msgs = report.issues.messages;
  const summary: ValidationSummary = {
    errors: report.issues.numErrors,
    warnings: report.issues.numWarnings,
    infos: report.issues.numInfos,
    messages: [...msgs.filter((m) => m.severity === 0), ...msgs.filter((m) => m.severity !== 0)].slice(0, o.keep).map(line),
  };
  if (summary.errors > 0) {
    const first = msgs
      .filter((m) => m.severity === 0)
      .slice(0, 3)
      .map(line)
      .join('; ');
    throw new XoayError(STAGE, 'MODEL_INVALID', `the glTF-Validator found ${summary.errors} error${summary.errors > 1 ? 's' : ''}: ${first}`, src.file);
  }
  return summary;
}
