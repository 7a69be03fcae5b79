import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Regression: a `routing.default_route` between 4,097 and 65,536 characters passed validation,
 * then every request that fell to it was refused with 400 LIP_ERR_REQUEST_LIMIT_EXCEEDED
 * (`param` model): the request limit (4,096) was applied to the configured default route too.
 */
describe('e2e: a default route longer than the request limit (regression)', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => {
    const route = `ok:m?note=${'n'.repeat(5_000)}|ok:m`;
    lip = await startLip(testConfig('  - { id: ok, kind: localstub, text: "from ok" }', `routing: { default_route: "${route}" }`));
  });
  after(() => lip?.close());

  it('serves a request that falls to it', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).to.equal('from ok');
  });
});
