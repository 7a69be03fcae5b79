import type { Call, Message, Part, TextPart, ToolReferencePart, ToolResultPart } from '../canonical/index.js';

/**
 * Tool references (ToolReferencePart: what a client's tool search found, in a tool's result) for
 * providers that have no deferred loading: the tool they name was declared in full (such a
 * backend ignores `deferLoading`), so each reference becomes a text part in its place that says
 * the tool is loaded, and the model reads what the search found. A backend whose protocol takes
 * them as they are (Anthropic) uses neither.
 *
 * ```ts
 * toolReferencesAsText(call) // the same call when it holds no tool reference
 * // {type: 'tool_reference', name: 'mcp__github__create_issue'}
 * //   -> {type: 'text', text: 'Tool loaded: mcp__github__create_issue'}
 * ```
 * @see spec/backends/tool-references.spec.ts
 */
export function toolReferencesAsText(call: Call): Call {
  if (!call.messages.some(holdsToolReference)) return call;
  return { ...call, messages: call.messages.map((m) => (holdsToolReference(m) ? { ...m, parts: m.parts.map(partAsText) } : m)) };
}

/** A tool reference as the text a provider without deferred loading reads (the part's cache mark kept). */
export function toolReferenceText(part: ToolReferencePart): TextPart {
  return { type: 'text', text: `Tool loaded: ${part.name}`, ...(part.cache ? { cache: part.cache } : {}) };
}

function holdsToolReference(message: Message): boolean {
  return message.parts.some((p) => p.type === 'tool_result' && typeof p.content !== 'string' && p.content.some((c) => c.type === 'tool_reference'));
}

function partAsText(part: Part): Part {
  if (part.type !== 'tool_result' || typeof part.content === 'string' || !part.content.some((c) => c.type === 'tool_reference')) return part;
  const content: ToolResultPart['content'] = part.content.map((c) => (c.type === 'tool_reference' ? toolReferenceText(c) : c));
  return { ...part, content };
}
