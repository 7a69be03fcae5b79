import type { FinishReason } from '../../canonical/index.js';

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Canonical -> Chat Completions `finish_reason` (a matched stop sequence is a plain `stop`). */
export function mapFinishReason(reason: FinishReason): ChatFinishReason {
  switch (reason) {
    case 'length': return 'length';
    case 'tool_calls': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'stop';
  }
}
