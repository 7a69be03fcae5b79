import type { Frontend } from '../protocol.js';
import { continuedResponse } from './continued.js';
import { conversationRoutes } from './conversations.js';
import { responsesCountTokensRoute } from './count-tokens.js';
import { encodeResponsesError } from './encode-error.js';
import { responsesModelRoutes } from './model-list.js';
import { responsesRoutes } from './routes.js';

/**
 * OpenAI Responses: `POST /v1/responses`, streaming and not; stored responses by id (`GET` and
 * `DELETE /v1/responses/{id}`, `GET /v1/responses/{id}/input_items`); `POST
 * /v1/responses/input_tokens`; the Conversations API (`/v1/conversations` and its items); `GET /v1/models`.
 */
export const openaiResponsesFrontend: Frontend = {
  id: 'openai-responses',
  routes: responsesRoutes,
  streamContentType: 'text/event-stream; charset=utf-8',
  optionFields: { temperature: 'temperature', topP: 'top_p', presencePenalty: 'presence_penalty', frequencyPenalty: 'frequency_penalty', maxOutputTokens: 'max_output_tokens', verbosity: 'text.verbosity' },
  messagesField: 'input',
  encodeError: encodeResponsesError,
  modelRoutes: responsesModelRoutes,
  countTokensRoute: responsesCountTokensRoute,
  resourceRoutes: conversationRoutes,
  continued: continuedResponse,
  claimsPath: (pathname) => (pathname.startsWith('/v1/') ? 'prefix' : undefined),
};
