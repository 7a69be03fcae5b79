import type { LipError } from '../../errors/index.js';
import { errorTypeForStatus } from '../error-types.js';
import type { ErrorResponse } from '../protocol.js';

/** The OpenAI error object: `{ message, type, param, code }` (`code` is the lip error code). */
export function responsesErrorObject(err: LipError): { message: string; type: string; param: string | null; code: string } {
  return { message: err.message, type: errorTypeForStatus(err.status), param: err.param ?? null, code: err.code };
}

/** OpenAI's envelope, `{"error":{...}}`, with `Retry-After` when the error has one. */
export function encodeResponsesError(err: LipError): ErrorResponse {
  return {
    status: err.status,
    ...(err.retryAfter !== undefined ? { headers: { 'retry-after': String(Math.ceil(err.retryAfter)) } } : {}),
    body: { error: responsesErrorObject(err) },
  };
}
