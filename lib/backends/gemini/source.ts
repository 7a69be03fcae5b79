import type { Call } from '../../canonical/index.js';
import { HOSTED_DIALECTS } from '../../canonical/index.js';
import { countAt } from '../count-tokens.js';
import type { Backend, BackendDeps, BackendRow, KindDefaults } from '../backend.js';
import { HttpBackend, type HttpProtocol } from '../http/index.js';
import { endpointUrl, presentedIdentity } from '../http/index.js';
import { webSearchTool } from '../web-search.js';
import { classifyGeminiStatus, geminiKeyRejected } from './classify-error.js';
import { BATCH_EMBED_MAX, batchEmbedBody, readBatchEmbeddings } from './embeddings.js';
import { GeminiResponseDecoder } from './decode-response.js';
import { GeminiStreamDecoder } from './decode-stream.js';
import { encodeGeminiRequest } from './encode-request.js';
import { geminiOptions, modelResource, modelUrl, type GeminiOptions } from './options.js';
import { GEMINI_REASONING } from '../reasoning-replay.js';

export function geminiHeaders(o: GeminiOptions, key: string | undefined, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, ...o.headers };
  if (key !== undefined) {
    if (o.auth === 'bearer') headers.authorization = `Bearer ${key}`;
    else headers['x-goog-api-key'] = key;
  }
  return headers;
}

/**
 * `{"models": [{"name": "models/gemini-2.5-flash", "supportedGenerationMethods": [...]}]}` -> ids.
 * Gemini leaves an empty list out (`{}`); anything else without a `models` array (an `error`, an
 * OpenAI-style `data` list, not an object) is not a model list: undefined.
 */
export function parseGeminiModelList(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { models } = body as { models?: unknown };
  if (models === undefined && !['error', 'data', 'object'].some((k) => k in body)) return [];
  if (!Array.isArray(models)) return undefined;
  return models
    .filter((m) => !Array.isArray(m?.supportedGenerationMethods) || m.supportedGenerationMethods.includes('generateContent'))
    .map((m) => m?.name)
    .filter((name): name is string => typeof name === 'string')
    .map((name) => name.replace(/^models\//, ''))
    .sort();
}

/**
 * Gemini over HTTP: `POST .../models/{model}:streamGenerateContent?alt=sse` (`:generateContent`
 * when `whole`), `:countTokens`, `:batchEmbedContents` (at most BATCH_EMBED_MAX inputs per call);
 * `GET .../models`.
 */
export function geminiProtocol(row: BackendRow, defaults: KindDefaults): HttpProtocol {
  const o = geminiOptions(row);
  return {
    ...(defaults.keyEnv ? { defaultKeyEnv: defaults.keyEnv } : {}),
    requiresKey: defaults.keyEnv !== undefined,
    identity: presentedIdentity(defaults),
    reasoning: GEMINI_REASONING,
    defaultModels: defaults.models,
    // A long answer Gemini stops for the client to resume (CONTINUATION) is resumed here, with its token.
    resumedAnswer: (call, continuationToken) => ({ ...call, providerOptions: { ...call.providerOptions, gemini: { ...call.providerOptions?.gemini, continuationToken } } }),
    generate: (call, target, key) => ({
      method: 'POST',
      url: modelUrl(o, target.model, row.id, target.whole ? ':generateContent' : ':streamGenerateContent?alt=sse'),
      headers: geminiHeaders(o, key, target.whole ? 'application/json' : 'text/event-stream'),
      body: JSON.stringify(encodeGeminiRequest(call, o.providerOptions, target.model)),
    }),
    decoder: (call, _target, secrets) => new GeminiStreamDecoder(row.id, secrets, grounded(call), groundedAsWritten(call)),
    response: (call, _target, secrets) => new GeminiResponseDecoder(row.id, secrets, grounded(call), groundedAsWritten(call)),
    statusError: (status, text, headers, wait, secrets) => classifyGeminiStatus(row.id, status, text, headers, wait, secrets),
    // A key Gemini does not take is a 400 API_KEY_INVALID (or a 403 for a blocked key or project), not a 401.
    keyRejected: geminiKeyRejected,
    // The whole request counts (system instruction and tools too), not only `contents`.
    countTokens: {
      request: (call, model, key) => ({
        method: 'POST', url: modelUrl(o, model, row.id, ':countTokens'), headers: geminiHeaders(o, key, 'application/json'),
        body: JSON.stringify({ generateContentRequest: { model: modelResource(model), ...encodeGeminiRequest(call, o.providerOptions, model) } }),
      }),
      parse: (body) => countAt(body, 'totalTokens'),
    },
    embed: {
      request: (request, model, key) => ({
        method: 'POST', url: modelUrl(o, model, row.id, ':batchEmbedContents'), headers: geminiHeaders(o, key, 'application/json'),
        body: JSON.stringify(batchEmbedBody(request, model)),
      }),
      parse: readBatchEmbeddings,
      maxInputs: BATCH_EMBED_MAX,
    },
    models: {
      request: (key) => ({ method: 'GET', url: endpointUrl(o.baseUrl, `/${o.apiVersion}/models?pageSize=1000`), headers: geminiHeaders(o, key, 'application/json') }),
      parse: parseGeminiModelList,
    },
  };
}

/**
 * Whether the answer may be grounded on pages, so that its text is kept for the citation
 * offsets: the call declares a web search, or URL context (Gemini grounds an answer on the pages
 * it read as it does on search results, with `groundingChunks` and `groundingSupports` but no
 * queries: citations, and no search).
 */
function grounded(call: Call): boolean {
  return webSearchTool(call) !== undefined || call.tools.some((t) => t.kind === 'hosted' && t.name === 'urlContext' && t.providerTool?.dialect === HOSTED_DIALECTS.gemini);
}

/** Gemini's built-ins that ground an answer on sources with no canonical form: places, documents, data stores. */
const GROUNDING_BUILTINS: ReadonlySet<string> = new Set(['googleMaps', 'fileSearch', 'retrieval', 'enterpriseWebSearch', 'exaAiSearch', 'parallelAiSearch']);

/**
 * Whether the answer's grounding is reported as written as well (a record of the message): the
 * call declares a built-in whose sources only a Gemini client can read as Gemini wrote them
 * (Google Maps places and their widget token, File Search's documents, ...).
 */
function groundedAsWritten(call: Call): boolean {
  return call.tools.some((t) => t.kind === 'hosted' && t.providerTool?.dialect === HOSTED_DIALECTS.gemini && GROUNDING_BUILTINS.has(t.name));
}

export const GEMINI_DEFAULTS: KindDefaults = { keyEnv: 'GEMINI_API_KEY', models: ['gemini-2.5-flash'] };

/** Builds a Gemini backend for a row (the BackendFactory of this protocol). */
export function geminiBackend(row: BackendRow, deps: BackendDeps, defaults: KindDefaults = GEMINI_DEFAULTS): Backend {
  return new HttpBackend(row, deps, row.kind, geminiProtocol(row, defaults));
}
