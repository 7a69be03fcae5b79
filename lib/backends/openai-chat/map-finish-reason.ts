import type { FinishReason } from '../../canonical/index.js';

/**
 * Chat Completions `finish_reason` -> canonical. `function_call` is the legacy spelling of a
 * tool call; anything unknown is `other` (the raw value travels along).
 *
 * ```ts
 * mapChatFinishReason('length') // { reason: 'length' }
 * mapChatFinishReason('eos')    // { reason: 'other', raw: 'eos' }
 * ```
 */
export function mapChatFinishReason(raw: string | null | undefined): { reason: FinishReason; raw?: string } {
  switch (raw) {
    case 'stop':
    case null:
    case undefined:
      return { reason: 'stop' };
    case 'length':
      return { reason: 'length' };
    case 'tool_calls':
    case 'function_call':
      return { reason: 'tool_calls', ...(raw === 'function_call' ? { raw } : {}) };
    case 'content_filter':
      return { reason: 'content_filter' };
    default:
      return { reason: 'other', raw };
  }
}
