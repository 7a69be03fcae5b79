import type { EmbeddingRequest, EmbeddingResult } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { countAt } from '../count-tokens.js';

type Json = Record<string, unknown>;

/** The most texts one Cohere Embed call takes (v3 and v4). */
export const COHERE_EMBED_MAX = 96;

/**
 * A Bedrock embedding model lip can call through InvokeModel: its family (the body and answer
 * shapes) and, for a model that can shorten its vectors, the lengths it gives and how they are
 * asked for.
 */
export interface BedrockEmbedModel {
  readonly family: 'titan' | 'cohere';
  /** What the documentation calls it, for messages. */
  readonly name: string;
  readonly dimensions?: { readonly allowed: readonly number[]; field(length: number): Json };
}

/** Model ids by what they name, the most specific first (foundation ids, inference profiles and ARNs naming the model). */
const MODELS: readonly (readonly [RegExp, BedrockEmbedModel])[] = [
  [/(^|[./:])amazon\.titan-embed-text-v2/, { family: 'titan', name: 'Titan Text Embeddings V2', dimensions: { allowed: [256, 512, 1024], field: (n) => ({ dimensions: n }) } }],
  [/(^|[./:])amazon\.titan-embed-image-v1/, { family: 'titan', name: 'Titan Multimodal Embeddings G1', dimensions: { allowed: [256, 384, 1024], field: (n) => ({ embeddingConfig: { outputEmbeddingLength: n } }) } }],
  [/(^|[./:])amazon\.titan-embed/, { family: 'titan', name: 'Titan Embeddings G1 - Text' }],
  [/(^|[./:])cohere\.embed-v4/, { family: 'cohere', name: 'Cohere Embed v4', dimensions: { allowed: [256, 512, 1024, 1536], field: (n) => ({ output_dimension: n }) } }],
  [/(^|[./:])cohere\.embed/, { family: 'cohere', name: 'Cohere Embed v3' }],
];

/** What a canonical (Gemini) task type becomes as Cohere's `input_type`; any other is `search_document`. */
const COHERE_INPUT_TYPES: Readonly<Record<string, string>> = {
  RETRIEVAL_DOCUMENT: 'search_document',
  RETRIEVAL_QUERY: 'search_query',
  QUESTION_ANSWERING: 'search_query',
  FACT_VERIFICATION: 'search_query',
  CODE_RETRIEVAL_QUERY: 'search_query',
  CLASSIFICATION: 'classification',
  CLUSTERING: 'clustering',
};

/** The embedding model `model` names, or undefined when it is of no family lip embeds with. */
export function bedrockEmbedModel(model: string): BedrockEmbedModel | undefined {
  return MODELS.find(([pattern]) => pattern.test(model))?.[1];
}

/** The most inputs one InvokeModel call of `model` takes: Titan one, Cohere 96 (an unknown model 1: its request is refused). */
export function bedrockEmbedMaxInputs(model: string): number {
  return bedrockEmbedModel(model)?.family === 'cohere' ? COHERE_EMBED_MAX : 1;
}

/** Cohere's `input_type` for a canonical task type (`search_document` when there is no match or none). */
export function cohereInputType(taskType: string | undefined): string {
  return (taskType !== undefined ? COHERE_INPUT_TYPES[taskType.toUpperCase()] : undefined) ?? 'search_document';
}

/**
 * The InvokeModel body embedding `request` with `model`: Titan `{inputText}` (one text per call:
 * the first input) with the length as the model takes it, Cohere `{texts, input_type}` with
 * `output_dimension` (v4). Nothing else is sent: Titan normalizes by default, both answer floats
 * by default, the task type reaches Cohere only, the end user neither.
 *
 * ```ts
 * invokeModelBody({ model: 'br:e', inputs: ['a'], dimensions: 256 }, 'amazon.titan-embed-text-v2:0') // { inputText: 'a', dimensions: 256 }
 * invokeModelBody({ model: 'br:e', inputs: ['a', 'b'], taskType: 'RETRIEVAL_QUERY' }, 'cohere.embed-english-v3') // { texts: ['a', 'b'], input_type: 'search_query' }
 * ```
 * @throws LipError LIP_ERR_EMBEDDINGS_UNSUPPORTED (400) for a model of no known family;
 *   LIP_ERR_REQUEST_UNSUPPORTED (400, param `dimensions`) for a length the model cannot give.
 * @see spec/backends/bedrock/embeddings.spec.ts
 */
export function invokeModelBody(request: EmbeddingRequest, model: string): Json {
  const known = bedrockEmbedModel(model);
  if (known === undefined) {
    throw new LipError('LIP_ERR_EMBEDDINGS_UNSUPPORTED', `bedrock model "${model}" is of no family lip embeds with: name an Amazon Titan Embeddings model (amazon.titan-embed-...) or a Cohere Embed model (cohere.embed-...), optionally behind an inference profile prefix (us., eu., global., ...)`, { param: 'model' });
  }
  const length = request.dimensions === undefined ? {} : dimensionsField(known, model, request.dimensions);
  if (known.family === 'titan') return { inputText: request.inputs[0] ?? '', ...length };
  return { texts: request.inputs, input_type: cohereInputType(request.taskType), ...length };
}

function dimensionsField(known: BedrockEmbedModel, model: string, dimensions: number): Json {
  const { dimensions: lengths, name } = known;
  if (lengths === undefined) {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `dimensions: bedrock model "${model}" (${name}) gives vectors of one length only and takes no dimensions; leave it out`, { param: 'dimensions' });
  }
  if (!lengths.allowed.includes(dimensions)) {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `dimensions: bedrock model "${model}" (${name}) gives vectors of ${lengths.allowed.join(', ')} values, not ${dimensions}`, { param: 'dimensions' });
  }
  return lengths.field(dimensions);
}

/**
 * An InvokeModel answer of `model` as vectors: Titan `{embedding, inputTextTokenCount}` (one
 * vector, its token count), Cohere `{embeddings}` as a list of vectors (`embeddings_floats`) or
 * by type (`embeddings_by_type`: its `float` list); undefined when it holds no vectors.
 */
export function readInvokeModelEmbeddings(body: unknown, model: string): EmbeddingResult | undefined {
  const b = body !== null && typeof body === 'object' ? body as Json : {};
  const family = bedrockEmbedModel(model)?.family;
  if (family === 'titan') {
    if (!isVector(b.embedding)) return undefined;
    const inputTokens = countAt(b, 'inputTextTokenCount');
    return { vectors: [b.embedding], ...(inputTokens !== undefined ? { inputTokens } : {}) };
  }
  if (family !== 'cohere') return undefined;
  const embeddings = Array.isArray(b.embeddings) ? b.embeddings : b.embeddings !== null && typeof b.embeddings === 'object' ? (b.embeddings as Json).float : undefined;
  if (!Array.isArray(embeddings) || !embeddings.every(isVector)) return undefined;
  return { vectors: embeddings };
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}
