import { contextOverflow, errorHeaders } from '../error-envelope.js';
import type { LipError } from '../../errors/index.js';
import { errorTypeForStatus } from '../error-types.js';
import type { ErrorResponse } from '../protocol.js';

type AnthropicErrorBody = { type: 'error'; error: { type: string; message: string; details?: { error_code: string } }; request_id?: string };

/**
 * Anthropic's error body: `{"type":"error","error":{"type","message"}}`, and the request's id
 * (`request_id`) when it is known, as Anthropic's answers name it. A thread lip does not hold has
 * Anthropic's `details.error_code` too (threadErrorCode); a request lip found too long for every
 * candidate is worded as Anthropic's own refusal, "prompt is too long: N tokens > M maximum".
 */
export function anthropicErrorBody(err: LipError, requestId?: string): AnthropicErrorBody {
  const code = threadErrorCode(err);
  const over = contextOverflow(err);
  const message = over ? `prompt is too long: ${over.tokens} tokens > ${over.limit} maximum (${err.message})` : err.message;
  const body = { type: 'error' as const, error: { type: errorTypeForStatus(err.status), message, ...(code ? { details: { error_code: code } } : {}) } };
  return requestId === undefined ? body : { ...body, request_id: requestId };
}

/**
 * `thread_not_found` for the 404 of a `thread.previous_message_id` lip does not hold (unknown,
 * expired, stored at another lip, its chain broken): the code on which the SDK replays the whole
 * history under a new thread (its ThreadState's REPLAY_ERROR_CODES), as after Anthropic lost one.
 */
function threadErrorCode(err: LipError): string | undefined {
  return err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' && err.param === 'thread.previous_message_id' ? 'thread_not_found' : undefined;
}

/** Anthropic's envelope with the error's status, `Retry-After` when the error has one, `x-should-retry: false` when it must not be retried. */
export function encodeAnthropicError(err: LipError, requestId?: string): ErrorResponse {
  return {
    status: err.status,
    ...errorHeaders(err),
    body: anthropicErrorBody(err, requestId),
  };
}
