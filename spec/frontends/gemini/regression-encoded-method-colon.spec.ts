import { expect } from 'chai';
import { modelOfPath } from '../../../lib/frontends/gemini/model-path.js';
import { testConfig } from '../../helpers/config.js';
import { startLip, type RunningLip } from '../../helpers/lip.js';

/**
 * Found by probing the HTTP surface: `/v1beta/models/m%3AgenerateContent` (a client that
 * percent-encodes the colon of a path segment) got 405 `allow: GET`: the colon before the method
 * was only read as written, while a `%3A` inside the model was decoded.
 */
describe('regression: a Gemini method after a percent-encoded colon', () => {
  it('modelOfPath reads the method after `:` or `%3A`; a `%3A` inside the model stays the model\'s', () => {
    expect(modelOfPath('/v1beta/models/gemini-2.5-flash%3AgenerateContent', 'generateContent')).to.deep.equal({ model: 'gemini-2.5-flash' });
    expect(modelOfPath('/v1beta/models/stub%3Am%3astreamGenerateContent', 'streamGenerateContent')).to.deep.equal({ model: 'stub:m' });
    expect(modelOfPath('/v1beta/models/stub%3Am:countTokens', 'countTokens')).to.deep.equal({ model: 'stub:m' });
    expect(modelOfPath('/v1beta/models/stub%3Am%3AcountTokens', 'generateContent')).to.equal(undefined);
  });

  describe('through lip', function () {
    this.timeout(20_000);
    let lip: RunningLip;
    before(async () => { lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m], text: "hi" }', 'routing: { default_route: "stub:m" }')); });
    after(async () => { await lip?.close(); });

    it('generateContent answers as with a plain colon', async () => {
      const res = await fetch(`${lip.url}/v1beta/models/stub%3Am%3AgenerateContent`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
      });
      expect(res.status).to.equal(200);
      const body = await res.json() as { candidates: { content: { parts: { text: string }[] } }[] };
      expect(body.candidates[0]!.content.parts.map((p) => p.text).join('')).to.equal('hi');
    });
  });
});
