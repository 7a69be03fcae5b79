import type { CacheMark, HostedToolPart, Message, Part, TextPart, ToolDefinition } from '../../canonical/index.js';
import { badField } from './decode-content.js';

/** The most cache breakpoints Anthropic takes in one request, the automatic one included. */
const MAX_BREAKPOINTS = 4;

/** The pieces of a call a cache breakpoint can sit on. */
export interface CacheablePrompt {
  readonly tools: readonly ToolDefinition[];
  readonly system: readonly TextPart[];
  readonly messages: readonly Message[];
}

/**
 * The cache mark of a part or tool (a reasoning part has none). A hosted tool's block keeps its
 * own `cache_control`, as written (hosted-tools.ts): that is its mark.
 */
const markOf = (piece: object): CacheMark | undefined => {
  if (isHosted(piece)) return piece.block.cache_control !== undefined && piece.block.cache_control !== null ? {} : undefined;
  return (piece as { readonly cache?: CacheMark }).cache;
};

const isHosted = (piece: object): piece is HostedToolPart => (piece as { readonly type?: unknown }).type === 'hosted_tool';

/** The piece with `mark`: a hosted tool's block gets it as the `cache_control` Anthropic reads (only an Anthropic backend sends the block). */
function marked<T extends object>(piece: T, mark: CacheMark): T {
  if (!isHosted(piece)) return { ...piece, cache: mark };
  const cacheControl = { type: 'ephemeral', ...(mark.ttl !== undefined ? { ttl: mark.ttl } : {}) };
  return { ...piece, block: { ...piece.block, cache_control: cacheControl } };
}

/**
 * A request's top-level `cache_control` (Anthropic's automatic caching) as a cache mark on the
 * last cacheable block of the prompt, which Anthropic lays out tools, system, messages: the last
 * block of the messages that can carry one, else the last system block, else the last tool.
 * Marked in the call rather than passed on as a field, so that every backend writes the
 * breakpoint it can (a Bedrock Claude model a `cachePoint`). A block with its own breakpoint
 * keeps it: the automatic one is not added twice. A hosted tool's block (code execution,
 * web fetch, ...) carries it as its own `cache_control`. It counts against Anthropic's limit of 4
 * breakpoints, and a fifth is a 400 naming `cache_control`, as Anthropic would answer.
 *
 * ```ts
 * withAutomaticCache({ tools: [], system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }, { ttl: '1h' })
 * // messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi', cache: { ttl: '1h' } }] }]
 * ```
 * @see spec/frontends/anthropic/with-automatic-cache.spec.ts
 */
export function withAutomaticCache<P extends CacheablePrompt>(prompt: P, mark: CacheMark): P {
  const marked = markLast(prompt, mark);
  if (marked !== prompt && breakpoints(marked) > MAX_BREAKPOINTS) {
    throw badField('cache_control', `the automatic cache breakpoint would be one more than the ${MAX_BREAKPOINTS} a request may carry`);
  }
  return marked;
}

function markLast<P extends CacheablePrompt>(p: P, mark: CacheMark): P {
  for (let i = p.messages.length - 1; i >= 0; i--) {
    const m = p.messages[i]!;
    const parts = markLastOf(m.parts, cacheable, mark);
    if (parts !== undefined) return parts === m.parts ? p : { ...p, messages: p.messages.with(i, { ...m, parts }) };
  }
  const system = markLastOf(p.system, cacheable, mark);
  if (system !== undefined) return system === p.system ? p : { ...p, system };
  const tools = markLastOf(p.tools, () => true, mark);
  return tools === undefined || tools === p.tools ? p : { ...p, tools };
}

/** The items with the last one that can carry a mark marked (the same array when it has its own); undefined when none can. */
function markLastOf<T extends object>(items: readonly T[], canCarry: (item: T) => boolean, mark: CacheMark): readonly T[] | undefined {
  const i = items.findLastIndex(canCarry);
  if (i < 0) return undefined;
  const item = items[i]!;
  return markOf(item) !== undefined ? items : items.with(i, marked(item, mark));
}

/**
 * Thinking cannot be marked, nor a web search (its part carries no mark), nor an MCP server's
 * tool listing (`mcp_tool_listing` has no `cache_control`), and the API refuses a mark on an empty
 * text block (the anthropic backend leaves it out).
 */
function cacheable(part: Part): boolean {
  if (part.type === 'reasoning' || part.type === 'web_search') return false;
  if (part.type === 'hosted_tool' && part.block.type === 'mcp_tool_listing') return false;
  return part.type !== 'text' || part.text.length > 0;
}

/** The marks in a prompt: tools, system blocks, message blocks and the blocks inside tool results. */
function breakpoints(p: CacheablePrompt): number {
  const marks = (pieces: readonly object[]) => pieces.filter((piece) => markOf(piece) !== undefined).length;
  const nested = (part: Part) => (part.type === 'tool_result' && typeof part.content !== 'string' ? marks(part.content) : 0);
  return marks(p.tools) + marks(p.system) + p.messages.reduce((n, m) => n + marks(m.parts) + m.parts.reduce((k, part) => k + nested(part), 0), 0);
}
