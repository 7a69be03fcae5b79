import type { Usage } from '../../canonical/index.js';
import { totalTokens } from '../../canonical/index.js';

/** Canonical usage in Chat Completions terms (cache reads and writes are part of prompt_tokens there too). */
export function chatUsage(u: Usage): Record<string, unknown> {
  const cache = {
    ...(u.cacheReadTokens !== undefined ? { cached_tokens: u.cacheReadTokens } : {}),
    ...(u.cacheWriteTokens !== undefined ? { cache_write_tokens: u.cacheWriteTokens } : {}),
  };
  return {
    prompt_tokens: u.inputTokens ?? 0,
    completion_tokens: u.outputTokens ?? 0,
    total_tokens: totalTokens(u),
    ...(Object.keys(cache).length > 0 ? { prompt_tokens_details: cache } : {}),
    ...(u.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: u.reasoningTokens } } : {}),
  };
}
