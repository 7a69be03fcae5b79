import type { EmbeddingRequest, EmbeddingResult } from '../../canonical/index.js';
import { modelResource } from './options.js';

type Json = Record<string, unknown>;

/** The most requests one `:batchEmbedContents` call takes. */
export const BATCH_EMBED_MAX = 100;

/**
 * The `:batchEmbedContents` body for `request`: one request per input, each naming the model
 * (as the path does) and carrying the task type and output dimensionality when asked. The end
 * user has no field in it.
 *
 * ```ts
 * batchEmbedBody({ model: 'gem:text-embedding-004', inputs: ['a'], dimensions: 256 }, 'text-embedding-004')
 * // { requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 256 }] }
 * ```
 * @see spec/backends/gemini/embeddings.spec.ts
 */
export function batchEmbedBody(request: EmbeddingRequest, model: string): Json {
  const name = modelResource(model);
  const options = {
    ...(request.taskType !== undefined ? { taskType: request.taskType } : {}),
    ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
  };
  return { requests: request.inputs.map((text) => ({ model: name, content: { parts: [{ text }] }, ...options })) };
}

/** A `:batchEmbedContents` answer (`{embeddings: [{values}]}`), in request order; undefined when it is not one. */
export function readBatchEmbeddings(body: unknown): EmbeddingResult | undefined {
  const embeddings = body !== null && typeof body === 'object' ? (body as Json).embeddings : undefined;
  if (!Array.isArray(embeddings)) return undefined;
  const vectors: number[][] = [];
  for (const entry of embeddings as unknown[]) {
    const values = entry !== null && typeof entry === 'object' ? (entry as Json).values : undefined;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) return undefined;
    vectors.push(values as number[]);
  }
  return { vectors };
}
