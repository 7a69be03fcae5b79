import { EMBEDDING_LIMITS, type EmbeddingRequest } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { compileRequestValidator, float32Base64 } from '../../wire/index.js';
import type { EmbeddingsRoute } from '../protocol.js';

/** The JSON Schema of an embeddings request, as far as lip reads it (unknown fields are ignored). */
const embeddingsSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string' },
    input: { type: ['string', 'array'], description: 'a string or an array of strings', minItems: 1, maxItems: EMBEDDING_LIMITS.inputs, items: { type: 'string' } },
    encoding_format: { enum: ['float', 'base64', null] },
    dimensions: { type: ['integer', 'null'], minimum: 1, maximum: EMBEDDING_LIMITS.dimensions },
    user: { type: ['string', 'null'] },
  },
};

const validate = compileRequestValidator(embeddingsSchema);

type Json = Record<string, any>; // validated by embeddingsSchema before any field is read

/**
 * `POST /v1/embeddings` (OpenAI `embeddings.create`): `input` (a string or a list of them),
 * `dimensions`, `user` and `encoding_format` (`float`, or `base64`: each vector's little-endian
 * float32 bytes, which the official SDKs ask for by default and decode). Token arrays as input
 * are refused: lip routes text, and token ids belong to one tokenizer.
 * Answered `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`.
 */
export const chatEmbeddingsRoute: EmbeddingsRoute = {
  path: '/v1/embeddings',
  decode(body) {
    refuseTokenArrays(body);
    validate(body);
    const b = body as Json;
    const request: EmbeddingRequest = {
      model: b.model,
      inputs: typeof b.input === 'string' ? [b.input] : b.input,
      ...(typeof b.dimensions === 'number' ? { dimensions: b.dimensions } : {}),
      ...(typeof b.user === 'string' ? { user: b.user } : {}),
    };
    return { request, hints: { base64: b.encoding_format === 'base64' } };
  },
  encode(result, context) {
    const base64 = context.hints.base64 === true;
    return {
      object: 'list',
      data: result.vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector })),
      model: context.model,
      usage: { prompt_tokens: context.usage.inputTokens, total_tokens: context.usage.inputTokens },
    };
  },
};

/**
 * `input` as token ids (`[1, 2]` or `[[1, 2], [3]]`): a 400 naming it. A list that mixes texts
 * with other items (`["a", 5]`) is no token array: the schema names the item that is no string.
 */
function refuseTokenArrays(body: unknown): void {
  const input = body !== null && typeof body === 'object' ? (body as Json).input : undefined;
  if (!Array.isArray(input) || input.length === 0) return;
  const tokens = (list: unknown[]) => list.every((item) => typeof item === 'number');
  if (!tokens(input) && !input.every((item) => Array.isArray(item) && tokens(item))) return;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'input: token arrays are not supported; send the text (a string or an array of strings)', { param: 'input' });
}
