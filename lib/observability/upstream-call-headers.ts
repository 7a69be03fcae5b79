import { headerValue } from '../wire/index.js';
import type { AttemptSpan, RequestTrace } from './tracing.js';

/**
 * The longest `X-Request-Id` lip sends upstream: a batch's id and an OpenAI custom_id of 512
 * printable ASCII characters pass whole; a longer id (a Gemini file batch's key has no limit) is
 * cut, so that no upstream refuses the request's headers as too large (431).
 */
const MAX_UPSTREAM_REQUEST_ID = 1024;

/**
 * The headers that name request `requestId` to an upstream call: its `x-request-id`, and the W3C
 * trace context of the attempt's span, else of the request's (an unrecorded trace makes no
 * attempt span: its ids go, flag 00). The id goes as it is when a header can carry it (a
 * client's sane id, a UUID, a batch's `{batch}/{custom_id}` of printable ASCII); otherwise what a
 * header cannot carry (a custom_id in Japanese, an emoji, a line break, a control character) is
 * percent-encoded as UTF-8, `%` with it, and it is cut at 1,024 characters (headerValue). The
 * same request always sends the same id, and the HTTP client never refuses it.
 *
 * @see spec/observability/upstream-call-headers.spec.ts
 */
export function upstreamCallHeaders(requestId: string, trace: RequestTrace | undefined, span?: AttemptSpan): Record<string, string> {
  const id = { 'x-request-id': headerValue(requestId, MAX_UPSTREAM_REQUEST_ID) };
  return span ? { ...id, ...span.headers } : trace ? { ...id, ...trace.propagation } : id;
}
