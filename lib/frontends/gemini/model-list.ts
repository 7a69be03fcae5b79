import type { ModelEntry, ModelListRoute, RequestContext } from '../protocol.js';

/** The methods lip answers for any model, whatever serves it (`countTokens` estimates where no backend counts). */
const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'];
/** The embedding methods, for a model lip can embed with (ModelEntry.embeds). */
const EMBED_METHODS = ['embedContent', 'batchEmbedContents', 'asyncBatchEmbedContent'];

/**
 * `GET /v1beta/models` in Gemini's shape: `{"models":[{"name":"models/<id>", ...,
 * "supportedGenerationMethods":[...]}]}`: the methods lip serves for any model, and the embedding
 * ones where it can embed with the model. The `<id>` is usable in the generate path as it is
 * (`/v1beta/models/backend:model:generateContent`).
 */
export function geminiModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  return { models: models.map(geminiModel) };
}

/** One model in Gemini's shape (`GET /v1beta/models/{id}` answers it alone). */
export function geminiModel(m: ModelEntry): Record<string, unknown> {
  const info = m.info;
  return {
    name: `models/${m.id}`,
    baseModelId: m.id,
    version: '1',
    displayName: info?.displayName ?? m.id,
    description: m.ownedBy === 'lip' ? 'a lip model alias' : `served by the lip backend "${m.ownedBy}"`,
    // The model catalog's limits, when it knows them (`model_catalog`).
    ...(info?.inputTokens !== undefined ? { inputTokenLimit: info.inputTokens } : {}),
    ...(info?.outputTokens !== undefined ? { outputTokenLimit: info.outputTokens } : {}),
    supportedGenerationMethods: m.embeds === true ? [...METHODS, ...EMBED_METHODS] : METHODS,
    ...(info?.thinking !== undefined ? { thinking: info.thinking } : {}),
  };
}

/**
 * Whether a request to a path Gemini shares with OpenAI (`/v1/models`: the SDKs' `apiVersion:
 * 'v1'`) is a Gemini client's: Google's key header, the Gemini SDKs' `x-goog-api-client`, or a
 * `?key=` (Google's REST form). An OpenAI client sends none of them.
 */
export function fromGeminiClient(headers: RequestContext['headers'], query: URLSearchParams): boolean {
  return headers['x-goog-api-key'] !== undefined || headers['x-goog-api-client'] !== undefined || query.has('key');
}

export const geminiModelRoutes: readonly ModelListRoute[] = [
  { path: '/v1beta/models', encode: geminiModelList, encodeOne: geminiModel },
  { path: '/v1beta1/models', encode: geminiModelList, encodeOne: geminiModel },
  { path: '/v1alpha/models', encode: geminiModelList, encodeOne: geminiModel },
  // OpenAI's list too: Gemini's answer for a Gemini client's request, asked before OpenAI's (as Anthropic's is).
  { path: '/v1/models', accepts: (context) => fromGeminiClient(context.headers, context.query), encode: geminiModelList, encodeOne: geminiModel },
];
