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

/**
 * A content part's cache mark as OpenAI clients write it: `prompt_cache_breakpoint: {mode:
 * "explicit"}` (GPT-5.6 and later; its TTL is the request's `prompt_cache_options.ttl`), or an
 * OpenRouter-style `cache_control`, which wins when a part has both; `{}` without either.
 */
export function partCacheOf(part: { readonly cache_control?: unknown; readonly prompt_cache_breakpoint?: unknown }): { cache?: CacheMark } {
  const own = cacheOf(part);
  if (own.cache) return own;
  const b = part.prompt_cache_breakpoint as { mode?: unknown } | null | undefined;
  return b !== null && typeof b === 'object' && b.mode === 'explicit' ? { cache: {} } : {};
}

/** The schema of `prompt_cache_breakpoint`, for a content part's schema to add. */
export const PROMPT_CACHE_BREAKPOINT_SCHEMA = { type: ['object', 'null'], required: ['mode'], properties: { mode: { const: 'explicit' } } } as const;

/**
 * Whether a content part of these items (Chat `messages`, Responses `input`: each item's
 * `content` or `output` array) carries `prompt_cache_breakpoint`: the client caches in OpenAI's
 * explicit terms, so an OpenAI backend may write the marks back as breakpoints (models before
 * GPT-5.6 do not take them, so marks from other forms are never sent as breakpoints).
 */
export function hasBreakpoints(items: unknown): boolean {
  if (!Array.isArray(items)) return false;
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    for (const list of [(item as { content?: unknown }).content, (item as { output?: unknown }).output]) {
      if (Array.isArray(list) && list.some((p) => p !== null && typeof p === 'object' && (p as { prompt_cache_breakpoint?: unknown }).prompt_cache_breakpoint != null)) return true;
    }
  }
  return false;
}
