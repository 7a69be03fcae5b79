import type { FinishReason } from '../../canonical/index.js';

/**
 * Gemini's own finish reasons (the `FinishReason` values of Google's GenAI SDKs); a backend's
 * `raw` reason in this set passes through as it is.
 */
const NATIVE = new Set([
  'STOP', 'MAX_TOKENS', 'SAFETY', 'RECITATION', 'LANGUAGE', 'OTHER', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII',
  'MALFORMED_FUNCTION_CALL', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION', 'IMAGE_OTHER', 'NO_IMAGE',
  'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'MISSING_THOUGHT_SIGNATURE',
]);

/**
 * Canonical finish reason -> Gemini `finishReason`: stop, tool calls and stop sequences are
 * `STOP` (Gemini has no separate tool-call reason), length `MAX_TOKENS`, a content filter
 * `SAFETY` (or the Gemini reason the backend gave, e.g. `RECITATION`), anything else `OTHER`.
 */
export function mapFinishReason(reason: FinishReason | undefined, raw?: string): string {
  switch (reason) {
    case 'length': return 'MAX_TOKENS';
    case 'content_filter': return raw !== undefined && NATIVE.has(raw) ? raw : 'SAFETY';
    case 'other': return raw !== undefined && NATIVE.has(raw) ? raw : 'OTHER';
    default: return 'STOP';
  }
}
