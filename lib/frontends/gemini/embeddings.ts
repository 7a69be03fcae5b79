import { EMBEDDING_LIMITS, type EmbeddingRequest } from '../../canonical/index.js';
import { compileRequestValidator } from '../../wire/index.js';
import type { EmbeddingsRoute } from '../protocol.js';
import { badField } from './decode-contents.js';
import { modelOfPath } from './model-path.js';
import { normalizeKeys } from './normalize-keys.js';


/** One `EmbedContentRequest`, as both methods take it (the batch one per text). */
const embedContent = {
  type: 'object',
  required: ['content'],
  properties: {
    model: { type: 'string' },
    content: {
      type: 'object', required: ['parts'],
      properties: { role: { type: 'string' }, parts: { type: 'array', minItems: 1, items: { type: 'object' } } },
    },
    taskType: { type: 'string' },
    title: { type: 'string' },
    outputDimensionality: { type: 'integer', minimum: 1, maximum: EMBEDDING_LIMITS.dimensions },
  },
};
const validateOne = compileRequestValidator(embedContent);
const validateBatch = compileRequestValidator({
  type: 'object', required: ['requests'],
  properties: { requests: { type: 'array', minItems: 1, maxItems: EMBEDDING_LIMITS.inputs, items: embedContent } },
});

type Json = Record<string, any>; // validated by the schemas above before any field is read

/**
 * `POST /v1beta/models/{model}:embedContent` (one text, answered `{embedding: {values}}`) and
 * `:batchEmbedContents` (one request per text, what the SDK's `models.embedContent` sends,
 * answered `{embeddings: [{values}]}`), also under `/v1/`, `/v1beta1/` and `/v1alpha/`; keys in camelCase or
 * snake_case. A content's text parts are joined by a newline (other parts are refused);
 * `taskType` and `outputDimensionality` must be the same for every request of a batch (one
 * canonical request carries them); `title` is read and not carried.
 */
function route(method: 'embedContent' | 'batchEmbedContents'): EmbeddingsRoute {
  return {
    path: `/v1beta/models/{model}:${method}`,
    match: (pathname) => modelOfPath(pathname, method),
    decode(raw, context) {
      const model = context.params.model ?? '';
      const body = normalizeKeys(raw);
      if (method === 'embedContent') {
        validateOne(body);
        return { request: { model, ...options(body as Json), inputs: [textOf(body as Json, '')] } };
      }
      validateBatch(body);
      const requests = (body as Json).requests as Json[];
      requests.forEach((r, i) => sameRequest(r, requests[0]!, model, `requests[${i}]`));
      return { request: { model, ...options(requests[0]!), inputs: requests.map((r, i) => textOf(r, `requests[${i}].`)) } };
    },
    encode: (result) => (method === 'embedContent'
      ? { embedding: { values: result.vectors[0] } }
      : { embeddings: result.vectors.map((values) => ({ values })) }),
  };
}

/** The text of a request's content: its text parts joined; a part of another kind is a 400 naming it. */
function textOf(request: Json, at: string): string {
  const parts = request.content.parts as Json[];
  return parts.map((part, i) => {
    if (typeof part.text !== 'string') throw badField(`${at}content.parts[${i}]`, 'only text parts can be embedded', true);
    return part.text as string;
  }).join('\n');
}

/** `taskType` and `outputDimensionality` as canonical options. */
function options(request: Json): Pick<EmbeddingRequest, 'taskType' | 'dimensions'> {
  return {
    ...(typeof request.taskType === 'string' ? { taskType: request.taskType } : {}),
    ...(typeof request.outputDimensionality === 'number' ? { dimensions: request.outputDimensionality } : {}),
  };
}

/** A batch request must name the path's model (when it names one) and ask what the first one asks. */
function sameRequest(request: Json, first: Json, model: string, at: string): void {
  if (typeof request.model === 'string' && request.model.replace(/^models\//, '') !== model) {
    throw badField(`${at}.model`, `must be the model of the path, models/${model} (got ${JSON.stringify(request.model.slice(0, 80))})`);
  }
  for (const field of ['taskType', 'outputDimensionality'] as const) {
    if (request[field] !== first[field]) throw badField(`${at}.${field}`, `must be the same for every request of a batch (requests[0] has ${JSON.stringify(first[field] ?? null)})`, true);
  }
}

export const geminiEmbeddingsRoutes: readonly EmbeddingsRoute[] = [route('embedContent'), route('batchEmbedContents')];
