import { COLLECT_LIMITS } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * Most tool calls (and other keyed items: content blocks, reasoning items) one upstream answer
 * may open. Decoders and encoders keep a small record per item for the rest of the stream, so
 * an upstream that opens new ones forever would otherwise grow memory without bound; this is
 * the same number `collect()` allows a non-streaming answer (COLLECT_LIMITS.toolCalls).
 */
export const MAX_UPSTREAM_ITEMS = COLLECT_LIMITS.toolCalls;

/**
 * The attempt failure for an upstream answer that opened more than MAX_UPSTREAM_ITEMS `what`s:
 * LIP_ERR_UPSTREAM_LIMIT_EXCEEDED (502, retryable), raised in the backend's decoder.
 * @see spec/wire/upstream-limits.spec.ts
 */
export function upstreamTooMany(backendId: string, what: string): LipError {
  return new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `backend "${backendId}": the answer opened more than ${MAX_UPSTREAM_ITEMS} ${what}`, {
    detail: { backend: backendId },
  });
}
