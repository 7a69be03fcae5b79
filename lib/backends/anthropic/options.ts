import type { BackendRow } from '../backend.js';
import { MEDIA_URLS_PROPERTY } from '../media-refusal.js';
import { PROVIDER_OPTIONS_PROPERTY } from '../provider-options.js';

/**
 * The anthropic row keys beside the common ones. `max_tokens` is required by the Messages API,
 * so a call without a limit gets `default_max_tokens`.
 */
export const anthropicProperties: Record<string, Record<string, unknown>> = {
  base_url: { type: 'string', lipUrl: ['http', 'https'], default: 'https://api.anthropic.com' },
  auth: { enum: ['x-api-key', 'bearer'], default: 'x-api-key' },
  anthropic_version: { type: 'string', minLength: 1, default: '2023-06-01' },
  default_max_tokens: { type: 'integer', minimum: 1, default: 8192 },
  provider_options: PROVIDER_OPTIONS_PROPERTY,
  cache_enrollment: { enum: ['disabled', 'automatic'], default: 'disabled' },
  cache_ttl: { enum: ['5m', '1h'] },
  media_urls: MEDIA_URLS_PROPERTY,
};

/** Row rules the schema cannot say: `cache_ttl` belongs to automatic enrollment. */
export function checkAnthropicRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.cache_ttl !== undefined && row.cache_enrollment !== 'automatic') {
    return { key: 'cache_ttl', message: 'applies only with cache_enrollment: automatic (the breakpoints lip adds itself)' };
  }
  return undefined;
}

export interface AnthropicOptions {
  readonly baseUrl: string;
  readonly auth: 'x-api-key' | 'bearer';
  readonly version: string;
  readonly defaultMaxTokens: number;
  /** Send the client's Anthropic knobs (service_tier, inference_geo, speed; Call.providerOptions.anthropic). */
  readonly providerOptions: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** `cache_enrollment: automatic`: the cache breakpoint lip adds to every call, with its `cache_ttl` (default 5m). */
  readonly cacheEnrollment?: '5m' | '1h';
}

export function anthropicOptions(row: BackendRow): AnthropicOptions {
  return {
    baseUrl: (typeof row.base_url === 'string' ? row.base_url : 'https://api.anthropic.com').replace(/\/+$/, ''),
    auth: row.auth === 'bearer' ? 'bearer' : 'x-api-key',
    version: typeof row.anthropic_version === 'string' ? row.anthropic_version : '2023-06-01',
    defaultMaxTokens: typeof row.default_max_tokens === 'number' ? row.default_max_tokens : 8192,
    providerOptions: row.provider_options !== false,
    headers: (row.headers as Record<string, string> | undefined) ?? {},
    ...(row.cache_enrollment === 'automatic' ? { cacheEnrollment: row.cache_ttl === '1h' ? '1h' as const : '5m' as const } : {}),
  };
}
