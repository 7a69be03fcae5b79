/**
 * Embeddings, the one non-conversational call lip routes: a list of texts in, one vector per text
 * out. Every frontend with an embeddings endpoint decodes into `EmbeddingRequest`, every backend
 * that can embed answers an `EmbeddingResult`, so an embedding crosses protocols like a generation.
 */

/** Bounds of one embedding request (docs/canonical-model.md lists the same numbers). */
export const EMBEDDING_LIMITS = {
  /** Texts per request (the most the largest provider batch takes). */
  inputs: 2_048,
  /** Requested vector length. */
  dimensions: 65_536,
} as const;

export interface EmbeddingRequest {
  /** The model string the client sent (may be a route selector, as for a generation). */
  readonly model: string;
  /** The texts to embed, in order; the answer has one vector per text, in the same order. */
  readonly inputs: readonly string[];
  /** The vector length asked for (models that can shorten their vectors); absent: the model's own. */
  readonly dimensions?: number;
  /**
   * What the vectors are for, in upper snake case as the client wrote it (`RETRIEVAL_QUERY`,
   * `RETRIEVAL_DOCUMENT`, `SEMANTIC_SIMILARITY`, `CLASSIFICATION`, `CLUSTERING`, ...): sent by a
   * backend whose protocol takes it, left out by the others.
   */
  readonly taskType?: string;
  /** End-user id. */
  readonly user?: string;
}

export interface EmbeddingResult {
  /** One vector per input, in input order. */
  readonly vectors: readonly (readonly number[])[];
  /** The input tokens the upstream reports; absent when its protocol reports none. */
  readonly inputTokens?: number;
  /** The model the upstream says answered. */
  readonly model?: string;
}

/**
 * Why `result` cannot be the answer to `request` (a vector missing, extra, empty or holding a
 * value that is not a finite number), or undefined when it can.
 *
 * ```ts
 * embeddingProblem({ model: 'm', inputs: ['a', 'b'] }, { vectors: [[0.1]] }) // '1 vectors for 2 inputs'
 * ```
 */
export function embeddingProblem(request: EmbeddingRequest, result: EmbeddingResult): string | undefined {
  if (result.vectors.length !== request.inputs.length) return `${result.vectors.length} vectors for ${request.inputs.length} inputs`;
  for (const [i, vector] of result.vectors.entries()) {
    if (vector.length === 0) return `vector ${i} is empty`;
    if (!vector.every(Number.isFinite)) return `vector ${i} holds a value that is not a finite number`;
  }
  return undefined;
}
