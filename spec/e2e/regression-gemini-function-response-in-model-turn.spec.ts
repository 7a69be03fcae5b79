import { expect } from 'chai';
import { ApiError } from '@google/genai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * A `functionResponse` in a `model` turn was refused with "must have text, inlineData, fileData,
 * functionCall or functionResponse", though the part has one of them. It now says where function
 * responses belong, as a `functionCall` in a user turn is told.
 */
describe('e2e: a functionResponse in a model turn is refused saying it belongs in a user turn', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });

  it('is a 400 naming the part and the user turn, before any upstream call', async () => {
    const err = await up.google().models.generateContent({
      model: 'ge:gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionResponse: { name: 'weather', response: { temp: 21 } } }] },
      ],
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    expect((err as ApiError).message).to.include('contents[1].parts[0].functionResponse: function responses belong in user turns');
    expect((err as ApiError).message).to.not.include('must have text');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });
});
