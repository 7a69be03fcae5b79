import { LipError, isRetryableStatus } from '../../errors/index.js';
import { sanitizeMessage } from './sanitize-message.js';

export interface UpstreamStatusInfo {
  readonly backendId: string;
  readonly status: number;
  /** The upstream's own message (sanitised here). */
  readonly message: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** The backend's keys, masked out of the message. */
  readonly secrets: readonly string[];
  /** The upstream's error type / code, kept for logs. */
  readonly upstreamType?: string;
  /** The upstream's string error code where its envelope has one beside the type (OpenAI's `model_not_found`). */
  readonly upstreamCode?: string;
  /** The upstream's machine-readable reason beside its type (a google.rpc ErrorInfo's `API_KEY_INVALID`), kept as `detail.upstream_reason`. */
  readonly upstreamReason?: string;
  /** Overrides the status rule (for example an Anthropic `overloaded_error`). */
  readonly retryable?: boolean;
  /**
   * A 429 that says the key's quota is spent, not that it sends too fast (a Gemini per-day
   * QuotaFailure); without it, OpenAI's `insufficient_quota` type or code says so.
   */
  readonly quotaSpent?: boolean;
  /**
   * The status the client is told where the upstream's would misname the failure (Bedrock's 424
   * for a model that failed reads as the client's mistake); the message, `upstream_status` and
   * the retryability keep the upstream's status.
   */
  readonly clientStatus?: number;
}

/**
 * The one shape of an upstream HTTP failure: LIP_ERR_UPSTREAM_STATUS carrying the upstream
 * status (a non-retryable 4xx reaches the client with it), retryable for 408, 409, 429 and 5xx
 * (CONTRACT section 7), the Retry-After in seconds, and a sanitised message; a 404 that says the
 * model does not exist is marked `detail.model_not_found` (OpenAI clients read `model_not_found`); a 429 saying
 * the quota is spent is LIP_ERR_UPSTREAM_QUOTA_EXCEEDED (quotaExceeded). A status that is
 * not an error status (a 3xx redirect lip does not follow, a 1xx, anything past 599) is 502 and
 * retryable: relayed, it would tell the client to follow a redirect it was never given (a 304
 * even drops the error body). `detail.upstream_status` keeps the upstream's own status.
 *
 * ```ts
 * upstreamStatusError({ backendId: 'openai', status: 400, message: 'bad tool schema', retryAfterMs: undefined, secrets })
 * // LipError LIP_ERR_UPSTREAM_STATUS, status 400, retryable false
 * ```
 */
export function upstreamStatusError(info: UpstreamStatusInfo): LipError {
  const text = info.message ? sanitizeMessage(info.message, info.secrets) : '';
  if (CONTEXT_STATUSES.has(info.status) && (saysContextExceeded(text) || saysContextExceeded(info.upstreamType ?? ''))) {
    return contextExceeded(info.backendId, text, { upstream_status: info.status, ...(info.upstreamType ? { upstream_type: info.upstreamType } : {}) });
  }
  if (info.status === 429 && (info.quotaSpent ?? (info.upstreamCode === 'insufficient_quota' || info.upstreamType === 'insufficient_quota'))) {
    return quotaExceeded(info.backendId, text, info.upstreamType);
  }
  const retryAfter = info.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(info.retryAfterMs / 1000));
  const relayed = relayableStatus(info.status);
  const missingModel = info.status === 404 && (info.upstreamCode === 'model_not_found' || saysModelNotFound(text) || saysModelNotFound(info.upstreamType ?? ''));
  return new LipError('LIP_ERR_UPSTREAM_STATUS', `backend "${info.backendId}": upstream status ${info.status}${relayed ? '' : info.status >= 300 && info.status < 400 ? ' (lip does not follow redirects)' : ' (not an error status)'}${text ? `: ${text}` : ''}`, {
    status: info.clientStatus ?? (relayed ? info.status : 502),
    retryable: info.retryable ?? (!relayed || isRetryableStatus(info.status)),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    detail: {
      backend: info.backendId, upstream_status: info.status, ...(info.upstreamType ? { upstream_type: info.upstreamType } : {}),
      ...(info.upstreamReason ? { upstream_reason: info.upstreamReason } : {}), ...(missingModel ? { model_not_found: true } : {}),
    },
  });
}

/**
 * How providers word a 404 for a model they do not have (the status alone may be a wrong path):
 * OpenAI's `model_not_found` ("The model `x` does not exist or you do not have access to it",
 * vLLM words it alike, Ollama `model "x" not found, try pulling it first`), Anthropic's
 * `not_found_error` "model: x", Gemini's "models/x is not found for API version v1beta". The
 * "not found" must be in the sentence that names the model: a dot followed by a space or the end
 * ends it, a dot inside a name (`gpt-4.1-mini`, `qwen2.5:7b`) does not.
 */
const MODEL_NOT_FOUND = /model_not_found|\bmodel\b(?:[^.\n]|\.(?=\S)){0,200}?(?:does not exist|not found)|^model: |\bmodels\/\S+ is not found/i;

/** Whether an upstream's 404 message or error code says the model does not exist there. */
function saysModelNotFound(text: string): boolean {
  return text.length > 0 && MODEL_NOT_FOUND.test(text.length > 4096 ? text.slice(0, 4096) : text);
}

