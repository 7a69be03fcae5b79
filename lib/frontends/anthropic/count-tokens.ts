import type { Call } from '../../canonical/index.js';
import type { CountTokensRoute } from '../protocol.js';
import { betasOf, decodeMessagesRequest } from './decode-request.js';

/**
 * `POST /v1/messages/count_tokens`: a Messages request without `max_tokens`, answered
 * `{"input_tokens": N}`. The body is checked like a Messages request (a 400 names the field).
 * lip's own estimate says so: `"estimated": true` beside the count (and the
 * `x-lip-token-count: estimate` header the server adds).
 */
export const anthropicCountTokensRoute: CountTokensRoute = {
  path: '/v1/messages/count_tokens',
  decode(body: unknown, headers): Call {
    const withLimit = body !== null && typeof body === 'object' && !Array.isArray(body) && (body as { max_tokens?: unknown }).max_tokens === undefined
      ? { ...(body as Record<string, unknown>), max_tokens: 1 }
      : body;
    return decodeMessagesRequest(withLimit, betasOf(headers?.['anthropic-beta'])).call;
  },
  encodeEstimate: (inputTokens) => ({ input_tokens: inputTokens, estimated: true }),
};
