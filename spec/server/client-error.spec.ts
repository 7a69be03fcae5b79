import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseAnswer, rawExchange, stalledRequest } from '../helpers/raw-http.js';
import { httpRequest } from '../helpers/sse-client.js';

const head = (extra: string) => `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${extra}`;
const body = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });

describe('server: requests the HTTP parser refuses, and requests that never finish arriving', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, read_timeout: 1s, max_concurrent_requests: 1 }\nlogging: { access_log: false }'));
  });
  after(() => lip.close());

  it('a control character in a header value: 400 with the JSON envelope, then the connection closes', async () => {
    const res = await rawExchange(lip.url, head('X-LIP-Route: stub:a\x01b'), body);
    expect(res.status).to.equal(400);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(res.body).error).to.include({ code: 'LIP_ERR_REQUEST_INVALID', type: 'invalid_request_error' });
  });

  it('an unknown method and an oversized head get their envelopes too (400, 431)', async () => {
    const method = await rawExchange(lip.url, 'BREW /v1/chat/completions HTTP/1.1\r\nHost: localhost');
    expect([method.status, JSON.parse(method.body).error.code]).to.deep.equal([400, 'LIP_ERR_REQUEST_INVALID']);
    const huge = await rawExchange(lip.url, head(`X-Filler: ${'a'.repeat(20_000)}`), body);
    expect([huge.status, JSON.parse(huge.body).error.code]).to.deep.equal([431, 'LIP_ERR_REQUEST_LIMIT_EXCEEDED']);
  });

  it('a body that stops arriving is answered 408 after server.read_timeout, which frees its concurrency slot', async () => {
    const stalled = await stalledRequest(lip.url, '/v1/chat/completions', 1_000, '{"model":');
    // The stalled request holds the only slot: another request is turned away meanwhile.
    const busy = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
    expect(busy.status).to.equal(429);
    await stalled.closed;
    const answer = parseAnswer(Buffer.from(stalled.received(), 'utf8'));
    expect([answer.status, JSON.parse(answer.body).error.code]).to.deep.equal([408, 'LIP_ERR_REQUEST_TIMEOUT']);
    const next = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
    expect(next.status).to.equal(200);
  });
});
