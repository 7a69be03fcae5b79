import { cacheable, cacheMarkOf, marked, visibleText, type CacheablePrompt, type CacheMark, type Part, type ToolResultPart } from '../canonical/index.js';

type Json = Record<string, unknown>;

const blank = (part: { readonly type?: string; readonly text?: string }) => part.type === 'text' && !visibleText(part.text ?? '');

/** Whether anything in the prompt is blank text: a scan that allocates nothing. */
function hasBlankText(prompt: CacheablePrompt): boolean {
  for (const s of prompt.system) if (blank(s)) return true;
  for (const m of prompt.messages) {
    for (const p of m.parts) {
      if (blank(p)) return true;
      if (p.type !== 'tool_result') continue;
      if (typeof p.content === 'string') {
        if (p.content.length > 0 && !visibleText(p.content)) return true;
      } else {
        for (const c of p.content) if (blank(c)) return true;
      }
    }
  }
  return false;
}

/**
 * The prompt without its blank text (empty or only whitespace), which Anthropic's Messages API
 * ("text content blocks must contain non-whitespace text") and Bedrock's Converse ("The text field
 * in the ContentBlock object ... is blank") refuse: system blocks, message text parts, the
 * text parts of a tool result's content (a result of nothing but blank text has empty content,
 * which the API takes). A cache mark on a block left out moves to the block before it in prompt
 * order (tools, system, message blocks, a tool result's content before the result), whose
 * breakpoint closes the same prefix; it goes with its block when that block has a mark of its own
 * or there is none. The same prompt when it has no blank text.
 *
 * ```ts
 * withoutBlankText({ tools: [], system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }, { type: 'text', text: ' ', cache: {} }] }] })
 * // the user message is [{ type: 'text', text: 'q', cache: {} }]
 * ```
 * @see spec/backends/blank-text.spec.ts
 */
export function withoutBlankText<P extends CacheablePrompt>(prompt: P): P {
  if (!hasBlankText(prompt)) return prompt; // the common case: no copy at all
  const moved = new Map<object, CacheMark>();
  let before: object | undefined = prompt.tools.at(-1);
  let dropped = false;
  /** Whether the piece stays; a blank one's mark goes to `before`. */
  const keeps = (piece: object, isBlank: boolean, canCarry: boolean): boolean => {
    if (!isBlank) {
      if (canCarry) before = piece;
      return true;
    }
    dropped = true;
    const mark = cacheMarkOf(piece);
    if (mark !== undefined && before !== undefined && cacheMarkOf(before) === undefined && !moved.has(before)) moved.set(before, mark);
    return false;
  };
  const result = (p: ToolResultPart): ToolResultPart => {
    if (typeof p.content === 'string') return visibleText(p.content) || p.content.length === 0 ? p : { ...p, content: '' };
    const content = p.content.filter((c) => keeps(c, blank(c), true));
    return content.length === p.content.length ? p : { ...p, content: content.length > 0 ? content : '' };
  };
  const system = prompt.system.filter((s) => keeps(s, blank(s), true));
  const messages = prompt.messages.map((m) => {
    const parts = m.parts.flatMap((p): Part[] => {
      const part = p.type === 'tool_result' ? result(p) : p;
      if (part !== p) dropped = true;
      return keeps(part, blank(part), cacheable(part)) ? [part] : [];
    });
    return { ...m, parts };
  });
  if (!dropped) return prompt;
  const mark = <T extends object>(piece: T): T => (moved.has(piece) ? marked(piece, moved.get(piece)!) : piece);
  const inner = (p: Part): Part => (p.type === 'tool_result' && typeof p.content !== 'string' ? { ...p, content: p.content.map(mark) } : p);
  return {
    ...prompt,
    tools: prompt.tools.map(mark),
    system: system.map(mark),
    messages: messages.map((m) => ({ ...m, parts: m.parts.map((p) => inner(mark(p))) })),
  };
}

/**
 * A request's final turn's blocks; an assistant's (a prefill, or a paused turn sent back) with the
 * trailing whitespace of its last text block trimmed: Anthropic's Messages API and Claude on
 * Bedrock's Converse refuse "final assistant content" that ends with it. A text block is the
 * Messages API's `{type: "text", text}` or Converse's `{text}`; a Converse cache point after it is
 * no content. The same blocks when there is nothing to trim (blank text is left out before, so a
 * trimmed block keeps some text).
 *
 * ```ts
 * trimmedPrefill('assistant', [{ text: 'It is ' }, { cachePoint: { type: 'default' } }]) // [{ text: 'It is' }, { cachePoint: ... }]
 * ```
 */
export function trimmedPrefill(role: string, blocks: Json[]): Json[] {
  if (role !== 'assistant') return blocks;
  const i = blocks.findLastIndex((b) => b.cachePoint === undefined);
  const last = blocks[i];
  if (last === undefined || (last.type ?? 'text') !== 'text' || typeof last.text !== 'string' || !/\s$/u.test(last.text)) return blocks;
  return blocks.with(i, { ...last, text: last.text.trimEnd() });
}
