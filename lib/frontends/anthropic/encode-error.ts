import { errorHeaders } from '../error-envelope.js';
import type { LipError } from '../../errors/index.js';
import { errorTypeForStatus } from '../error-types.js';
import type { ErrorResponse } from '../protocol.js';

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`. */
export function anthropicErrorBody(err: LipError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: errorTypeForStatus(err.status), message: err.message } };
}

/** Anthropic's envelope with the error's status, `Retry-After` when the error has one, `x-should-retry: false` when it must not be retried. */
export function encodeAnthropicError(err: LipError): ErrorResponse {
  return {
    status: err.status,
    ...errorHeaders(err),
    body: anthropicErrorBody(err),
  };
}
