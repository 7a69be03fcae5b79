import type { Call, Message, Part, SearchResultPart, TextPart, ToolResultPart } from '../canonical/index.js';

/**
 * Search results (SearchResultPart) for providers whose API has no such block: each becomes a
 * text part that says what it is, where it came from and what it holds, in the place it had (a
 * user turn, or a tool's result), so that the model still reads it; citing it is then up to the
 * model's own words. Backends whose protocol takes them as they are (Anthropic) use neither.
 *
 * ```ts
 * searchResultsAsText(call) // the same call when it holds no search result
 * // {type: 'search_result', source: 'https://a.example/x', title: 'X', content: [{text: 'one'}, {text: 'two'}]}
 * //   -> {type: 'text', text: 'Search result: X\nSource: https://a.example/x\n\none\n\ntwo'}
 * ```
 * @see spec/backends/search-results.spec.ts
 */
export function searchResultsAsText(call: Call): Call {
  if (!call.messages.some(holdsSearchResult)) return call;
  return { ...call, messages: call.messages.map((m) => (holdsSearchResult(m) ? { ...m, parts: m.parts.map(partAsText) } : m)) };
}

/** A search result as the text a provider without search-result blocks reads. */
export function searchResultText(part: SearchResultPart): TextPart {
  const body = part.content.map((p) => p.text).join('\n\n');
  return { type: 'text', text: `Search result: ${part.title}\nSource: ${part.source}${body.length > 0 ? `\n\n${body}` : ''}`, ...(part.cache ? { cache: part.cache } : {}) };
}

function holdsSearchResult(message: Message): boolean {
  return message.parts.some((p) => p.type === 'search_result' || (p.type === 'tool_result' && typeof p.content !== 'string' && p.content.some((c) => c.type === 'search_result')));
}

function partAsText(part: Part): Part {
  if (part.type === 'search_result') return searchResultText(part);
  if (part.type !== 'tool_result' || typeof part.content === 'string' || !part.content.some((c) => c.type === 'search_result')) return part;
  const content: ToolResultPart['content'] = part.content.map((c) => (c.type === 'search_result' ? searchResultText(c) : c));
  return { ...part, content };
}
