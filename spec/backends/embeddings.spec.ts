import { expect } from 'chai';
import { embeddingsBody, readEmbeddings } from '../../lib/backends/embeddings.js';
import { float32Base64 } from '../../lib/wire/index.js';

describe('backends/embeddings (the /embeddings call of openai-chat and openai-responses)', () => {
  it('asks for base64 vectors, with dimensions and user only when the request has them', () => {
    expect(embeddingsBody({ model: 'oai:e', inputs: ['a', 'b'] }, 'e')).to.deep.equal({ model: 'e', input: ['a', 'b'], encoding_format: 'base64' });
    expect(embeddingsBody({ model: 'oai:e', inputs: ['a'], dimensions: 8, user: 'u', taskType: 'CLUSTERING' }, 'e'))
      .to.deep.equal({ model: 'e', input: ['a'], encoding_format: 'base64', dimensions: 8, user: 'u' });
  });

  it('reads base64 or number vectors placed by index, the model and the prompt tokens', () => {
    const body = {
      object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 5, total_tokens: 5 },
      data: [{ object: 'embedding', index: 1, embedding: [0.5, 1] }, { object: 'embedding', index: 0, embedding: float32Base64([-1, 0.25]) }],
    };
    expect(readEmbeddings(body)).to.deep.equal({ vectors: [[-1, 0.25], [0.5, 1]], inputTokens: 5, model: 'text-embedding-3-small' });
    expect(readEmbeddings({ data: [{ embedding: [1] }, { embedding: [2] }] })).to.deep.equal({ vectors: [[1], [2]] });
  });

  it('gives undefined for an answer that is not one vector per entry in its place', () => {
    const bad: unknown[] = [
      null, 'x', {}, { data: {} },
      { data: [{ index: 0, embedding: 'not base64!' }] },
      { data: [{ index: 0, embedding: [1, '2'] }] },
      { data: [{ index: 0 }] },
      { data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [2] }] },
      { data: [{ index: 1, embedding: [1] }] },
      { data: [{ index: -1, embedding: [1] }] },
      { data: [{ index: 0.5, embedding: [1] }] },
      { data: [null] },
    ];
    for (const body of bad) expect(readEmbeddings(body), JSON.stringify(body)).to.equal(undefined);
  });
});
