import type { Call, Message } from '../canonical/index.js';
import { holdsAddedTools, toolsWithAdded } from '../canonical/index.js';

/**
 * Tools added in the course of the conversation (HostedToolPart.tools: OpenAI's
 * `additional_tools` items) for a backend whose protocol has no such items (every backend but
 * OpenAI Responses'): the tools join the call's own, once per name (in its namespace; validateCall
 * has made sure that a tool declared twice is the same declaration), after them and in the order
 * they were added, and the parts that carried them are left out (a message left empty with them).
 * The model then has them from the start of the conversation, which only widens what it may call.
 * The same call when no part adds tools.
 *
 * ```ts
 * declareAddedTools(call) // call.tools: [read_file] + the item's [write_file]; the additional_tools part gone
 * ```
 * @see spec/backends/added-tools.spec.ts
 */
export function declareAddedTools(call: Call): Call {
  if (!holdsAddedTools(call.messages)) return call;
  return { ...call, tools: toolsWithAdded(call), messages: withoutAddingParts(call.messages) };
}

function withoutAddingParts(messages: readonly Message[]): Message[] {
  return messages
    .map((m) => (m.parts.some((p) => p.type === 'hosted_tool' && p.tools !== undefined) ? { ...m, parts: m.parts.filter((p) => p.type !== 'hosted_tool' || p.tools === undefined) } : m))
    .filter((m) => m.parts.length > 0);
}
