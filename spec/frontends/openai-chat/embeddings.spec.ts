import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { chatEmbeddingsRoute } from '../../../lib/frontends/openai-chat/embeddings.js';
import type { EmbeddingsEncodeContext } from '../../../lib/frontends/protocol.js';
import { vectorFromFloat32Base64 } from '../../../lib/wire/index.js';

const decode = (body: unknown) => chatEmbeddingsRoute.decode(body, { params: {} });

function refusal(body: unknown): LipError {
  try {
    decode(body);
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected the request to be refused');
}

describe('frontends/openai-chat embeddings', () => {
  it('decodes a string or a list of strings, dimensions and user; encoding_format is a hint for the answer', () => {
    expect(decode({ model: 'm', input: 'one' })).to.deep.equal({ request: { model: 'm', inputs: ['one'] }, hints: { base64: false } });
    expect(decode({ model: 'a:m|b:m', input: ['x', 'y'], dimensions: 256, user: 'u', encoding_format: 'base64', extra: true })).to.deep.equal({
      request: { model: 'a:m|b:m', inputs: ['x', 'y'], dimensions: 256, user: 'u' }, hints: { base64: true },
    });
    expect(decode({ model: 'm', input: 'x', dimensions: null, user: null, encoding_format: null }).request).to.deep.equal({ model: 'm', inputs: ['x'] });
  });

  it('refuses token arrays as unsupported, naming input', () => {
    for (const input of [[1, 2, 3], [[1, 2], [3]]]) {
      expect(refusal({ model: 'm', input })).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input', status: 400 });
    }
  });

  it('refuses a list that mixes texts with other items as invalid, naming the item that is no string (no token array)', () => {
    const cases: [unknown[], string, string][] = [
      [['a', 5], 'input[1]', 'input[1]: must be a string (got number 5)'],
      [['text', [4]], 'input[1]', 'input[1]: must be a string (got an array)'],
      [[[1, 2], 'x'], 'input[0]', 'input[0]: must be a string (got an array)'],
      [[['a'], ['b']], 'input[0]', 'input[0]: must be a string (got an array)'],
    ];
    for (const [input, param, message] of cases) {
      const err = refusal({ model: 'm', input });
      expect(err, JSON.stringify(input)).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param, status: 400, message });
    }
  });

  it('names the offending field of an invalid body', () => {
    const cases: [unknown, string][] = [
      [{ input: 'x' }, 'model'],
      [{ model: 'm' }, 'input'],
      [{ model: 'm', input: 7 }, 'input'],
      [{ model: 'm', input: [] }, 'input'],
      [{ model: 'm', input: ['a', { text: 'b' }] }, 'input[1]'],
      [{ model: 'm', input: 'x', dimensions: 0 }, 'dimensions'],
      [{ model: 'm', input: 'x', dimensions: 1.5 }, 'dimensions'],
      [{ model: 'm', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ model: 'm', input: 'x', user: 3 }, 'user'],
    ];
    for (const [body, param] of cases) expect(refusal(body), JSON.stringify(body)).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param });
    expect(refusal([1]).code).to.equal('LIP_ERR_REQUEST_INVALID');
    expect(refusal({ model: 'm', input: Array(2049).fill('x') }).message).to.contain('at most 2048 items');
  });

  it('answers a list of embedding objects, the vectors as numbers or as base64 float32', () => {
    const vectors = [[0.5, -0.25], [Math.fround(0.1), 3]];
    const context = (base64: boolean): EmbeddingsEncodeContext => ({
      request: { model: 'm', inputs: ['a', 'b'] }, hints: { base64 }, model: 'text-embedding-3-small', usage: { inputTokens: 9, estimated: false },
    });
    expect(chatEmbeddingsRoute.encode({ vectors }, context(false))).to.deep.equal({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: vectors[0] }, { object: 'embedding', index: 1, embedding: vectors[1] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
    const encoded = chatEmbeddingsRoute.encode({ vectors }, context(true)) as { data: { embedding: string }[] };
    expect(encoded.data.map((d) => vectorFromFloat32Base64(d.embedding))).to.deep.equal(vectors);
  });
});
