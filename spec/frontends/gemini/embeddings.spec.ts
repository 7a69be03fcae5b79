import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { geminiEmbeddingsRoutes } from '../../../lib/frontends/gemini/embeddings.js';
import type { EmbeddingsEncodeContext } from '../../../lib/frontends/protocol.js';

const [one, batch] = geminiEmbeddingsRoutes as [typeof geminiEmbeddingsRoutes[0], typeof geminiEmbeddingsRoutes[0]];
const params = { model: 'gem:text-embedding-004' };
const content = (...texts: string[]) => ({ parts: texts.map((text) => ({ text })) });

function refusal(route: typeof one, body: unknown): LipError {
  try {
    route.decode(body, { params });
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected the request to be refused');
}

describe('frontends/gemini embeddings', () => {
  it('matches :embedContent and :batchEmbedContents under v1beta, v1 and v1beta1, with model ids that contain ":" and "/"', () => {
    expect(one.match!('/v1beta/models/gem:text-embedding-004:embedContent')).to.deep.equal({ model: 'gem:text-embedding-004' });
    expect(one.match!('/v1/models/models%2Fx:embedContent')).to.deep.equal({ model: 'x' });
    expect(batch.match!('/v1beta1/models/openrouter:a/b:batchEmbedContents')).to.deep.equal({ model: 'openrouter:a/b' });
    expect(one.match!('/v1beta/models/x:batchEmbedContents')).to.equal(undefined);
    expect(batch.match!('/v1beta/models/x:embedContent')).to.equal(undefined);
    expect(one.match!('/v1beta/models/x:generateContent')).to.equal(undefined);
    expect(one.match!('/v1beta/models/%E0%A4%A:embedContent')).to.deep.equal({ model: '%E0%A4%A' });
  });

  it('decodes one content (text parts joined), its task type and dimensionality, in camelCase or snake_case', () => {
    expect(one.decode({ content: content('a', 'b'), taskType: 'RETRIEVAL_QUERY', outputDimensionality: 64, title: 'ignored' }, { params })).to.deep.equal({
      request: { model: 'gem:text-embedding-004', taskType: 'RETRIEVAL_QUERY', dimensions: 64, inputs: ['a\nb'] },
    });
    expect(one.decode({ content: { role: 'user', parts: [{ text: 'x' }] }, task_type: 'CLUSTERING', output_dimensionality: 8 }, { params }).request)
      .to.deep.include({ taskType: 'CLUSTERING', dimensions: 8, inputs: ['x'] });
  });

  it('decodes a batch as one request per text, in order, naming the path\'s model or none', () => {
    const requests = [
      { model: 'models/gem:text-embedding-004', content: content('first'), taskType: 'RETRIEVAL_DOCUMENT' },
      { content: content('second'), taskType: 'RETRIEVAL_DOCUMENT' },
    ];
    expect(batch.decode({ requests }, { params }).request).to.deep.equal({ model: 'gem:text-embedding-004', taskType: 'RETRIEVAL_DOCUMENT', inputs: ['first', 'second'] });
  });

  it('refuses what one canonical request cannot carry, naming the field', () => {
    expect(refusal(one, { content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'aGk=' } }] } }))
      .to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'content.parts[0]' });
    expect(refusal(batch, { requests: [{ content: content('a'), taskType: 'CLUSTERING' }, { content: content('b') }] }))
      .to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'requests[1].taskType' });
    expect(refusal(batch, { requests: [{ content: content('a') }, { content: content('b'), output_dimensionality: 3 }] }))
      .to.include({ param: 'requests[1].outputDimensionality' });
    expect(refusal(batch, { requests: [{ model: 'models/other', content: content('a') }] }))
      .to.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'requests[0].model' });
  });

  it('names the offending field of an invalid body', () => {
    const cases: [typeof one, unknown, string][] = [
      [one, {}, 'content'],
      [one, { content: { parts: [] } }, 'content.parts'],
      [one, { content: { parts: 'x' } }, 'content.parts'],
      [one, { content: content('x'), outputDimensionality: 0 }, 'outputDimensionality'],
      [batch, {}, 'requests'],
      [batch, { requests: [] }, 'requests'],
      [batch, { requests: [{ content: 7 }] }, 'requests[0].content'],
    ];
    for (const [route, body, param] of cases) expect(refusal(route, body), JSON.stringify(body)).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param });
  });

  it('answers {embedding: {values}} for one content and {embeddings: [{values}]} for a batch', () => {
    const context: EmbeddingsEncodeContext = { request: { model: 'm', inputs: ['a', 'b'] }, hints: {}, model: 'm', usage: { inputTokens: 1, estimated: true } };
    expect(one.encode({ vectors: [[1, 2]] }, context)).to.deep.equal({ embedding: { values: [1, 2] } });
    expect(batch.encode({ vectors: [[1], [2]] }, context)).to.deep.equal({ embeddings: [{ values: [1] }, { values: [2] }] });
  });
});
