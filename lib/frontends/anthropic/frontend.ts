import type { Frontend } from '../protocol.js';
import { anthropicCountTokensRoute } from './count-tokens.js';
import { encodeAnthropicError } from './encode-error.js';
import { anthropicBatchRoutes } from './message-batches.js';
import { anthropicModelRoutes } from './model-list.js';
import { anthropicRateLimitHeaders } from './rate-limit-headers.js';
import { anthropicRoutes } from './routes.js';

/** Anthropic Messages: `POST /v1/messages`, streaming and not; `GET /v1/models` with `anthropic-version`; Message Batches. */
export const anthropicFrontend: Frontend = {
  id: 'anthropic',
  routes: anthropicRoutes,
  streamContentType: 'text/event-stream; charset=utf-8',
  optionFields: {
    temperature: 'temperature', topP: 'top_p', topK: 'top_k', maxOutputTokens: 'max_tokens', stopSequences: 'stop_sequences',
    'reasoning.budgetTokens': 'thinking.budget_tokens',
  },
  encodeError: encodeAnthropicError,
  rateLimitHeaders: (state) => anthropicRateLimitHeaders(state),
  modelRoutes: anthropicModelRoutes,
  countTokensRoute: anthropicCountTokensRoute,
  batchRoutes: anthropicBatchRoutes,
  claimsPath: (pathname, headers) => (pathname.startsWith('/v1/') && (pathname.startsWith('/v1/messages') || headers['anthropic-version'] !== undefined) ? 'exact' : undefined),
};
