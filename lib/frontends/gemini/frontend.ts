import type { Frontend } from '../protocol.js';
import { geminiBatchRoutes } from './batches.js';
import { cachedContentRoutes } from './cached-contents.js';
import { geminiFileRoutes } from './files.js';
import { geminiCountTokensRoute } from './count-tokens.js';
import { geminiEmbeddingsRoutes } from './embeddings.js';
import { encodeGeminiError } from './encode-error.js';
import { fromGeminiClient, geminiModelRoutes } from './model-list.js';
import { geminiRoutes } from './routes.js';

/**
 * Gemini: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
 * `:countTokens`, `:embedContent` and `:batchEmbedContents`; `GET /v1beta/models`; the
 * `cachedContents` resource (context caching, held by lip: cached-contents.ts); batches of
 * generateContent requests (`:batchGenerateContent`, `/v1beta/batches`: batches.ts). The
 * versioned paths also under `/v1beta1/`, `/v1alpha/` and `/v1/` (model-path.ts), where
 * `/v1/models` is a Gemini client's only (model-list.ts: OpenAI's otherwise).
 */
export const geminiFrontend: Frontend = {
  id: 'gemini',
  routes: geminiRoutes,
  streamContentType: 'text/event-stream',
  optionFields: {
    temperature: 'generationConfig.temperature', topP: 'generationConfig.topP', topK: 'generationConfig.topK',
    maxOutputTokens: 'generationConfig.maxOutputTokens', stopSequences: 'generationConfig.stopSequences',
    presencePenalty: 'generationConfig.presencePenalty', frequencyPenalty: 'generationConfig.frequencyPenalty',
    seed: 'generationConfig.seed', 'reasoning.budgetTokens': 'generationConfig.thinkingConfig.thinkingBudget',
  },
  messagesField: 'contents',
  encodeError: encodeGeminiError,
  modelRoutes: geminiModelRoutes,
  countTokensRoute: geminiCountTokensRoute,
  embeddingsRoutes: geminiEmbeddingsRoutes,
  resourceRoutes: [...cachedContentRoutes, ...geminiFileRoutes],
  batchRoutes: geminiBatchRoutes,
  queryKey: 'key',
  keyHint: 'x-goog-api-key: <key> (or ?key=<key>)',
  claimsPath: (pathname, headers, query) => (/^\/(upload\/)?v1(?:beta1?|alpha)\//.test(pathname) || /^\/v1\/models\/[^/]*:/.test(pathname)
    || (/^\/v1\/models(?:\/|$)/.test(pathname) && fromGeminiClient(headers, query)) ? 'exact' : undefined),
};
