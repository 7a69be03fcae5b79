import type { CountTokensRoute } from '../protocol.js';
import { decodeResponsesRequest } from './decode-request.js';
import { badField } from './decode-input.js';
import { resolveStoredInput } from './resolve-stored.js';

/** Stands in for a missing model while the body is checked like a Responses request. */
const NO_MODEL = 'lip-count-without-model';

/**
 * `POST /v1/responses/input_tokens` (`client.responses.inputTokens.count`), answered
 * `{"object": "response.input_tokens", "input_tokens": N}`. The body is a Responses request
 * whose `model` and `input` may be missing (no model: the default route; no input: the
 * instructions and tools alone); `previous_response_id` counts the stored conversation too.
 * Fields that shape the answer (`stream`, `max_output_tokens`, ...) do not count and are not
 * required; otherwise the body is checked as a response's (server/handle-count-tokens.ts). lip's
 * own estimate says so: `"estimated": true`.
 */
export const responsesCountTokensRoute: CountTokensRoute = {
  path: '/v1/responses/input_tokens',
  decode(body) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('body', 'must be a JSON object');
    const { stream: _, ...b } = body as Record<string, unknown>;
    const modelless = b.model === undefined || b.model === null;
    const decoded = decodeResponsesRequest({
      ...b,
      ...(modelless ? { model: NO_MODEL } : {}),
      ...(b.input === undefined && (b.previous_response_id === undefined || b.previous_response_id === null) ? { input: [] } : {}),
    });
    const call = modelless ? { ...decoded.call, model: '' } : decoded.call;
    const origins = decoded.origins ? { origins: decoded.origins } : {};
    return decoded.continuation?.previousResponseId !== undefined ? { call, continuation: decoded.continuation, ...origins } : { call, ...origins };
  },
  // No input counts the instructions and tools alone; the other checks are a response's.
  messagesOptional: true,
  resolveReferences: resolveStoredInput,
  encode: (count) => ({ object: 'response.input_tokens', input_tokens: count.inputTokens, ...(count.estimated ? { estimated: true } : {}) }),
};
