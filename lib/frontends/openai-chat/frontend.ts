import type { Frontend } from '../protocol.js';
import { openAIBatchRoutes } from './batches.js';
import { chatEmbeddingsRoute } from './embeddings.js';
import { encodeChatError } from './encode-error.js';
import { chatModelRoutes } from './model-list.js';
import { chatRoutes } from './routes.js';
import { storedCompletionRoutes } from './stored-completions.js';

/** OpenAI Chat Completions: `POST /v1/chat/completions`, streaming and not, and its stored completions; `POST /v1/embeddings`; `GET /v1/models`; the Batch and Files APIs. */
export const openaiChatFrontend: Frontend = {
  id: 'openai-chat',
  routes: chatRoutes,
  streamContentType: 'text/event-stream; charset=utf-8',
  optionFields: {
    temperature: 'temperature', topP: 'top_p', maxOutputTokens: ['max_completion_tokens', 'max_tokens'], stopSequences: 'stop',
    presencePenalty: 'presence_penalty', frequencyPenalty: 'frequency_penalty', seed: 'seed', verbosity: 'verbosity',
  },
  encodeError: encodeChatError,
  modelRoutes: chatModelRoutes,
  embeddingsRoutes: [chatEmbeddingsRoute],
  batchRoutes: openAIBatchRoutes,
  resourceRoutes: storedCompletionRoutes,
  claimsPath: (pathname) => (pathname.startsWith('/v1/') ? 'prefix' : undefined),
};
