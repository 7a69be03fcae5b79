import { retryAfterHeaders } from '../error-envelope.js';
import type { LipError } from '../../errors/index.js';
import { errorTypeForStatus } from '../error-types.js';
import type { ErrorResponse } from '../protocol.js';

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`. */
export function anthropicErrorBody(err: LipError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: errorTypeForStatus(err.status), message: err.message } };
}

/** Anthropic's envelope with the error's status, and `Retry-After` when the error has one. */
export function encodeAnthropicError(err: LipError): ErrorResponse {
  return {
    status: err.status,
    ...retryAfterHeaders(err),
    body: anthropicErrorBody(err),
  };
}
