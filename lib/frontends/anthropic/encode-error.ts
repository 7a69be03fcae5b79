import { errorHeaders } from '../error-envelope.js';
import type { LipError } from '../../errors/index.js';
import { errorTypeForStatus } from '../error-types.js';
import type { ErrorResponse } from '../protocol.js';

/**
 * Anthropic's error body: `{"type":"error","error":{"type","message"}}`, and the request's id
 * (`request_id`) when it is known, as Anthropic's answers name it.
 */
export function anthropicErrorBody(err: LipError, requestId?: string): { type: 'error'; error: { type: string; message: string }; request_id?: string } {
  const body = { type: 'error' as const, error: { type: errorTypeForStatus(err.status), message: err.message } };
  return requestId === undefined ? body : { ...body, request_id: requestId };
}

/** Anthropic's envelope with the error's status, `Retry-After` when the error has one, `x-should-retry: false` when it must not be retried. */
export function encodeAnthropicError(err: LipError, requestId?: string): ErrorResponse {
  return {
    status: err.status,
    ...errorHeaders(err),
    body: anthropicErrorBody(err, requestId),
  };
}
