/**
 * Tool-call arguments (JSON text) as the object a `functionCall.args` holds. Empty arguments
 * are `{}`; arguments that do not parse to an object (cut off by a length stop, or a bare
 * value) are kept under `{"value": ...}` rather than lost.
 */
export function functionArgs(args: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : { value };
  } catch {
    return { value: args };
  }
}
