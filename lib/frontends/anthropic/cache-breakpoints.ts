import { badField } from './decode-content.js';

type Json = Record<string, any>;

/** The most cache breakpoints Anthropic takes in one request, the automatic one included. */
export const MAX_BREAKPOINTS = 4;

/**
 * Refuses a request with more explicit cache breakpoints than Anthropic takes, as Anthropic (and
 * Bedrock's Claude models) would refuse it, but naming the first one too many: a 400 naming the
 * fifth `cache_control` in the order Anthropic reads the prompt, tools, system, then messages
 * (the blocks of a tool result or a search result before the block's own). A `cache_control` of
 * `null` is none. Counted on the request as written, so that the path is the client's.
 *
 * ```ts
 * checkCacheBreakpoints({ tools: [t1, t2], system: [s1], messages: [{ content: [b1, b2] }] }) // every one marked
 * // LipError: messages[0].content[1].cache_control: is a cache breakpoint more than the 4 a request may carry (...)
 * ```
 * @see spec/frontends/anthropic/cache-breakpoints.spec.ts
 */
export function checkCacheBreakpoints(b: Json): void {
  let count = 0;
  const mark = (holder: unknown, path: string) => {
    if (!marked(holder) || ++count <= MAX_BREAKPOINTS) return;
    throw badField(`${path}.cache_control`, `is a cache breakpoint more than the ${MAX_BREAKPOINTS} a request may carry (tools, system and message blocks together)`);
  };
  if (Array.isArray(b.tools)) b.tools.forEach((t: unknown, i: number) => mark(t, `tools[${i}]`));
  if (Array.isArray(b.system)) b.system.forEach((s: unknown, i: number) => mark(s, `system[${i}]`));
  if (!Array.isArray(b.messages)) return;
  b.messages.forEach((m: Json, i: number) => {
    if (Array.isArray(m?.content)) markBlocks(m.content, `messages[${i}].content`, mark);
  });
}

/** Each block's mark, those of the blocks inside a tool result's or a search result's content first. */
function markBlocks(blocks: readonly unknown[], path: string, mark: (holder: unknown, path: string) => void): void {
  blocks.forEach((block, j) => {
    const at = `${path}[${j}]`;
    const inner = (block as Json | null)?.content;
    if (Array.isArray(inner) && ((block as Json).type === 'tool_result' || (block as Json).type === 'search_result')) markBlocks(inner, `${at}.content`, mark);
    mark(block, at);
  });
}

const marked = (holder: unknown): boolean => typeof holder === 'object' && holder !== null && (holder as Json).cache_control != null;
