import type { Usage } from '../../canonical/index.js';
import { totalTokens } from '../../canonical/index.js';

/**
 * Canonical usage as Gemini `usageMetadata`. `promptTokenCount` includes cached content, as the
 * canonical `inputTokens` does; `candidatesTokenCount` EXCLUDES thinking, which Gemini reports
 * apart as `thoughtsTokenCount`, so candidates = outputTokens - reasoningTokens. Cache writes
 * have no Gemini counter (they stay inside `promptTokenCount`).
 */
export function geminiUsage(u: Usage): Record<string, number> {
  const thoughts = u.reasoningTokens ?? 0;
  return {
    promptTokenCount: u.inputTokens ?? 0,
    candidatesTokenCount: Math.max(0, (u.outputTokens ?? 0) - thoughts),
    totalTokenCount: totalTokens(u),
    ...(u.cacheReadTokens !== undefined ? { cachedContentTokenCount: u.cacheReadTokens } : {}),
    ...(u.reasoningTokens !== undefined ? { thoughtsTokenCount: thoughts } : {}),
  };
}
