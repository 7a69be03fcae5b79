import type { Call, FilePart, ImagePart, Message, Part, SearchResultPart, TextPart, ToolReferencePart } from '../canonical/index.js';

/** A piece of a tool's result. */
type ResultPiece = TextPart | ImagePart | FilePart | SearchResultPart | ToolReferencePart;

/**
 * What a client says about a document (FilePart.context: Anthropic's `context`, read by the model
 * but not cited) for providers whose API has no such field: a text part right before the document,
 * in its place (a user turn, or a tool's result), so that the model still reads it. Backends whose
 * protocol takes the field (Anthropic) use neither.
 *
 * ```ts
 * documentContextAsText(call) // the same call when no document has a context
 * // {type: 'file', ..., context: 'Written by the security team.'}
 * //   -> {type: 'text', text: 'About the document that follows: Written by the security team.'}, {type: 'file', ...}
 * ```
 * @see spec/backends/document-context.spec.ts
 */
export function documentContextAsText(call: Call): Call {
  if (!call.messages.some(holdsContext)) return call;
  return { ...call, messages: call.messages.map((m) => (holdsContext(m) ? { ...m, parts: m.parts.flatMap(withContextText) } : m)) };
}

function contextText(part: FilePart): TextPart {
  return { type: 'text', text: `About the document that follows: ${part.context}` };
}

function described(part: Part | ResultPiece): part is FilePart {
  return part.type === 'file' && part.context !== undefined && part.context.length > 0;
}

function holdsContext(message: Message): boolean {
  return message.parts.some((p) => described(p) || (p.type === 'tool_result' && typeof p.content !== 'string' && p.content.some(described)));
}

function withContextText(part: Part): Part[] {
  if (described(part)) {
    const { context: _, ...file } = part;
    return [contextText(part), file];
  }
  if (part.type !== 'tool_result' || typeof part.content === 'string' || !part.content.some(described)) return [part];
  const content = part.content.flatMap((c): ResultPiece[] => {
    if (!described(c)) return [c];
    const { context: _, ...file } = c;
    return [contextText(c), file];
  });
  return [{ ...part, content }];
}
