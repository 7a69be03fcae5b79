import type { CacheMark } from '../canonical/index.js';

/**
 * A client's `cache_control` (`{type: "ephemeral", ttl?}`: Anthropic's blocks and tools, and the
 * same field on Chat Completions content parts as OpenRouter-style clients send it) as the
 * canonical cache mark, to spread into the part: `{}` without one.
 *
 * ```ts
 * { type: 'text', text, ...cacheOf(block) } // { type: 'text', text, cache: { ttl: '1h' } }
 * ```
 */
export function cacheOf(holder: { readonly cache_control?: unknown }): { cache?: CacheMark } {
  const c = holder.cache_control as { type?: unknown; ttl?: unknown } | null | undefined;
  if (c === null || typeof c !== 'object' || c.type !== 'ephemeral') return {};
  return { cache: typeof c.ttl === 'string' ? { ttl: c.ttl } : {} };
}
