import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest, parseSse } from '../helpers/sse-client.js';

/**
 * Found by probing: a model name with characters that are illegal in a header value
 * (`stub:😀`, `stub:日本`, CR/LF) threw ERR_INVALID_CHAR while `X-LIP-Backend` was written inside
 * an RxJS subscriber; RxJS rethrew it asynchronously and the process ended.
 */
describe('regression: a model name that is no legal header value', () => {
  let lip: RunningLip;
  before(async () => { lip = await startLip(testConfig('  - { id: stub, kind: localstub }')); });
  after(() => lip.close());

  const served = ['stub:😀', 'stub:日本', 'stub:é%41', `stub:${'é'.repeat(300)}`];
  // Not selectors at all: a clean 400 in the protocol's envelope, and the next request is served.
  const refused = ['stub:a\rb', 'stub:a\r\nx-injected: yes', 'stub:\u0000\u0007', 'stub:\ud83d'];
  for (const stream of [true, false]) {
    for (const model of refused) {
      it(`${JSON.stringify(model)} ${stream ? 'streamed' : 'not streamed'}: 400 with the selector's column, no header injected`, async () => {
        const body = JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] });
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
        expect(res.status).to.equal(400);
        expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
        expect(res.headers['x-injected']).to.equal(undefined);
        const next = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'stub:ok', stream, messages: [{ role: 'user', content: 'hi' }] }) });
        expect(next.status).to.equal(200);
      });
    }
    for (const model of served) {
      it(`${JSON.stringify(model.slice(0, 24))} ${stream ? 'streamed' : 'not streamed'}: served, the header encoded and capped`, async () => {
        const body = JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] });
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
        expect(res.status, res.body).to.equal(200);
        const backend = String(res.headers['x-lip-backend']);
        expect(backend).to.match(/^[\x20-\x7e]+$/);
        expect(backend.length).to.be.at.most(256);
        expect(backend.startsWith('stub:')).to.equal(true);
        if (model.length < 100) expect(decodeURIComponent(backend)).to.equal(model);
        if (stream) expect(parseSse(res.body).messages.at(-1)?.data).to.equal('[DONE]');
        else expect(JSON.parse(res.body).choices[0].message.role).to.equal('assistant');
        const health = await httpRequest(`${lip.url}/healthz`, { method: 'GET' });
        expect(health.status).to.equal(200);
      });
    }
  }
});
