import type { Call, Message, Part, ToolDefinition } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/** The call's hosted web search tool, if it declares one. */
export function webSearchTool(call: Call): ToolDefinition | undefined {
  return call.tools.find((t) => t.kind === 'web_search');
}

/**
 * For a backend whose provider runs no web search: a call that declares one is refused before
 * anything is sent (retryable, so a route moves on to a candidate that has search), never sent
 * as a function the model would call and nobody would run.
 */
export function refuseWebSearch(call: Call, backend: string): void {
  if (webSearchTool(call) === undefined) return;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} runs no hosted web search; route requests with a web search tool to a backend whose provider runs one (see docs/web-search.md)`, {
    retryable: true, detail: { backend },
  });
}

/**
 * The messages with every hosted web search of another dialect left out (a provider cannot read
 * another's search ids or encrypted results; the text after a search says what it found). The
 * same messages when there is none to leave out.
 */
export function ownWebSearches(messages: readonly Message[], dialect: string): readonly Message[] {
  const foreign = (p: Part) => p.type === 'web_search' && p.dialect !== dialect;
  if (!messages.some((m) => m.parts.some(foreign))) return messages;
  return messages.map((m) => (m.parts.some(foreign) ? { ...m, parts: m.parts.filter((p) => !foreign(p)) } : m)).filter((m) => m.parts.length > 0);
}
