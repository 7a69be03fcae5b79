import type { Usage } from '../../canonical/index.js';
import { totalTokens } from '../../canonical/index.js';

/** Canonical usage in Chat Completions terms (cached tokens are part of prompt_tokens there too). */
export function chatUsage(u: Usage): Record<string, unknown> {
  return {
    prompt_tokens: u.inputTokens ?? 0,
    completion_tokens: u.outputTokens ?? 0,
    total_tokens: totalTokens(u),
    ...(u.cacheReadTokens !== undefined ? { prompt_tokens_details: { cached_tokens: u.cacheReadTokens } } : {}),
    ...(u.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: u.reasoningTokens } } : {}),
  };
}