/** The statuses a context-window refusal comes with (OpenAI, Anthropic, Gemini, Bedrock: 400; some compatible servers 413 or 422). */
const CONTEXT_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/**
 * How providers and compatible servers word "the request is longer than the model's context
 * window": OpenAI's `context_length_exceeded` and "maximum context length" (vLLM, DeepSeek,
 * OpenRouter word it alike), the Responses API's "exceeds the context window", Anthropic's
 * "prompt is too long", Gemini's "exceeds the maximum number of tokens allowed", Bedrock's "Input is
 * too long", llama.cpp's `exceed_context_size_error`.
 */
const CONTEXT_EXCEEDED = /context_length_exceeded|model_context_window_exceeded|exceed_context_size|maximum context length|context length (?:is )?exceeded|prompt is too long|input is too long|exceeds? the maximum number of tokens|exceeds? (?:the |its |your )?(?:model'?s? )?(?:available )?context (?:window|size|length)/i;

/** Whether an upstream message or error code says the request does not fit the model's context window. */
export function saysContextExceeded(text: string): boolean {
  return text.length > 0 && CONTEXT_EXCEEDED.test(text.length > 4096 ? text.slice(0, 4096) : text);
}

/**
 * LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED: the request is too long for this candidate's model. A 4xx,
 * so not retryable (CONTRACT section 7) unless `routing.context_overflow: next` makes the
 * executor try the next candidate (a larger window); never a circuit failure; the client gets
 * its protocol's context-window error.
 */
function contextExceeded(backendId: string, text: string, detail: Record<string, unknown>): LipError {
  return new LipError('LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED', `backend "${backendId}": the prompt is too long for the model's context window${text ? `: ${text}` : ''}`, {
    status: 400, detail: { backend: backendId, ...detail },
  });
}

/**
 * LIP_ERR_UPSTREAM_QUOTA_EXCEEDED: the upstream's 429 says the quota of the key sent is spent
 * (OpenAI's `insufficient_quota`: no credit left; a Gemini per-day quota), which no wait of
 * seconds renews. Retryable, so the next key and the next candidate are tried, but without the
 * upstream's Retry-After (Gemini gives a few seconds all the same): the key sits out
 * QUOTA_COOLDOWN_MS (KeyRotation), and a client whose every candidate failed so is told not to retry.
 */
function quotaExceeded(backendId: string, text: string, upstreamType: string | undefined): LipError {
  return new LipError('LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', `backend "${backendId}": the upstream says the quota is spent${text ? `: ${text}` : ''}`, {
    status: 429, detail: { backend: backendId, upstream_status: 429, ...(upstreamType ? { upstream_type: upstreamType } : {}) },
  });
}

/** Whether an upstream status can be a client's status as it is: the 4xx and 5xx error statuses. */
export function relayableStatus(status: number): boolean {
  return status >= 400 && status <= 599;
}

/** An error the upstream reported inside a stream that had started (LIP_ERR_UPSTREAM_STREAM_ERROR). */
export function upstreamStreamError(backendId: string, message: string | undefined, secrets: readonly string[], options: { retryable?: boolean; upstreamType?: string; status?: number } = {}): LipError {
  const text = message ? sanitizeMessage(message, secrets) : 'the upstream reported an error';
  if (saysContextExceeded(message ? text : '') || saysContextExceeded(options.upstreamType ?? '')) {
    return contextExceeded(backendId, message ? text : '', options.upstreamType ? { upstream_type: options.upstreamType } : {});
  }
  return new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', `backend "${backendId}": ${text}`, {
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.retryable !== undefined ? { retryable: options.retryable } : {}),
    detail: { backend: backendId, ...(options.upstreamType ? { upstream_type: options.upstreamType } : {}) },
  });
}

/** A frame that breaks the provider's protocol (bad JSON, impossible order). */
export function malformedFrame(backendId: string, what: string): LipError {
  return new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${backendId}": malformed upstream stream: ${what}`, { detail: { backend: backendId } });
}

/**
 * A body that ended without the provider's finish (a stream's terminal frame, a whole answer's
 * finish): LIP_ERR_UPSTREAM_EMPTY_STREAM when none of it was output, LIP_ERR_UPSTREAM_RESET
 * after output; both retryable (only before output does routing move on).
 */
export function endedBeforeFinish(backendId: string, output: boolean, what: 'stream' | 'answer'): LipError {
  const detail = { backend: backendId };
  return output
    ? new LipError('LIP_ERR_UPSTREAM_RESET', `backend "${backendId}": the upstream ${what} ended before its final event`, { detail })
    : new LipError('LIP_ERR_UPSTREAM_EMPTY_STREAM', `backend "${backendId}": the upstream ${what} ended before any output`, { detail });
}

/** Parses one SSE data payload as a JSON object, or throws LIP_ERR_UPSTREAM_MALFORMED. */
export function parseFrame(backendId: string, data: string): Record<string, any> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw malformedFrame(backendId, `a data frame is not JSON (${JSON.stringify(data.slice(0, 80))})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformedFrame(backendId, 'a data frame is not a JSON object');
  return value as Record<string, any>;
}
