import type { FinishReason } from '../../canonical/index.js';

/** How a Response ends: its `status` and, for `incomplete`, `incomplete_details.reason`. */
export interface ResponsesEnding {
  readonly status: 'completed' | 'incomplete';
  readonly incompleteReason?: 'max_output_tokens' | 'content_filter';
}

/**
 * Canonical finish reason -> Responses status. A length stop is `incomplete` with reason
 * `max_output_tokens`, a content filter `incomplete` with `content_filter`; every other end
 * (natural stop, tool calls, stop sequence) is `completed`: the Responses API has no separate
 * finish reason, a client sees tool calls as `function_call` output items.
 */
export function mapFinishReason(reason: FinishReason | undefined): ResponsesEnding {
  switch (reason) {
    case 'length': return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
    case 'content_filter': return { status: 'incomplete', incompleteReason: 'content_filter' };
    default: return { status: 'completed' };
  }
}
