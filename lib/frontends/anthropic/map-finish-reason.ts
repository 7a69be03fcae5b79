import type { FinishReason } from '../../canonical/index.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal' | 'pause_turn' | 'compaction' | 'model_context_window_exceeded';

const NATIVE = new Set<string>(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn', 'compaction', 'model_context_window_exceeded']);

/**
 * Canonical finish reason -> `stop_reason`: stop `end_turn`, length `max_tokens` (or
 * `model_context_window_exceeded` when that is the Anthropic reason behind it: the context window,
 * not `max_tokens`, ended the answer), tool calls
 * `tool_use`, a matched stop sequence `stop_sequence`, a content filter `refusal`. `other`
 * keeps the provider's own reason when it is an Anthropic one (`pause_turn`, `compaction`: the
 * answer paused after server-side compaction, ...), else `end_turn`. Pass the reason through
 * `effectiveFinishReason` first so that a natural stop after tool calls says `tool_use` (clients
 * stop the agent loop otherwise).
 */
export function mapFinishReason(reason: FinishReason, raw?: string): AnthropicStopReason {
  switch (reason) {
    case 'length': return raw === 'model_context_window_exceeded' ? raw : 'max_tokens';
    case 'tool_calls': return 'tool_use';
    case 'stop_sequence': return 'stop_sequence';
    case 'content_filter': return 'refusal';
    case 'other': return raw !== undefined && NATIVE.has(raw) ? raw as AnthropicStopReason : 'end_turn';
    default: return 'end_turn';
  }
}
