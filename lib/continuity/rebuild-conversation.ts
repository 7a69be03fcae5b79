import { assistantMessage, type Message } from '../canonical/index.js';
import type { StoredResponse } from './continuity-store.js';

export { assistantMessage, UNLABELED_REASONING_DIALECT } from '../canonical/index.js';

/**
 * The whole conversation of a response chain, oldest first: each response's own input
 * messages followed by its assistant output. Prepend the result to the next request's input.
 * (Instructions are not part of it: like the upstream API, a continued request states its own.)
 */
export function conversationMessages(chain: readonly StoredResponse[]): Message[] {
  const messages: Message[] = [];
  for (const response of chain) {
    for (const message of response.input) messages.push(message);
    const reply = assistantMessage(response.output, response.reasoningDialect);
    if (reply) messages.push(reply);
  }
  return messages;
}
