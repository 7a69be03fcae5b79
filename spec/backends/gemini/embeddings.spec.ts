import { expect } from 'chai';
import { batchEmbedBody, readBatchEmbeddings } from '../../../lib/backends/gemini/embeddings.js';

describe('backends/gemini embeddings', () => {
  it('sends one request per input naming the model, with the task type and output dimensionality when asked', () => {
    expect(batchEmbedBody({ model: 'gem:e', inputs: ['a', 'b'], user: 'u' }, 'text-embedding-004')).to.deep.equal({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
      ],
    });
    expect(batchEmbedBody({ model: 'gem:e', inputs: ['a'], taskType: 'RETRIEVAL_QUERY', dimensions: 256 }, 'tunedModels/mine')).to.deep.equal({
      requests: [{ model: 'tunedModels/mine', content: { parts: [{ text: 'a' }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 256 }],
    });
  });

  it('reads the vectors in request order, and gives undefined for anything else', () => {
    expect(readBatchEmbeddings({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] })).to.deep.equal({ vectors: [[1, 2], [3, 4]] });
    for (const body of [null, {}, { embeddings: {} }, { embeddings: [{}] }, { embeddings: [{ values: ['1'] }] }, { embeddings: [null] }, { embedding: { values: [1] } }]) {
      expect(readBatchEmbeddings(body), JSON.stringify(body)).to.equal(undefined);
    }
  });
});
