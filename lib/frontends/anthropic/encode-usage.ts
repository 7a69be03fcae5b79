import { USAGE_DIALECTS, type Usage } from '../../canonical/index.js';

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  /** Only in a response that ran hosted web searches or fetched pages. */
  server_tool_use?: { web_search_requests: number; web_fetch_requests?: number };
  /** Only when an Anthropic upstream wrote them: its iterations, as written. */
  iterations?: readonly unknown[];
}

/**
 * Canonical usage in Anthropic terms. The canonical `inputTokens` includes cache reads and
 * writes (OpenAI's convention); Anthropic's `input_tokens` counts only the uncached rest, with
 * `cache_read_input_tokens` and `cache_creation_input_tokens` in addition. So
 * input_tokens = inputTokens - cacheRead - cacheWrite, and a client summing the three gets
 * inputTokens back. Reasoning tokens are part of `output_tokens` in both conventions. The tokens
 * a server-side compaction used (`u.compaction`) are left out, as Anthropic leaves them out of
 * its top-level counts (it reports them in `usage.iterations`): a client that reads the
 * context's size from the usage reads the compacted context's. `usage.iterations` is written
 * when an Anthropic upstream wrote it (Usage.iterations of its dialect), as it wrote it.
 * `searches`: how many hosted web searches the response ran (`server_tool_use.web_search_requests`,
 * left out when none); `fetches`: how many pages web fetch got (`web_fetch_requests`, beside the
 * searches, left out when none).
 */
export function anthropicUsage(u: Usage, searches = 0, fetches = 0): AnthropicUsage {
  const c = u.compaction;
  const read = Math.max(0, (u.cacheReadTokens ?? 0) - (c?.cacheReadTokens ?? 0));
  const write = Math.max(0, (u.cacheWriteTokens ?? 0) - (c?.cacheWriteTokens ?? 0));
  return {
    input_tokens: Math.max(0, (u.inputTokens ?? 0) - (c?.inputTokens ?? 0) - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: Math.max(0, (u.outputTokens ?? 0) - (c?.outputTokens ?? 0)),
    ...(searches > 0 || fetches > 0 ? { server_tool_use: { web_search_requests: searches, ...(fetches > 0 ? { web_fetch_requests: fetches } : {}) } } : {}),
    ...(u.iterations?.dialect === USAGE_DIALECTS.anthropic ? { iterations: u.iterations.value } : {}),
  };
}
