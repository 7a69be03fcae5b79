import type { EmbeddingRequest, EmbeddingResult } from '../canonical/index.js';
import { vectorFromFloat32Base64 } from '../wire/index.js';
import { countAt } from './count-tokens.js';

type Json = Record<string, unknown>;

/**
 * The `/embeddings` body the Chat Completions and Responses APIs share (OpenAI-compatible servers
 * take it too): the inputs as a list, `dimensions` and `user` when asked. The vectors are asked
 * for in base64 (little-endian float32, what the official SDKs ask for by default), about a third
 * of their size as JSON numbers; a server that answers numbers anyway is read as well.
 *
 * ```ts
 * embeddingsBody({ model: 'oai:text-embedding-3-small', inputs: ['a'] }, 'text-embedding-3-small')
 * // { model: 'text-embedding-3-small', input: ['a'], encoding_format: 'base64' }
 * ```
 * @see spec/backends/embeddings.spec.ts
 */
export function embeddingsBody(request: EmbeddingRequest, model: string): Json {
  return {
    model, input: request.inputs, encoding_format: 'base64',
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(request.user !== undefined ? { user: request.user } : {}),
  };
}

/**
 * An `/embeddings` answer (`{data: [{index, embedding}], model, usage: {prompt_tokens}}`) as one
 * vector per entry, placed by `index`; undefined when it is not one (no list, an entry without a
 * vector, an index out of place or repeated).
 */
export function readEmbeddings(body: unknown): EmbeddingResult | undefined {
  const b = body !== null && typeof body === 'object' ? body as Json : {};
  if (!Array.isArray(b.data)) return undefined;
  const vectors: (readonly number[])[] = new Array(b.data.length);
  for (const [position, entry] of (b.data as unknown[]).entries()) {
    const e = entry !== null && typeof entry === 'object' ? entry as Json : {};
    const index = e.index === undefined ? position : e.index;
    const vector = vectorOf(e.embedding);
    if (vector === undefined || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= vectors.length || vectors[index] !== undefined) return undefined;
    vectors[index] = vector;
  }
  const inputTokens = countAt(b.usage, 'prompt_tokens');
  return { vectors, ...(inputTokens !== undefined ? { inputTokens } : {}), ...(typeof b.model === 'string' ? { model: b.model } : {}) };
}

/** A vector as a list of numbers, or base64 float32; undefined for anything else. */
function vectorOf(value: unknown): number[] | undefined {
  if (typeof value === 'string') return vectorFromFloat32Base64(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? value as number[] : undefined;
}
