import type { BackendRow } from '../backend.js';
import { MEDIA_URLS_PROPERTY } from '../media-refusal.js';
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
  // No schema defaults (`auto`, `native`; `never` and `flatten` with profile: openresponses): a row's own value is told apart.
  encrypted_reasoning: { enum: ['auto', 'always', 'never'] },
  reasoning_summary: { enum: ['auto', 'concise', 'detailed', 'none'], default: 'auto' },
  tool_namespaces: { enum: ['native', 'flatten'] },
  provider_options: PROVIDER_OPTIONS_PROPERTY,
  profile: { enum: ['openai', 'openresponses'], default: 'openai' },
  media_urls: MEDIA_URLS_PROPERTY,
};

/**
 * Row rules of the `openresponses` profile: the keys that ask for what the profile does not have
 * (encrypted reasoning to replay, native tool namespaces) are refused rather than ignored.
 */
export function checkResponsesRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.profile !== 'openresponses') return undefined;
  if (row.encrypted_reasoning !== undefined && row.encrypted_reasoning !== 'never') {
    return { key: 'encrypted_reasoning', message: 'must be never with profile: openresponses (the profile replays no reasoning)' };
  }
  if (row.tool_namespaces === 'native') return { key: 'tool_namespaces', message: 'must be flatten with profile: openresponses (the profile has no tool namespaces)' };
  return undefined;
}

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
  /**
   * `openai`: OpenAI's Responses API, all of it. `openresponses`: an Open Responses endpoint
   * (profile 2026-04-24): only what the specification defines is sent (encode-open-request.ts).
   */
  readonly profile: 'openai' | 'openresponses';
  readonly headers: Readonly<Record<string, string>>;
}

export function responsesOptions(row: BackendRow): ResponsesOptions {
  const str = (key: string, fallback: string) => (typeof row[key] === 'string' ? (row[key] as string) : fallback);
  const open = row.profile === 'openresponses';
  return {
    baseUrl: str('base_url', 'https://api.openai.com/v1').replace(/\/+$/, ''),
    auth: str('auth', 'bearer') as ResponsesOptions['auth'],
    store: row.store === true,
    encryptedReasoning: (open ? 'never' : str('encrypted_reasoning', 'auto')) as ResponsesOptions['encryptedReasoning'],
    reasoningSummary: str('reasoning_summary', 'auto') as ResponsesOptions['reasoningSummary'],
    toolNamespaces: (open ? 'flatten' : str('tool_namespaces', 'native')) as ResponsesOptions['toolNamespaces'],
    providerOptions: row.provider_options !== false,
    profile: open ? 'openresponses' : 'openai',
    headers: (row.headers as Record<string, string> | undefined) ?? {},
  };
}
