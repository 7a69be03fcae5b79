import type { CountTokensRoute } from '../protocol.js';
import { betasOf, decodeMessagesRequest, refuseUserProfile } from './decode-request.js';
import { resolveAnthropicFiles } from './files.js';

/**
 * `POST /v1/messages/count_tokens`: a Messages request without `max_tokens`, answered
 * `{"input_tokens": N}`. The body is checked like a Messages request (a 400 names the field; the
 * canonical checks too, server/handle-count-tokens.ts: no messages is the generation's 400).
 * lip's own estimate says so: `"estimated": true` beside the count (and the
 * `x-lip-token-count: estimate` header the server adds). A `thread` `continue` counts the thread
 * as its generation would send it (the stored turns, the thread's system and tools, then the
 * request's messages: server/continued-conversation.ts); nothing is stored.
 */
export const anthropicCountTokensRoute: CountTokensRoute = {
  path: '/v1/messages/count_tokens',
  resolveReferences: resolveAnthropicFiles,
  decode(body, context) {
    refuseUserProfile(context.headers);
    const withLimit = body !== null && typeof body === 'object' && !Array.isArray(body) && (body as { max_tokens?: unknown }).max_tokens === undefined
      ? { ...(body as Record<string, unknown>), max_tokens: 1 }
      : body;
    const { call, continuation, origins } = decodeMessagesRequest(withLimit, betasOf(context.headers['anthropic-beta']));
    // A thread's continue: the stored thread comes first (a create has nothing before it).
    const continues = { ...(continuation?.previousResponseId !== undefined ? { continuation } : {}), ...(origins ? { origins } : {}) };
    // The stand-in limit is not the client's: a backend encodes the call with its own default.
    if (withLimit === body) return { call, ...continues };
    const { maxOutputTokens: _, ...options } = call.options;
    return { call: { ...call, options }, ...continues };
  },
  encode: (count) => ({ input_tokens: count.inputTokens, ...(count.estimated ? { estimated: true } : {}) }),
};
