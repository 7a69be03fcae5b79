import type { FinishReason } from '../../canonical/index.js';

/** ACP `stopReason` to the canonical finish reason (`raw` keeps the agent's own word). */
export function mapFinishReason(stopReason: unknown): { reason: FinishReason; raw?: string } {
  switch (stopReason) {
    case 'end_turn': return { reason: 'stop' };
    case 'max_tokens': return { reason: 'length', raw: 'max_tokens' };
    case 'refusal': return { reason: 'content_filter', raw: 'refusal' };
    default: return { reason: 'other', raw: typeof stopReason === 'string' ? stopReason : 'unknown' };
  }
}
