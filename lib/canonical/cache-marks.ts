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
  const { ttl, scope } = (control ?? {}) as { readonly ttl?: unknown; readonly scope?: unknown };
  return { ...(typeof ttl === 'string' ? { ttl } : {}), ...(typeof scope === 'string' ? { scope } : {}) };
}

const isHosted = (piece: object): piece is HostedToolPart => (piece as { readonly type?: unknown }).type === 'hosted_tool';

/** The piece with `mark`: a hosted tool's block gets it as its own `cache_control` (only its provider's backend sends the block). */
export function marked<T extends object>(piece: T, mark: CacheMark): T {
  if (!isHosted(piece)) return { ...piece, cache: mark };
  const cacheControl = { type: 'ephemeral', ...(mark.ttl !== undefined ? { ttl: mark.ttl } : {}), ...(mark.scope !== undefined ? { scope: mark.scope } : {}) };
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

/**
 * The prompt with only the cache marks `keep` keeps, asked of every place a breakpoint can sit, in
 * prompt order: the tools, the system blocks, then each message part, the blocks inside it before
 * its own (a tool result's content, a search result's text blocks, a search result's inside a tool
 * result: a breakpoint after them closes the part's prefix only at its own end). A hosted tool's
 * block keeps or loses its own `cache_control`. The same objects (prompt, arrays, messages,
 * parts) wherever no mark goes: keeping every mark copies nothing. The one walker of every helper
 * that counts, finds or removes marks, so that none misses a place the others see.
 *
 * ```ts
 * filterCacheMarks(call, () => false)             // the call without any mark
 * filterCacheMarks(call, (m) => m.ttl === '1h')   // only its one-hour marks
 * ```
 * @see spec/canonical/cache-marks.spec.ts
 */
export function filterCacheMarks<P extends CacheablePrompt>(p: P, keep: (mark: CacheMark) => boolean): P {
  const tools = keptIn(p.tools, keep);
  const system = keptIn(p.system, keep);
  let messages: Message[] | undefined;
  p.messages.forEach((m, i) => {
    const parts = keptIn(m.parts, keep);
    if (parts !== m.parts) (messages ??= [...p.messages])[i] = { ...m, parts };
  });
  if (tools === p.tools && system === p.system && messages === undefined) return p;
  return { ...p, tools, system, messages: messages ?? p.messages } as P;
}

/** The pieces with only the marks `keep` keeps (filterCacheMarks); the same array when each piece stays as it is. */
function keptIn<T extends object>(pieces: readonly T[], keep: (mark: CacheMark) => boolean): readonly T[] {
  let out: T[] | undefined;
  pieces.forEach((piece, i) => {
    const kept = keptOn(piece, keep);
    if (kept !== piece) (out ??= [...pieces])[i] = kept;
  });
  return out ?? pieces;
}

/** The piece with only the marks `keep` keeps: those of the blocks inside it first, then its own. */
function keptOn<T extends object>(piece: T, keep: (mark: CacheMark) => boolean): T {
  let out = piece;
  const inner = (piece as { readonly type?: unknown; readonly content?: unknown }).content;
  const type = (piece as { readonly type?: unknown }).type;
  if ((type === 'tool_result' || type === 'search_result') && Array.isArray(inner)) {
    const content = keptIn(inner as readonly object[], keep);
    if (content !== inner) out = { ...out, content };
  }
  const mark = cacheMarkOf(out);
  return mark === undefined || keep(mark) ? out : unmarked(out);
}

/** The piece without its own mark (a hosted tool's block without its `cache_control`). */
function unmarked<T extends object>(piece: T): T {
  if (isHosted(piece)) {
    const { cache_control: _, ...block } = piece.block;
    return { ...piece, block };
  }
  const { cache: _, ...rest } = piece as T & { cache?: CacheMark };
  return rest as T;
}

/**
 * Every mark in a prompt, in prompt order (filterCacheMarks): tools, system blocks, message blocks,
 * the blocks inside a tool result or a search result before the block's own.
 */
export function cacheMarks(p: CacheablePrompt): CacheMark[] {
  const out: CacheMark[] = [];
  filterCacheMarks(p, (mark) => {
    out.push(mark);
    return true;
  });
  return out;
}

/**
 * The messages without a cache mark anywhere in them (filterCacheMarks: a tool result's or a
 * search result's inner blocks too; a hosted tool's block without its `cache_control`): a
 * conversation's earlier turns, whose marks were set for the request that first sent them. The
 * same message object when it has none.
 *
 * ```ts
 * withoutCacheMarks([{ role: 'user', parts: [{ type: 'text', text: 'hi', cache: {} }] }]) // [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }]
 * ```
 */
export function withoutCacheMarks(messages: readonly Message[]): readonly Message[] {
  return filterCacheMarks({ tools: [], system: [], messages }, () => false).messages;
}
