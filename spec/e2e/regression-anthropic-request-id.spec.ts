import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * The Anthropic SDK reads a request's id from the `request-id` header (`message._request_id`,
 * `stream.request_id`, `err.requestID`), and Anthropic's error bodies name it too
 * (`{"type":"error","error":{...},"request_id":"req_..."}`). lip sent only `x-request-id`, so an
 * Anthropic client never saw an id to quote. Every answer now carries `request-id` beside
 * `x-request-id` (the same id), and Anthropic's error envelope its `request_id`.
 */
describe('e2e regression: Anthropic clients see the request id', function () {
  this.timeout(20_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  const ask = { model: 'up:claude', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

  before(async () => {
    upstream = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: up, kind: anthropic, base_url: "${upstream.url}", api_key: "upstream-key" }`, 'routing: { default_route: "up:claude" }'));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  it('an answer: message._request_id, the x-request-id of the response', async () => {
    upstream.enqueue({ text: 'hello' }, { text: 'hello' });
    const message = await anthropic.messages.create(ask, { headers: { 'x-request-id': 'req-answer-3' } });
    expect(message._request_id).to.equal('req-answer-3');
    // One lip made up: the same in both headers.
    const { response } = await anthropic.messages.create(ask).withResponse();
    expect(response.headers.get('request-id')).to.be.a('string').and.to.equal(response.headers.get('x-request-id'));
  });

  it('a stream: stream.request_id; the id the client sent (X-Request-Id) is the one it gets back', async () => {
    upstream.enqueue({ text: ['hel', 'lo'] });
    const stream = anthropic.messages.stream(ask, { headers: { 'x-request-id': 'req-client-7' } });
    await stream.finalMessage();
    expect(stream.request_id).to.equal('req-client-7');
  });

  it('an error: err.requestID, and request_id in the error body', async () => {
    const err = await anthropic.messages.create({ ...ask, max_tokens: -1 }, { headers: { 'x-request-id': 'req-refused-1' } })
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect(err!.status).to.equal(400);
    expect(err!.requestID).to.equal('req-refused-1');
    expect(err!.error).to.deep.include({ type: 'error', request_id: 'req-refused-1' });
  });

  it('an error from another path (a 404, a stream refused before its output): request_id in the body, the same as the headers', async () => {
    const missing = await httpRequest(`${lip.url}/v1/messages/nothing-here`, { body: '{}', headers: { 'anthropic-version': '2023-06-01' } });
    expect(missing.status).to.equal(404);
    expect(JSON.parse(missing.body)).to.deep.include({ type: 'error', request_id: missing.headers['request-id'] });
    expect(missing.headers['request-id']).to.equal(missing.headers['x-request-id']);
    upstream.enqueue({ status: 400, error: { type: 'invalid_request_error', message: 'bad' } });
    const refused = await anthropic.messages.create({ ...ask, stream: true }).then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(refused!.status).to.equal(400);
    expect(refused!.requestID).to.be.a('string');
    expect(refused!.error).to.deep.include({ request_id: refused!.requestID });
  });
});
