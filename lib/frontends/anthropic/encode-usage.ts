import { USAGE_DIALECTS, type Usage } from '../../canonical/index.js';

/** The Messages API's `usage`: every field its type declares is present, `null` when unknown. */
export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** The cache writes by lifetime, when the provider split them. */
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
  output_tokens: number;
  output_tokens_details: { thinking_tokens: number } | null;
  /** Only in a response that ran hosted web searches or fetched pages. */
  server_tool_use: { web_search_requests: number; web_fetch_requests?: number } | null;
  service_tier: string | null;
  inference_geo: string | null;
  speed: string | null;
  /** Only when an Anthropic upstream wrote them: its iterations, as written. */
  iterations?: readonly unknown[];
}

/**
 * Canonical usage in Anthropic terms. The canonical `inputTokens` includes cache reads and
 * writes (OpenAI's convention); Anthropic's `input_tokens` counts only the uncached rest, with
 * `cache_read_input_tokens` and `cache_creation_input_tokens` in addition. So
 * input_tokens = inputTokens - cacheRead - cacheWrite, and a client summing the three gets
 * inputTokens back. Reasoning tokens are part of `output_tokens` in both conventions, and
 * `output_tokens_details.thinking_tokens` when the provider counted them. The tokens
 * a server-side compaction used (`u.compaction`) are left out, as Anthropic leaves them out of
 * its top-level counts (it reports them in `usage.iterations`): a client that reads the
 * context's size from the usage reads the compacted context's. `usage.iterations` is written
 * when an Anthropic upstream wrote it (Usage.iterations of its dialect), as it wrote it.
 * `cache_creation` splits the cache writes into 1-hour ones (`cacheWrite1hTokens`) and the 5-minute
 * rest; `service_tier`, `inference_geo` and `speed` are the provider's. Each is `null` when the
 * provider did not say, as Anthropic's type allows.
 * `searches`: how many hosted web searches the response ran (`server_tool_use.web_search_requests`,
 * `null` when none and no fetches); `fetches`: how many pages web fetch got (`web_fetch_requests`, beside the
 * searches, left out when none).
 */
export function anthropicUsage(u: Usage, searches = 0, fetches = 0): AnthropicUsage {
  const c = u.compaction;
  const read = Math.max(0, (u.cacheReadTokens ?? 0) - (c?.cacheReadTokens ?? 0));
  const write = Math.max(0, (u.cacheWriteTokens ?? 0) - (c?.cacheWriteTokens ?? 0));
  const longLived = u.cacheWrite1hTokens === undefined ? undefined : Math.min(u.cacheWrite1hTokens, write);
  return {
    input_tokens: Math.max(0, (u.inputTokens ?? 0) - (c?.inputTokens ?? 0) - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    cache_creation: longLived === undefined ? null : { ephemeral_5m_input_tokens: write - longLived, ephemeral_1h_input_tokens: longLived },
    output_tokens: Math.max(0, (u.outputTokens ?? 0) - (c?.outputTokens ?? 0)),
    output_tokens_details: u.reasoningTokens === undefined ? null : { thinking_tokens: u.reasoningTokens },
    server_tool_use: searches > 0 || fetches > 0 ? { web_search_requests: searches, ...(fetches > 0 ? { web_fetch_requests: fetches } : {}) } : null,
    service_tier: u.serviceTier ?? null,
    inference_geo: u.inferenceGeo ?? null,
    speed: u.speed ?? null,
    ...(u.iterations?.dialect === USAGE_DIALECTS.anthropic ? { iterations: u.iterations.value } : {}),
  };
}
