import type { LipError } from '../../errors/index.js';
import { MAX_RETRY_AFTER_MS, parseJsonOrUndefined, type HeaderMap } from '../http/index.js';
import { classifyResponsesStatus } from '../openai-responses/index.js';

type Json = Record<string, unknown>;

/**
 * How long until a spent ChatGPT usage limit resets, in milliseconds: from an error of type (or
 * code) `usage_limit_reached`, its `resets_in_seconds`, else its `resets_at` (Unix seconds)
 * relative to `nowMs`, as the Codex CLI reads them. Bounded to a day, as a Retry-After is; a reset
 * in the past is zero. Undefined for any other body.
 *
 * ```ts
 * usageLimitResetMs({ error: { type: 'usage_limit_reached', resets_in_seconds: 3600 } }, now) // 3_600_000
 * ```
 */
export function usageLimitResetMs(body: unknown, nowMs: number): number | undefined {
  const error = (body as { error?: Json } | undefined)?.error;
  if (error?.type !== 'usage_limit_reached' && error?.code !== 'usage_limit_reached') return undefined;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const inSeconds = number(error.resets_in_seconds);
  const at = number(error.resets_at);
  const ms = inSeconds !== undefined ? inSeconds * 1000 : at !== undefined ? at * 1000 - nowMs : undefined;
  return ms === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}

/**
 * A non-2xx answer of the Codex endpoint: the Responses classification, with a 429 that gives
 * no Retry-After waiting until its usage limit resets (so the token cools down until then, and
 * the client's Retry-After says when), not the default 60 s.
 *
 * ```ts
 * classifyCodexStatus('cx', 429, '{"error":{"type":"usage_limit_reached","resets_in_seconds":3600}}', {}, undefined, [], now)
 * // LIP_ERR_UPSTREAM_STATUS, status 429, retryAfter 3600
 * ```
 * @see spec/backends/openai-codex/classify-error.spec.ts
 */
export function classifyCodexStatus(
  backendId: string, status: number, text: string, headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[], nowMs: number,
): LipError {
  const wait = retryAfterMs ?? (status === 429 ? usageLimitResetMs(parseJsonOrUndefined(text), nowMs) : undefined);
  return classifyResponsesStatus(backendId, status, text, headers, wait, secrets);
}
