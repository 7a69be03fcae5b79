import { contextOverflow, errorHeaders } from '../error-envelope.js';
import type { LipError } from '../../errors/index.js';
import type { ErrorResponse } from '../protocol.js';

/** google.rpc status names by HTTP status. */
export function rpcStatus(status: number): string {
  switch (status) {
    case 400: case 413: case 415: case 422: return 'INVALID_ARGUMENT';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'NOT_FOUND';
    case 405: return 'UNIMPLEMENTED';
    case 409: return 'ABORTED';
    case 429: return 'RESOURCE_EXHAUSTED';
    case 499: return 'CANCELLED';
    case 501: return 'UNIMPLEMENTED';
    // 529: Anthropic's overloaded.
    case 503: case 529: return 'UNAVAILABLE';
    case 504: return 'DEADLINE_EXCEEDED';
    default: return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/**
 * Google's error object: `{code, message, status}` plus `details`: an ErrorInfo whose `reason`
 * is the lip error code, a BadRequest field violation naming the offending field, and a
 * RetryInfo when the error knows when to retry (the Retry-After header's whole seconds, as
 * `retryDelay: "17s"`: Gemini clients such as gemini-cli read the wait there, as on Google's own
 * 429). A request lip found too long for every candidate is worded as Gemini's own refusal.
 */
export function geminiErrorObject(err: LipError): Record<string, unknown> {
  const details: Record<string, unknown>[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: err.code, domain: 'lip' }];
  if (err.param) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: err.param, description: err.message }] });
  if (err.retryAfter !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(err.retryAfter)}s` });
  const over = contextOverflow(err);
  const message = over ? `The input token count (${over.tokens}) exceeds the maximum number of tokens allowed (${over.limit}). (${err.message})` : err.message;
  return { code: err.status, message, status: rpcStatus(err.status), details };
}

/** Google's envelope, `{"error":{...}}`, with `Retry-After` when the error has one (`x-should-retry: false` when it must not be retried). */
export function encodeGeminiError(err: LipError): ErrorResponse {
  return {
    status: err.status,
    ...errorHeaders(err),
    body: { error: geminiErrorObject(err) },
  };
}
