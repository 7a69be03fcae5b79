import { cacheMarks, markLastCacheable, type Call, type Part, type ToolResultPart } from '../canonical/index.js';

/** The most breakpoints Anthropic's Messages API and Bedrock's Converse take in one request. */
export const MAX_CACHE_BREAKPOINTS = 4;

/**
 * The call with only its last `max` cache marks, in prompt order (tools, system, then the
 * messages' parts, a tool result's inner parts before the result itself): for a provider that
 * takes at most `max` breakpoints (Anthropic and Bedrock: 4) when the marks come from a client
 * whose protocol allows more (OpenAI's `prompt_cache_breakpoint`: up to the latest 80 count). The
 * latest marks are kept because each covers the prefix before it. The same call when it has no
 * more than `max`.
 *
 * ```ts
 * latestCacheMarks(call, 4) // marks on the first pieces removed until 4 are left
 * ```
 * @see spec/backends/cache-marks.spec.ts
 */
export function latestCacheMarks(call: Call, max: number): Call {
  let drop = countMarks(call) - max;
  if (drop <= 0) return call;
  const unmark = <T extends object>(piece: T): T => {
    if (drop <= 0 || (piece as { cache?: unknown }).cache === undefined) return piece;
    drop--;
    const { cache: _, ...rest } = piece as T & { cache?: unknown };
    return rest as T;
  };
  const part = (p: Part): Part => {
    if (p.type !== 'tool_result' || typeof p.content === 'string') return unmark(p);
    return unmark<ToolResultPart>({ ...p, content: p.content.map(unmark) });
  };
  const tools = call.tools.map(unmark);
  const system = call.system.map(unmark);
  const messages = call.messages.map((m) => ({ ...m, parts: m.parts.map(part) }));
  return { ...call, tools, system, messages };
}

function countMarks(call: Call): number {
  const marked = (piece: object) => ((piece as { cache?: unknown }).cache !== undefined ? 1 : 0);
  let n = 0;
  for (const t of call.tools) n += marked(t);
  for (const s of call.system) n += marked(s);
  for (const m of call.messages) {
    for (const p of m.parts) {
      n += marked(p);
      if (p.type === 'tool_result' && typeof p.content !== 'string') for (const c of p.content) n += marked(c);
    }
  }
  return n;
}

/**
 * A row's `cache_enrollment: automatic`: the call with a cache breakpoint on its last cacheable
 * block (what a Messages client's top-level `cache_control` asks for), so that a long
 * conversation is read from the prompt cache whichever client protocol it came in: a Chat or
 * Gemini client has no way to ask for it. Left as it is when that block already has a
 * breakpoint, when the call already holds the MAX_CACHE_BREAKPOINTS a request takes, or when
 * nothing can carry one. `ttl: '1h'` asks for a one-hour breakpoint, which may not come after a
 * shorter one: after a client's 5-minute breakpoint the enrolled one is 5 minutes too.
 *
 * ```ts
 * enrollInCache(call, '1h')   // the last user text block gets cache: { ttl: '1h' }
 * ```
 * @see spec/backends/cache-enrollment.spec.ts
 */
export function enrollInCache(call: Call, ttl?: '5m' | '1h'): Call {
  const prompt = { tools: call.tools, system: call.system, messages: call.messages };
  const marks = cacheMarks(prompt);
  if (marks.length >= MAX_CACHE_BREAKPOINTS) return call;
  const long = ttl === '1h' && marks.every((m) => m.ttl === '1h');
  const marked = markLastCacheable(prompt, long ? { ttl: '1h' } : {});
  return marked === prompt ? call : { ...call, tools: marked.tools, system: marked.system, messages: marked.messages };
}
