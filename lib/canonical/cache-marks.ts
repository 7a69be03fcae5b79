import type { CacheMark, HostedToolPart, Message, Part, TextPart, ToolDefinition } from './call.js';

/** The pieces of a call a cache mark can sit on, in the order a prompt lays them out. */
export interface CacheablePrompt {
  readonly tools: readonly ToolDefinition[];
  readonly system: readonly TextPart[];
  readonly messages: readonly Message[];
}

/**
 * The cache mark of a part or tool (a reasoning part has none). A hosted tool's block keeps its
 * own `cache_control`, as written: that is its mark.
 */
export const cacheMarkOf = (piece: object): CacheMark | undefined => {
  if (isHosted(piece)) return piece.block.cache_control !== undefined && piece.block.cache_control !== null ? cacheMarkOfBlock(piece.block.cache_control) : undefined;
  return (piece as { readonly cache?: CacheMark }).cache;
};

function cacheMarkOfBlock(control: unknown): CacheMark {
  const ttl = (control as { readonly ttl?: unknown })?.ttl;
  return typeof ttl === 'string' ? { ttl } : {};
}

const isHosted = (piece: object): piece is HostedToolPart => (piece as { readonly type?: unknown }).type === 'hosted_tool';

/** The piece with `mark`: a hosted tool's block gets it as its own `cache_control` (only its provider's backend sends the block). */
export function marked<T extends object>(piece: T, mark: CacheMark): T {
  if (!isHosted(piece)) return { ...piece, cache: mark };
  const cacheControl = { type: 'ephemeral', ...(mark.ttl !== undefined ? { ttl: mark.ttl } : {}) };
  return { ...piece, block: { ...piece.block, cache_control: cacheControl } };
}

/**
 * The prompt with its last cacheable block marked: the last block of the messages that can
 * carry a mark, else the last system block, else the last tool. The same object when that block
 * has its own mark (a mark is not added twice) or nothing can carry one.
 */
export function markLastCacheable<P extends CacheablePrompt>(p: P, mark: CacheMark): P {
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
  return cacheMarkOf(item) !== undefined ? items : items.with(i, marked(item, mark));
}

/**
 * Whether a message part can carry a cache mark. Thinking cannot be marked, nor a web search (its
 * part carries no mark), nor a remote tool server's tool listing (`mcp_tool_listing` has no
 * `cache_control`), and a text block that is empty or only whitespace is refused upstream
 * (backends leave such blocks out).
 */
export function cacheable(part: Part): boolean {
  if (part.type === 'reasoning' || part.type === 'web_search') return false;
  if (part.type === 'hosted_tool' && part.block.type === 'mcp_tool_listing') return false;
  return part.type !== 'text' || visibleText(part.text);
}

/** Whether text shows anything: not empty nor only whitespace, which Anthropic's Messages API and Bedrock's Converse refuse as a text block. */
export function visibleText(text: string): boolean {
  return /\S/u.test(text);
}

/** Every mark in a prompt, in prompt order: tools, system blocks, message blocks and the blocks inside tool results. */
export function cacheMarks(p: CacheablePrompt): CacheMark[] {
  const out: CacheMark[] = [];
  const add = (pieces: readonly object[]) => {
    for (const piece of pieces) {
      const mark = cacheMarkOf(piece);
      if (mark !== undefined) out.push(mark);
    }
  };
  add(p.tools);
  add(p.system);
  for (const m of p.messages) {
    add(m.parts);
    for (const part of m.parts) if (part.type === 'tool_result' && typeof part.content !== 'string') add(part.content);
  }
  return out;
}

/**
 * The messages without a cache mark on any part (nor on a tool result's inner parts; a hosted
 * tool's block without its `cache_control`): a conversation's earlier turns, whose marks were
 * set for the request that first sent them. The same message object when it has none.
 *
 * ```ts
 * withoutCacheMarks([{ role: 'user', parts: [{ type: 'text', text: 'hi', cache: {} }] }]) // [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }]
 * ```
 */
export function withoutCacheMarks(messages: readonly Message[]): Message[] {
  return messages.map((m) => (m.parts.some(holdsMark) ? { ...m, parts: m.parts.map(unmarkedPart) } : m));
}

function holdsMark(part: Part): boolean {
  if (cacheMarkOf(part) !== undefined) return true;
  return part.type === 'tool_result' && typeof part.content !== 'string' && part.content.some((p) => p.cache !== undefined);
}

function unmarkedPart(part: Part): Part {
  if (isHosted(part)) {
    const { cache_control: _, ...block } = part.block;
    return { ...part, block };
  }
  const { cache: _, ...rest } = part as Part & { cache?: CacheMark };
  const unmarked = rest as Part;
  if (unmarked.type !== 'tool_result' || typeof unmarked.content === 'string') return unmarked;
  return { ...unmarked, content: unmarked.content.map(({ cache: _inner, ...p }) => p as typeof unmarked.content[number]) };
}
