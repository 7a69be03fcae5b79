import type { LipEvent } from './events.js';

/**
 * The commit predicate: true for events that put content in front of the client (text,
 * reasoning, opaque reasoning, a tool call's start or arguments, a hosted web search or other hosted tool). Before the first such event a
 * retryable failure may move on to another candidate invisibly; after it, never.
 * Lifecycle, usage, warnings and signatures do not commit.
 */
export function isOutputEvent(event: LipEvent): boolean {
  switch (event.type) {
    case 'text_delta':
    case 'reasoning_delta':
      return event.text.length > 0;
    case 'reasoning_opaque':
    case 'tool_call_started':
    case 'tool_call_delta':
    case 'web_search':
      return true;
    case 'hosted_tool':
      return event.scope !== 'message';
    default:
      return false;
  }
}

/**
 * Output that can win a race (CONTRACT: "the first non-whitespace output event"): text or
 * reasoning that is not only whitespace, a tool call, an opaque reasoning block. A reply that
 * opens with a tool call wins as surely as one that opens with words.
 */
export function isSubstantiveOutput(event: LipEvent): boolean {
  switch (event.type) {
    case 'text_delta':
    case 'reasoning_delta':
      return /\S/.test(event.text);
    case 'tool_call_started':
    case 'tool_call_delta':
    case 'reasoning_opaque':
    case 'web_search':
      return true;
    case 'hosted_tool':
      return event.scope !== 'message';
    default:
      return false;
  }
}

/** Terminal events end a stream; nothing may follow them. */
export function isTerminalEvent(event: LipEvent): boolean {
  return event.type === 'response_finished' || event.type === 'error';
}
