import type { Call, Part } from './call.js';

/** Rough cost of one image or document, in tokens. */
const MEDIA_TOKENS = 800;

function partChars(part: Part): number {
  switch (part.type) {
    case 'text': return part.text.length;
    case 'tool_call': return part.name.length + part.arguments.length;
    case 'tool_result': return typeof part.content === 'string' ? part.content.length : part.content.reduce((n, p) => n + (p.type === 'text' ? p.text.length : p.type === 'tool_reference' ? p.name.length : MEDIA_TOKENS * 4), 0);
    case 'reasoning': return (part.text?.length ?? 0);
    default: return MEDIA_TOKENS * 4;
  }
}

/**
 * A rough estimate of a call's input tokens (about four characters per token, a fixed cost per
 * image or document, tool schemas included), for the `max_context` / `min_context` route
 * filters. It needs no tokenizer and errs on neither side on purpose.
 */
export function estimateTokens(call: Call): number {
  let chars = 0;
  for (const part of call.system) chars += part.text.length;
  for (const message of call.messages) for (const part of message.parts) chars += partChars(part);
  for (const tool of call.tools) chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  return charTokens(chars);
}

/** The same estimate for texts to embed (about four characters per token). */
export function estimateTextTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const text of texts) chars += text.length;
  return charTokens(chars);
}

/** The same estimate for `chars` characters of text (an answer's output, counted as it streams). */
export function charTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
