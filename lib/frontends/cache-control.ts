import type { CacheMark } from '../canonical/index.js';

/**
 * A client's `cache_control` (`{type: "ephemeral", ttl?, scope?}`: Anthropic's blocks and tools,
 * and the same field on Chat Completions and Responses content parts as OpenRouter-style clients
 * send it) as the canonical cache mark, to spread into the part: `{}` without one.
 *
 * ```ts
 * { type: 'text', text, ...cacheOf(block) } // { type: 'text', text, cache: { ttl: '1h' } }
 * ```
 */
export function cacheOf(holder: { readonly cache_control?: unknown }): { cache?: CacheMark } {
  const c = holder.cache_control as { type?: unknown; ttl?: unknown; scope?: unknown } | null | undefined;
  if (c === null || typeof c !== 'object' || c.type !== 'ephemeral') return {};
  return { cache: { ...(typeof c.ttl === 'string' ? { ttl: c.ttl } : {}), ...(typeof c.scope === 'string' ? { scope: c.scope } : {}) } };
}

/**
 * A content part's cache mark as OpenAI clients write it: `prompt_cache_breakpoint: {mode:
 * "explicit"}` (GPT-5.6 and later; its TTL is the request's `prompt_cache_options.ttl`), a mark
 * with `breakpoint` (CacheMark.breakpoint: an OpenAI backend writes the call's marks back as
 * breakpoints), or an OpenRouter-style `cache_control`, whose `ttl` wins when a part has both
 * (the mark is a breakpoint still); `{}` without either.
 *
 * ```ts
 * partCacheOf({ type: 'input_text', text, prompt_cache_breakpoint: { mode: 'explicit' } }) // { cache: { breakpoint: true } }
 * ```
 */
export function partCacheOf(part: { readonly cache_control?: unknown; readonly prompt_cache_breakpoint?: unknown }): { cache?: CacheMark } {
  const own = cacheOf(part).cache;
  const b = part.prompt_cache_breakpoint as { mode?: unknown } | null | undefined;
  if (b === null || typeof b !== 'object' || b.mode !== 'explicit') return own ? { cache: own } : {};
  return { cache: { ...own, breakpoint: true } };
}

/**
 * The schema of a `cache_control` (`{type: "ephemeral", ttl?: "5m" | "1h", scope?}`, `null` for
 * none): an Anthropic client's on blocks, tools and the request itself, an OpenRouter-style one
 * on Chat and Responses content parts. A `type` or `ttl` Anthropic does not take is a 400 naming
 * the field in the client's own protocol, rather than a mark the upstream refuses (or, for
 * another `type`, no mark at all). `scope` (the beta `prompt-caching-scope-2026-01-05`) is a
 * string, whose values are the upstream's to judge.
 */
export const CACHE_CONTROL_SCHEMA = {
  type: ['object', 'null'], required: ['type'],
  properties: { type: { const: 'ephemeral' }, ttl: { enum: ['5m', '1h'] }, scope: { type: 'string' } },
} as const;

/** The schema of `prompt_cache_breakpoint`, for a content part's schema to add. */
export const PROMPT_CACHE_BREAKPOINT_SCHEMA = { type: ['object', 'null'], required: ['mode'], properties: { mode: { const: 'explicit' } } } as const;
