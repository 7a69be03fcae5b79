import { jsonTextTooDeep, MAX_UPSTREAM_DEPTH } from '../../wire/index.js';

/**
 * Tool-call arguments (JSON text) as the object a `functionCall.args` holds. Empty arguments
 * are `{}`; arguments that do not parse to an object (cut off by a length stop, or a bare
 * value) are kept under `{"value": ...}` rather than lost, and so is text nested deeper than
 * MAX_UPSTREAM_DEPTH (the backend decoders refuse such arguments first; this keeps the
 * serialisation of the answer safe whatever produced them).
 */
export function functionArgs(args: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  if (jsonTextTooDeep(args, MAX_UPSTREAM_DEPTH) >= 0) return { value: args };
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : { value };
  } catch {
    return { value: args };
  }
}
