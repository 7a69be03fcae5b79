import type { FinishReason } from '../../canonical/index.js';

/**
 * How a Responses stream ended -> canonical. `response.completed` is a natural stop (a tool-call
 * stop when the response made function calls); `response.incomplete` says why in
 * `incomplete_details.reason`.
 *
 * ```ts
 * mapResponsesFinish('completed', undefined, true)           // { reason: 'tool_calls' }
 * mapResponsesFinish('incomplete', 'max_output_tokens', false) // { reason: 'length' }
 * ```
 */
export function mapResponsesFinish(status: string, incompleteReason: string | undefined, madeToolCalls: boolean): { reason: FinishReason; raw?: string } {
  if (status === 'completed') return { reason: madeToolCalls ? 'tool_calls' : 'stop' };
  if (status === 'incomplete') {
    if (incompleteReason === 'max_output_tokens') return { reason: 'length' };
    if (incompleteReason === 'content_filter') return { reason: 'content_filter' };
    return { reason: 'other', raw: incompleteReason ?? status };
  }
  return { reason: 'other', raw: status };
}
