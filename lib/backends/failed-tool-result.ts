/** What the output of a failed tool call begins with on a protocol that has no error flag. */
export const FAILED_RESULT_PREFIX = 'Error: ';

/** A failed result's output when it has none: an empty one would read as a success with nothing to say. */
const NO_OUTPUT = '(no output)';

/**
 * A tool result's output as a protocol with no error flag (OpenAI Chat's `tool` message, the
 * Responses API's `function_call_output`) sends it: as it is for a result that did not fail; for
 * a failed one (`isError`: an Anthropic client's `is_error`, a Bedrock `status: error`) the text
 * says so: a string prefixed with `Error: ` (`Error: (no output)` when empty), a list of parts
 * after a leading text part `Error: ` (the string when the list is empty). `text` makes that
 * part in the protocol's own form (an output that is always a string needs none). Anthropic, Bedrock and Gemini carry the flag itself.
 *
 * ```ts
 * failedOutput('Permission denied', true, textPart)  // 'Error: Permission denied'
 * failedOutput('', true, textPart)                   // 'Error: (no output)'
 * failedOutput([image], true, textPart)              // [textPart('Error: '), image]
 * failedOutput('{"temp":21}', undefined, textPart)   // '{"temp":21}'
 * ```
 * @see spec/backends/failed-tool-result.spec.ts
 */
export function failedOutput(output: string, isError: boolean | undefined): string;
export function failedOutput<P>(output: string | P[], isError: boolean | undefined, text: (text: string) => P): string | P[];
export function failedOutput<P>(output: string | P[], isError: boolean | undefined, text?: (text: string) => P): string | P[] {
  if (isError !== true) return output;
  if (typeof output === 'string') return FAILED_RESULT_PREFIX + (output.length > 0 ? output : NO_OUTPUT);
  return output.length > 0 ? [text!(FAILED_RESULT_PREFIX), ...output] : FAILED_RESULT_PREFIX + NO_OUTPUT;
}
