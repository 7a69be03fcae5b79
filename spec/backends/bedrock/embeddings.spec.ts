import { expect } from 'chai';
import fc from 'fast-check';
import {
  bedrockEmbedMaxInputs, bedrockEmbedModel, cohereInputType, invokeModelBody, readInvokeModelEmbeddings,
} from '../../../lib/backends/bedrock/index.js';
import type { EmbeddingRequest } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';

const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
const TITAN_V1 = 'amazon.titan-embed-text-v1';
const COHERE_V3 = 'cohere.embed-english-v3';
const COHERE_V4 = 'cohere.embed-v4:0';
const request = (overrides: Partial<EmbeddingRequest> = {}): EmbeddingRequest => ({ model: 'br:e', inputs: ['a'], ...overrides });
const refusal = (fn: () => unknown): LipError => {
  try {
    fn();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('expected a refusal');
};

describe('backends/bedrock/embeddings (InvokeModel bodies and answers)', () => {
  it('knows the family by the model id, behind an inference profile prefix or inside an ARN too', () => {
    for (const model of [TITAN_V2, TITAN_V1, 'amazon.titan-embed-g1-text-02', 'amazon.titan-embed-image-v1', 'us.amazon.titan-embed-text-v2:0']) {
      expect(bedrockEmbedModel(model)?.family, model).to.equal('titan');
    }
    for (const model of [COHERE_V3, 'cohere.embed-multilingual-v3', COHERE_V4, 'us.cohere.embed-v4:0', 'eu.cohere.embed-v4:0', 'arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3']) {
      expect(bedrockEmbedModel(model)?.family, model).to.equal('cohere');
    }
    for (const model of ['anthropic.claude-sonnet-4-20250514-v1:0', 'amazon.nova-pro-v1:0', 'amazon.titan-text-express-v1', 'cohere.command-r-v1:0', 'xamazon.titan-embed-text-v2:0', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc']) {
      expect(bedrockEmbedModel(model), model).to.equal(undefined);
    }
    expect([TITAN_V2, COHERE_V3, COHERE_V4, 'amazon.nova-pro-v1:0'].map(bedrockEmbedMaxInputs)).to.deep.equal([1, 96, 96, 1]);
  });

  it('Titan: one inputText per call, the length as the model takes it; the task type and the user are not sent', () => {
    expect(invokeModelBody(request({ inputs: ['hello'], taskType: 'RETRIEVAL_QUERY', user: 'u' }), TITAN_V2)).to.deep.equal({ inputText: 'hello' });
    expect(invokeModelBody(request({ dimensions: 256 }), TITAN_V2)).to.deep.equal({ inputText: 'a', dimensions: 256 });
    expect(invokeModelBody(request({ dimensions: 384 }), 'amazon.titan-embed-image-v1')).to.deep.equal({ inputText: 'a', embeddingConfig: { outputEmbeddingLength: 384 } });
    expect(invokeModelBody(request(), TITAN_V1)).to.deep.equal({ inputText: 'a' });
  });

  it('Cohere: the texts with an input_type from the task type (search_document without a match), output_dimension on v4', () => {
    expect(invokeModelBody(request({ inputs: ['a', 'b'], user: 'u' }), COHERE_V3)).to.deep.equal({ texts: ['a', 'b'], input_type: 'search_document' });
    expect(invokeModelBody(request({ taskType: 'RETRIEVAL_QUERY' }), 'us.cohere.embed-multilingual-v3')).to.deep.equal({ texts: ['a'], input_type: 'search_query' });
    expect(invokeModelBody(request({ taskType: 'CLUSTERING', dimensions: 512 }), COHERE_V4)).to.deep.equal({ texts: ['a'], input_type: 'clustering', output_dimension: 512 });
    const mapped = ['RETRIEVAL_DOCUMENT', 'RETRIEVAL_QUERY', 'QUESTION_ANSWERING', 'FACT_VERIFICATION', 'CODE_RETRIEVAL_QUERY', 'CLASSIFICATION', 'CLUSTERING', 'SEMANTIC_SIMILARITY', 'TASK_TYPE_UNSPECIFIED', 'retrieval_query', 'SOMETHING_NEW', undefined]
      .map(cohereInputType);
    expect(mapped).to.deep.equal([
      'search_document', 'search_query', 'search_query', 'search_query', 'search_query', 'classification', 'clustering',
      'search_document', 'search_document', 'search_query', 'search_document', 'search_document',
    ]);
  });

  it('a length the model cannot give is a 400 naming dimensions and the model, never left out silently', () => {
    const cases: [string, number, RegExp][] = [
      [TITAN_V1, 256, /takes no dimensions/],
      [COHERE_V3, 1024, /takes no dimensions/],
      [TITAN_V2, 300, /256, 512, 1024 values, not 300/],
      ['amazon.titan-embed-image-v1', 512, /256, 384, 1024 values, not 512/],
      [COHERE_V4, 2048, /256, 512, 1024, 1536 values, not 2048/],
    ];
    for (const [model, dimensions, reason] of cases) {
      const err = refusal(() => invokeModelBody(request({ dimensions }), model));
      expect([err.code, err.status, err.retryable, err.param], model).to.deep.equal(['LIP_ERR_REQUEST_UNSUPPORTED', 400, false, 'dimensions']);
      expect(err.message, model).to.match(/^dimensions: /).and.contain(`"${model}"`).and.match(reason);
    }
  });

  it('a model of no known family is a 400 naming the model and the families lip embeds with', () => {
    const err = refusal(() => invokeModelBody(request(), 'amazon.nova-pro-v1:0'));
    expect([err.code, err.status, err.retryable, err.param]).to.deep.equal(['LIP_ERR_EMBEDDINGS_UNSUPPORTED', 400, false, 'model']);
    expect(err.message).to.contain('"amazon.nova-pro-v1:0"').and.contain('Amazon Titan Embeddings').and.contain('Cohere Embed');
  });

  it('reads a Titan answer (its token count too) and both Cohere shapes (floats, by type)', () => {
    expect(readInvokeModelEmbeddings({ embedding: [0.5, -1], inputTextTokenCount: 3, embeddingsByType: { float: [0.5, -1] } }, TITAN_V2)).to.deep.equal({ vectors: [[0.5, -1]], inputTokens: 3 });
    expect(readInvokeModelEmbeddings({ embedding: [1] }, TITAN_V1)).to.deep.equal({ vectors: [[1]] });
    expect(readInvokeModelEmbeddings({ id: 'x', embeddings: [[1, 2], [3, 4]], response_type: 'embeddings_floats', texts: ['a', 'b'] }, COHERE_V3)).to.deep.equal({ vectors: [[1, 2], [3, 4]] });
    expect(readInvokeModelEmbeddings({ id: 'x', embeddings: { float: [[1, 2]], int8: [[1, 2]] }, response_type: 'embeddings_by_type' }, COHERE_V4)).to.deep.equal({ vectors: [[1, 2]] });
  });

  it('gives undefined for an answer that holds no vectors of the model\'s shape', () => {
    const titan: unknown[] = [null, 'x', {}, { embedding: 'AAAA' }, { embedding: [1, '2'] }, { embeddings: [[1]] }, { embedding: null }];
    for (const body of titan) expect(readInvokeModelEmbeddings(body, TITAN_V2), JSON.stringify(body)).to.equal(undefined);
    const cohere: unknown[] = [null, {}, { embedding: [1] }, { embeddings: null }, { embeddings: [[1], 'x'] }, { embeddings: { int8: [[1]] } }, { embeddings: { float: [['1']] } }, { embeddings: [[1, null]] }];
    for (const body of cohere) expect(readInvokeModelEmbeddings(body, COHERE_V3), JSON.stringify(body)).to.equal(undefined);
    expect(readInvokeModelEmbeddings({ embedding: [1] }, 'amazon.nova-pro-v1:0')).to.equal(undefined);
  });

  it('reads any JSON without throwing: vectors of numbers or undefined', () => {
    const shaped = fc.record({ embedding: fc.jsonValue(), embeddings: fc.oneof(fc.jsonValue(), fc.record({ float: fc.jsonValue() })), inputTextTokenCount: fc.jsonValue() }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), shaped), fc.constantFrom(TITAN_V2, COHERE_V3, COHERE_V4), (body, model) => {
      const result = readInvokeModelEmbeddings(body, model);
      if (result !== undefined) expect(result.vectors.every((v) => v.every((n) => typeof n === 'number'))).to.equal(true);
    }), { numRuns: 300 });
  });
});
