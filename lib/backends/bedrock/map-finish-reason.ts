import type { FinishReason } from '../../canonical/index.js';

/**
 * Converse `stopReason` -> canonical, keeping the raw value wherever the canonical name says
 * less: a context-window stop is a length stop, a guardrail or filter a content filter, and
 * malformed model output or tool use are `other`.
 *
 * ```ts
 * mapBedrockStopReason('tool_use')             // { reason: 'tool_calls' }
 * mapBedrockStopReason('guardrail_intervened') // { reason: 'content_filter', raw: 'guardrail_intervened' }
 * ```
 * @see spec/backends/bedrock/decode-stream.spec.ts
 */
export function mapBedrockStopReason(raw: string): { reason: FinishReason; raw?: string } {
  switch (raw) {
    case 'end_turn': return { reason: 'stop' };
    case 'stop_sequence': return { reason: 'stop_sequence' };
    case 'tool_use': return { reason: 'tool_calls' };
    case 'max_tokens': return { reason: 'length' };
    case 'model_context_window_exceeded': return { reason: 'length', raw };
    case 'guardrail_intervened':
    case 'content_filtered': return { reason: 'content_filter', raw };
    default: return { reason: 'other', raw };
  }
}
