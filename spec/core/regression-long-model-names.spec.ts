import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by fuzzing: 24,543 requests with 65,000-character model names exhausted a 1 GiB heap in
 * 80 s. Each model became a selector and a candidate key that per-request records kept (about
 * 150 KB per request: attempt rows, compiled selectors, route logs). A model or X-LIP-Route
 * longer than 4,096 characters is now the client's 400 before anything is parsed, cached or
 * recorded; shorter ones are compiled into a bounded LRU and logged in a bounded ring.
 */
describe('regression: long model names', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'diagnostics: { enabled: true, recent_routes: 64 }'));
  });
  after(async () => { await lip.close(); });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(lip.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, backend: res.headers.get('x-lip-backend'), text: await res.text() };
  };
  const routes = async () => (await (await fetch(`${lip.url}/admin/routes`)).json() as { routes: { selector: string }[] }).routes;

  it('answers 400 LIP_ERR_REQUEST_LIMIT_EXCEEDED for 65,000-character models on every protocol, and records nothing of them', async function () {
    this.timeout(60_000);
    const huge = (i: number) => `stub:${i}${'x'.repeat(65_000)}`;
    for (let i = 0; i < 100; i++) {
      const chat = await post('/v1/chat/completions', { model: huge(i), messages: [{ role: 'user', content: 'hi' }] });
      expect(chat.status).to.equal(400);
      expect(JSON.parse(chat.text).error).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'model' });
      expect(chat.backend).to.equal(null);
      const anthropic = await post('/v1/messages', { model: huge(i), max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      expect(anthropic.status).to.equal(400);
      expect(JSON.parse(anthropic.text).error.message).to.match(/^the model is 65\d{3} characters long; a selector may have at most 4096/);
      const responses = await post('/v1/responses', { model: huge(i), input: 'hi' });
      expect(JSON.parse(responses.text).error.code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
      const header = await post('/v1/chat/completions', { model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] }, { 'x-lip-route': `stub:${'y'.repeat(5_000)}` });
      expect(JSON.parse(header.text).error).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'X-LIP-Route' });
    }
    const gemini = await post(`/v1beta/models/stub:${'x'.repeat(8_000)}:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(gemini.status).to.equal(400);
    expect(JSON.parse(gemini.text).error.details[0].reason).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
    expect((await routes()).filter((r) => r.selector.length > 4_096)).to.deep.equal([]);
  });

  it('serves 4,000-character models, and the route log keeps only its last 64 decisions', async function () {
    this.timeout(60_000);
    for (let i = 0; i < 100; i++) {
      const res = await post('/v1/chat/completions', { model: `stub:${i}${'x'.repeat(3_990)}`, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).to.equal(200);
    }
    const kept = await routes();
    expect(kept).to.have.length(64);
    expect(kept[63]!.selector).to.equal(`stub:99${'x'.repeat(3_990)}`);
  });
});
