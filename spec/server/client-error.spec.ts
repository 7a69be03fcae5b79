import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseAnswer, rawExchange, stalledRequest, type RawAnswer } from '../helpers/raw-http.js';
import { httpRequest } from '../helpers/sse-client.js';
import { connect } from 'node:net';

/** The fields of the three envelopes the specs below tell apart. */
type Envelope = { type?: string; error: { type?: string; message?: string; code?: string | number; status?: string; details?: { reason?: string }[] } };
const head = (extra: string) => `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${extra}`;
const body = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });

/** Sends `bytes` on a fresh socket and reads everything until the server closes it. */
function rawBytes(url: string, bytes: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      try { resolve(parseAnswer(Buffer.concat(chunks))); } catch (err) { reject(err); }
    });
  });
}

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

  // Found by probing: a request cut off part-way was answered in the flat (OpenAI) envelope on
  // every path, so an Anthropic or Gemini SDK could not read the error it was given.
  describe('a request cut off part-way is answered in the envelope of the protocol its path belongs to', () => {
    const paths = [
      { protocol: 'Anthropic', path: '/v1/messages', code: (b: Envelope) => [b.type, b.error.type, typeof b.error.message] },
      { protocol: 'Gemini', path: '/v1beta/models/m:generateContent', code: (b: Envelope) => [b.error.code, b.error.status, b.error.details?.[0]?.reason] },
      { protocol: 'OpenAI Chat', path: '/v1/chat/completions', code: (b: Envelope) => [b.error.type, b.error.code] },
    ] as const;
    const expected = {
      408: { Anthropic: ['error', 'invalid_request_error', 'string'], Gemini: [408, 'FAILED_PRECONDITION', 'LIP_ERR_REQUEST_TIMEOUT'], 'OpenAI Chat': ['invalid_request_error', 'LIP_ERR_REQUEST_TIMEOUT'] },
      400: { Anthropic: ['error', 'invalid_request_error', 'string'], Gemini: [400, 'INVALID_ARGUMENT', 'LIP_ERR_REQUEST_INVALID'], 'OpenAI Chat': ['invalid_request_error', 'LIP_ERR_REQUEST_INVALID'] },
    } as const;

    for (const { protocol, path, code } of paths) {
      it(`${protocol} (${path}): a body that stops arriving gets its 408 there`, async () => {
        const stalled = await stalledRequest(lip.url, path, 1_000, '{"model":');
        await stalled.closed;
        const answer = parseAnswer(Buffer.from(stalled.received(), 'utf8'));
        expect(answer.status).to.equal(408);
        expect(code(JSON.parse(answer.body))).to.deep.equal(expected[408][protocol]);
      });

      it(`${protocol} (${path}): a bad chunk size in the body gets its 400 there`, async () => {
        const chunked = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`;
        const answer = await rawBytes(lip.url, chunked);
        expect(answer.status).to.equal(400);
        expect(code(JSON.parse(answer.body))).to.deep.equal(expected[400][protocol]);
      });
    }
  });
});
