import type { LipEvent } from './events.js';

/**
 * The commit predicate: true for events that put content in front of the client (text,
 * reasoning, opaque reasoning, a tool call's start or arguments). Before the first such event a
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
      return true;
    default:
      return false;
  }
}

/** Output that can win a race: text or reasoning that is not only whitespace. */
export function isSubstantiveOutput(event: LipEvent): boolean {
  return (event.type === 'text_delta' || event.type === 'reasoning_delta') && /\S/.test(event.text);
}

/** Terminal events end a stream; nothing may follow them. */
export function isTerminalEvent(event: LipEvent): boolean {
  return event.type === 'response_finished' || event.type === 'error';
}
