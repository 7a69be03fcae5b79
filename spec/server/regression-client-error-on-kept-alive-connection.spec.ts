import { expect } from 'chai';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { testConfig } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { keptAliveExchange, parseAnswer } from '../helpers/raw-http.js';

/**
 * Regression (found by probing): once a kept-alive connection had carried one response, a later
 * request on it that Node's HTTP parser refused (a head over 16 KiB, an unknown method, a bad
 * chunk size) or that missed server.read_timeout got no answer: the socket was destroyed,
 * because "something was written on this connection" stood for "a response is in progress".
 * SDKs keep connections alive, so their users saw a bare connection error instead of 431 / 400
 * / 408, and the 408 was logged as a 499 abort.
 */
describe('server: a refused request on a kept-alive connection is answered (regression)', () => {
  const body = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });
  const served = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, read_timeout: 1s }\nlogging: { access_log: true }'));
  });
  after(() => lip.close());

  async function refusedAfterOne(second: string): Promise<{ status: number; code: string; connection: string | undefined }> {
    const { first, then } = await keptAliveExchange(lip.url, served, second);
    expect(first.status).to.equal(200);
    const answer = parseAnswer(then);
    expect(answer.headers['content-type']).to.equal('application/json');
    return { status: answer.status, code: (JSON.parse(answer.body) as { error: { code: string } }).error.code, connection: answer.headers.connection };
  }

  it('a head over 16 KiB after a served request: 431 in the flat envelope, then the connection closes', async () => {
    const refused = await refusedAfterOne(`GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(refused).to.deep.equal({ status: 431, code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', connection: 'close' });
  });

  it('an unknown method, and a bad chunk size in a body, after a served request: 400', async () => {
    expect(await refusedAfterOne('BREW /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n')).to.deep.equal({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', connection: 'close' });
    const chunked = 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n';
    expect(await refusedAfterOne(chunked)).to.deep.equal({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', connection: 'close' });
  });

  it('a body that stops arriving after a served request: 408 after read_timeout, logged as 408 LIP_ERR_REQUEST_TIMEOUT', async () => {
    const stalled = 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Request-Id: kept-alive-stall\r\nContent-Length: 100\r\n\r\n{"model":';
    expect(await refusedAfterOne(stalled)).to.deep.equal({ status: 408, code: 'LIP_ERR_REQUEST_TIMEOUT', connection: 'close' });
    await until(() => lip.logs.some((l) => l.message === 'request' && l.request_id === 'kept-alive-stall'), 'the access line');
    const line = lip.logs.find((l) => l.message === 'request' && l.request_id === 'kept-alive-stall')!;
    expect([line.status, line.error, line.aborted]).to.deep.equal([408, 'LIP_ERR_REQUEST_TIMEOUT', undefined]);
    // The handler still reading that body learnt it was cut off, without a guard reporting a bug.
    expect(lip.logs.filter((l) => l.level === 'error')).to.deep.equal([]);
  });

  it('the openai SDK (its pool keeps the connection): the second request gets 431, not a connection error', async () => {
    // One connection in undici's pool: the second request surely goes out on the first one's.
    const pool = new Agent({ connections: 1 });
    const viaPool = (input: string, init: object) => undiciFetch(input, { ...init, dispatcher: pool });
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0, fetch: viaPool as unknown as typeof fetch });
    await client.chat.completions.create({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });
    const err = await client.chat.completions.create({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-big': 'a'.repeat(20_000) } })
      .then(() => undefined, (e: unknown) => e)
      .finally(() => pool.close());
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect([(err as InstanceType<typeof OpenAI.APIError>).status, (err as InstanceType<typeof OpenAI.APIError>).code]).to.deep.equal([431, 'LIP_ERR_REQUEST_LIMIT_EXCEEDED']);
  });
});
