import type { FinishReason } from '../../canonical/index.js';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/**
 * Gemini `finishReason` -> canonical. Gemini says `STOP` after function calls too, so a stop
 * with calls is a tool-call stop; the safety family is a content filter; `MAX_TOKENS` a length
 * stop; anything else (`MALFORMED_FUNCTION_CALL`, `OTHER`, ...) is `other` with the raw value.
 *
 * ```ts
 * mapGeminiFinishReason('STOP', true)     // { reason: 'tool_calls' }
 * mapGeminiFinishReason('SAFETY', false)  // { reason: 'content_filter', raw: 'SAFETY' }
 * ```
 */
export function mapGeminiFinishReason(raw: string | undefined, madeToolCalls: boolean): { reason: FinishReason; raw?: string } {
  if (raw === undefined || raw === 'STOP' || raw === 'FINISH_REASON_UNSPECIFIED') return { reason: madeToolCalls ? 'tool_calls' : 'stop' };
  if (raw === 'MAX_TOKENS') return { reason: 'length' };
  if (FILTERED.has(raw)) return { reason: 'content_filter', raw };
  return { reason: 'other', raw };
}
