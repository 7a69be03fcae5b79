import type { BackendRow } from '../backend.js';
import { MEDIA_URLS_PROPERTY } from '../media-refusal.js';
import { PROVIDER_OPTIONS_PROPERTY } from '../provider-options.js';

/** How the key is sent: `Authorization: Bearer` (default), Azure-style `api-key`, or not at all. */
export type ChatAuth = 'bearer' | 'api-key' | 'none';

/**
 * The openai-chat row keys (CONTRACT section 6) beside the common ones. OpenAI-compatible
 * presets reuse them with other defaults (lib/backends/presets/).
 */
export const openaiChatProperties: Record<string, Record<string, unknown>> = {
  base_url: { type: 'string', lipUrl: ['http', 'https'], default: 'https://api.openai.com/v1' },
  auth: { enum: ['bearer', 'api-key', 'none'], default: 'bearer' },
  max_tokens_field: { enum: ['max_completion_tokens', 'max_tokens'], default: 'max_completion_tokens' },
  stream_usage: { type: 'boolean', default: true },
  reasoning_param: { enum: ['reasoning_effort', 'reasoning', 'thinking', 'none'], default: 'reasoning_effort' },
  reasoning_field: { enum: ['reasoning_content', 'reasoning', 'none'], default: 'none' },
  reasoning_details: { type: 'boolean', default: false },
  reasoning_required: { type: 'boolean', default: false },
  custom_tools: { enum: ['native', 'function'], default: 'native' },
  allowed_tools: { enum: ['native', 'filter'], default: 'native' },
  web_search: { enum: ['native', 'refuse'], default: 'native' },
  prefill: { enum: ['none', 'partial', 'prefix'], default: 'none' },
  // No default: 4 at api.openai.com (chatOptions), any number elsewhere.
  max_stop_sequences: { type: 'integer', minimum: 1 },
  provider_options: PROVIDER_OPTIONS_PROPERTY,
  media_urls: MEDIA_URLS_PROPERTY,
};

export interface ChatOptions {
  readonly baseUrl: string;
  readonly auth: ChatAuth;
  /** `max_completion_tokens` (OpenAI) or the older `max_tokens` most compatible servers read. */
  readonly maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Ask for `stream_options.include_usage` (streamed usage). */
  readonly streamUsage: boolean;
  /**
   * `reasoning_effort: "high"` (OpenAI), `reasoning: {effort, max_tokens}` (OpenRouter),
   * `thinking: {type}` beside `reasoning_effort` (DeepSeek's thinking mode), or nothing.
   */
  readonly reasoningParam: 'reasoning_effort' | 'reasoning' | 'thinking' | 'none';
  /** The assistant-message field that replays earlier reasoning text, or none. */
  readonly reasoningField: 'reasoning_content' | 'reasoning' | 'none';
  /**
   * OpenRouter's `reasoning_details`: read from answers (signed and encrypted reasoning of the
   * models it serves, REASONING_DIALECTS.openrouterDetails) and sent back on assistant messages as they came.
   */
  readonly reasoningDetails: boolean;
  /**
   * Every assistant message with tool calls carries the `reasoningField`, empty when there is no
   * reasoning to replay (DeepSeek's thinking mode refuses a tool-call turn without `reasoning_content`).
   */
  readonly reasoningRequired: boolean;
  /**
   * Custom (freeform) tools as Chat's `type: "custom"` tools (OpenAI), or as one-string function
   * tools for servers that have only those (lib/backends/custom-tools.ts).
   */
  readonly customTools: 'native' | 'function';
  /**
   * A choice restricted to some of the declared tools as Chat's `allowed_tools` tool choice
   * (OpenAI: the tool list, and so the prompt cache, stays the same), or by declaring only the
   * allowed tools, for servers that do not know that choice.
   */
  readonly allowedTools: 'native' | 'filter';
  /**
   * A hosted web search as `web_search_options` (OpenAI's search models, OpenRouter), or refused
   * before anything is sent (retryable), for servers that have no search and would ignore it.
   */
  readonly webSearch: 'native' | 'refuse';
  /**
   * How the server is told that a trailing assistant message is the start of the answer to go
   * on with: `partial: true` (Moonshot's Partial Mode), `prefix: true` (Mistral, DeepSeek's beta
   * endpoint), or not at all (OpenAI and most servers answer it anew).
   */
  readonly prefill: 'none' | 'partial' | 'prefix';
  /**
   * The most stop sequences the server takes: more are refused before anything is sent
   * (retryable). The row's `max_stop_sequences`, else 4 at api.openai.com (its documented
   * "up to 4"; more are a 400 there), else none (vLLM and most compatible servers take more).
   */
  readonly maxStopSequences: number | undefined;
  /** The row as errors name it (`vllm backend "local"`). */
  readonly name: string;
  /** Send the client's OpenAI knobs (service_tier, prompt_cache_key, ...; Call.providerOptions.openai). */
  readonly providerOptions: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Row rules a schema cannot say: `reasoning_required` fills the `reasoning_field`, so it needs
 * one (a preset's default included).
 */
export function checkChatRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.reasoning_required === true && row.reasoning_field === 'none') {
    return { key: 'reasoning_required', message: 'sends reasoning_field on every tool-call turn, and reasoning_field is none: set reasoning_field (reasoning_content or reasoning), or reasoning_required: false' };
  }
  return undefined;
}

/** OpenAI's own API, by its base URL. */
export const OPENAI_API = /^https?:\/\/api\.openai\.com(?::\d+)?(?:\/|$)/i;

/** The most stop sequences api.openai.com takes ("Up to 4 sequences"). */
export const OPENAI_MAX_STOP_SEQUENCES = 4;

/** Reads a validated row (defaults already applied by the config loader). */
export function chatOptions(row: BackendRow): ChatOptions {
  const str = (key: string, fallback: string) => (typeof row[key] === 'string' ? (row[key] as string) : fallback);
  const baseUrl = str('base_url', 'https://api.openai.com/v1').replace(/\/+$/, '');
  return {
    baseUrl,
    auth: str('auth', 'bearer') as ChatAuth,
    maxTokensField: str('max_tokens_field', 'max_completion_tokens') as ChatOptions['maxTokensField'],
    streamUsage: row.stream_usage !== false,
    reasoningParam: str('reasoning_param', 'reasoning_effort') as ChatOptions['reasoningParam'],
    reasoningField: str('reasoning_field', 'none') as ChatOptions['reasoningField'],
    reasoningDetails: row.reasoning_details === true,
    reasoningRequired: row.reasoning_required === true,
    customTools: str('custom_tools', 'native') as ChatOptions['customTools'],
    allowedTools: str('allowed_tools', 'native') as ChatOptions['allowedTools'],
    webSearch: str('web_search', 'native') as ChatOptions['webSearch'],
    prefill: str('prefill', 'none') as ChatOptions['prefill'],
    maxStopSequences: typeof row.max_stop_sequences === 'number' ? row.max_stop_sequences : OPENAI_API.test(baseUrl) ? OPENAI_MAX_STOP_SEQUENCES : undefined,
    name: `${row.kind} backend "${row.id}"`,
    providerOptions: row.provider_options !== false,
    headers: (row.headers as Record<string, string> | undefined) ?? {},
  };
}
