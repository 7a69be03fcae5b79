import type { BackendRow } from '../backend.js';
import { PROVIDER_OPTIONS_PROPERTY } from '../provider-options.js';

/**
 * The openai-responses row keys beside the common ones. lip keeps no state upstream: requests
 * go out with `store: false` (unless the row says otherwise), so earlier reasoning is replayed
 * from its `encrypted_content`, asked for with `include: ["reasoning.encrypted_content"]`
 * (`auto`: when the call asks for reasoning or carries Responses reasoning to replay; some
 * non-reasoning models refuse the include).
 */
export const openaiResponsesProperties: Record<string, Record<string, unknown>> = {
  base_url: { type: 'string', lipUrl: ['http', 'https'], default: 'https://api.openai.com/v1' },
  auth: { enum: ['bearer', 'api-key', 'none'], default: 'bearer' },
  store: { type: 'boolean', default: false },
  encrypted_reasoning: { enum: ['auto', 'always', 'never'], default: 'auto' },
  reasoning_summary: { enum: ['auto', 'concise', 'detailed', 'none'], default: 'auto' },
  tool_namespaces: { enum: ['native', 'flatten'], default: 'native' },
  provider_options: PROVIDER_OPTIONS_PROPERTY,
};

export interface ResponsesOptions {
  readonly baseUrl: string;
  readonly auth: 'bearer' | 'api-key' | 'none';
  readonly store: boolean;
  readonly encryptedReasoning: 'auto' | 'always' | 'never';
  readonly reasoningSummary: 'auto' | 'concise' | 'detailed' | 'none';
  /**
   * `native`: namespaced tools go up as `namespace` tools and a client's tool search as the
   * `tool_search` tool (OpenAI); `flatten`: as plain functions (`<namespace>__<name>`, the search
   * a function), for a Responses endpoint without them.
   */
  readonly toolNamespaces: 'native' | 'flatten';
  /** Send the client's OpenAI knobs (service_tier, prompt_cache_key, truncation, ...; Call.providerOptions.openai). */
  readonly providerOptions: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export function responsesOptions(row: BackendRow): ResponsesOptions {
  const str = (key: string, fallback: string) => (typeof row[key] === 'string' ? (row[key] as string) : fallback);
  return {
    baseUrl: str('base_url', 'https://api.openai.com/v1').replace(/\/+$/, ''),
    auth: str('auth', 'bearer') as ResponsesOptions['auth'],
    store: row.store === true,
    encryptedReasoning: str('encrypted_reasoning', 'auto') as ResponsesOptions['encryptedReasoning'],
    reasoningSummary: str('reasoning_summary', 'auto') as ResponsesOptions['reasoningSummary'],
    toolNamespaces: str('tool_namespaces', 'native') as ResponsesOptions['toolNamespaces'],
    providerOptions: row.provider_options !== false,
    headers: (row.headers as Record<string, string> | undefined) ?? {},
  };
}
