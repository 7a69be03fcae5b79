import type { FinishReason } from '../../canonical/index.js';

/**
 * Anthropic `stop_reason` -> canonical. `refusal` is a content filter; running out of the
 * context window is a length stop; `pause_turn` and anything new are `other` with the raw value.
 *
 * ```ts
 * mapAnthropicStopReason('max_tokens') // { reason: 'length' }
 * mapAnthropicStopReason('tool_use')   // { reason: 'tool_calls' }
 * ```
 */
export function mapAnthropicStopReason(raw: string | null | undefined): { reason: FinishReason; raw?: string } {
  switch (raw) {
    case 'end_turn':
    case null:
    case undefined:
      return { reason: 'stop' };
    case 'max_tokens':
      return { reason: 'length' };
    case 'model_context_window_exceeded':
      return { reason: 'length', raw };
    case 'stop_sequence':
      return { reason: 'stop_sequence' };
    case 'tool_use':
      return { reason: 'tool_calls' };
    case 'refusal':
      return { reason: 'content_filter', raw };
    default:
      return { reason: 'other', raw };
  }
}
