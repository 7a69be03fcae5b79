import { cacheMarks, filterCacheMarks, markLastCacheable, type CacheablePrompt, type Call } from '../canonical/index.js';

/** The most breakpoints Anthropic's Messages API and Bedrock's Converse take in one request. */
export const MAX_CACHE_BREAKPOINTS = 4;

/**
 * The call with only its last `max` cache marks, in prompt order (tools, system, then the
 * messages' parts, the blocks inside a tool result or a search result before the part's own:
 * filterCacheMarks): for a provider that takes at most `max` breakpoints (Anthropic and Bedrock:
 * 4), whatever wrote the marks: a client whose protocol allows more (OpenAI's
 * `prompt_cache_breakpoint`: up to the latest 80 count; an OpenRouter-style `cache_control` on
 * Chat parts), the stored turns of a conversation continued. The latest are kept because each
 * covers the prefix before it. The same call when it has no more than `max`.
 *
 * ```ts
 * latestCacheMarks(call, 4) // marks on the first pieces removed until 4 are left
 * ```
 * @see spec/backends/cache-marks.spec.ts
 */
export function latestCacheMarks(call: Call, max: number): Call {
  let drop = cacheMarks(call).length - max;
  if (drop <= 0) return call;
  return filterCacheMarks(call, () => drop-- <= 0);
}

/**
 * Whether the client wrote OpenAI breakpoints (`prompt_cache_breakpoint`) in the call: a mark of
 * its own or of a stored turn before it (CacheMark.breakpoint). An OpenAI backend then writes
 * every mark of the call back as a breakpoint; models before GPT-5.6 refuse them, so a call whose
 * marks came in other forms only (`cache_control`) gets none.
 *
 * ```ts
 * hasBreakpointMarks(call) // true: the turn a previous_response_id chain stored held one
 * ```
 * @see spec/backends/cache-marks.spec.ts
 */
export function hasBreakpointMarks(call: CacheablePrompt): boolean {
  return cacheMarks(call).some((mark) => mark.breakpoint === true);
}

/**
 * A row's `cache_enrollment: automatic`: the call with a cache breakpoint on its last cacheable
 * block (what a Messages client's top-level `cache_control` asks for), so that a long
 * conversation is read from the prompt cache whichever client protocol it came in: a Chat or
 * Gemini client has no way to ask for it. Left as it is when that block already has a
 * breakpoint, when the call already holds the MAX_CACHE_BREAKPOINTS a request takes, or when
 * nothing can carry one. `ttl: '1h'` asks for a one-hour breakpoint, which may not come after a
 * shorter one: after a client's 5-minute breakpoint the enrolled one is 5 minutes too. With
 * `tools: false` (a model whose provider takes no breakpoint among the tools: Amazon Nova on
 * Bedrock) the tools are never marked, and their marks do not count.
 *
 * ```ts
 * enrollInCache(call, '1h')   // the last user text block gets cache: { ttl: '1h' }
 * ```
 * @see spec/backends/cache-enrollment.spec.ts
 */
export function enrollInCache(call: Call, ttl?: '5m' | '1h', where: { readonly tools?: boolean } = {}): Call {
  const prompt = { tools: where.tools === false ? [] : call.tools, system: call.system, messages: call.messages };
  const marks = cacheMarks(prompt);
  if (marks.length >= MAX_CACHE_BREAKPOINTS) return call;
  const long = ttl === '1h' && marks.every((m) => m.ttl === '1h');
  const marked = markLastCacheable(prompt, long ? { ttl: '1h' } : {});
  return marked === prompt ? call : { ...call, tools: marked.tools === prompt.tools ? call.tools : marked.tools, system: marked.system, messages: marked.messages };
}

/**
 * The call without the cache marks of its tools (a hosted tool's too), for a provider that takes
 * breakpoints in the system and the messages only (Amazon Nova on Bedrock). The same call when
 * no tool has one.
 */
export function withoutToolCacheMarks(call: Call): Call {
  const tools = filterCacheMarks({ tools: call.tools, system: [], messages: [] }, () => false).tools;
  return tools === call.tools ? call : { ...call, tools };
}
