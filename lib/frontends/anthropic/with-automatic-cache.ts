import { cacheMarks, markLastCacheable, type CacheablePrompt, type CacheMark } from '../../canonical/index.js';
import { MAX_BREAKPOINTS } from './cache-breakpoints.js';
import { badField } from './decode-content.js';

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
  const marked = markLastCacheable(prompt, mark);
  if (marked !== prompt && cacheMarks(marked).length > MAX_BREAKPOINTS) {
    throw badField('cache_control', `the automatic cache breakpoint would be one more than the ${MAX_BREAKPOINTS} a request may carry`);
  }
  return marked;
}
