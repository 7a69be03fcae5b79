import { cacheMarks, markLastCacheable, type Call } from '../../canonical/index.js';

/** The most cache breakpoints the Messages API takes in one request. */
const MAX_BREAKPOINTS = 4;

/**
 * `cache_enrollment: automatic`: the call with a cache breakpoint on its last cacheable block
 * (what Anthropic's own top-level `cache_control` does), so that a long conversation is read
 * from the prompt cache whichever client protocol it came in: a Chat or Gemini client has no way
 * to ask for it. Left as it is when that block already has a breakpoint, when the call already
 * holds the 4 the API takes, or when nothing can carry one. A breakpoint of one hour may not come
 * after a shorter one: after a client's 5-minute breakpoint the automatic one is 5 minutes too.
 *
 * ```ts
 * enrollInCache(call, '1h')   // the last user text block gets cache: { ttl: '1h' }
 * ```
 * @see spec/backends/anthropic/cache-enrollment.spec.ts
 */
export function enrollInCache(call: Call, ttl: '5m' | '1h'): Call {
  const prompt = { tools: call.tools, system: call.system, messages: call.messages };
  const marks = cacheMarks(prompt);
  if (marks.length >= MAX_BREAKPOINTS) return call;
  const long = ttl === '1h' && marks.every((m) => m.ttl === '1h');
  const marked = markLastCacheable(prompt, long ? { ttl: '1h' } : {});
  return marked === prompt ? call : { ...call, tools: marked.tools, system: marked.system, messages: marked.messages };
}
