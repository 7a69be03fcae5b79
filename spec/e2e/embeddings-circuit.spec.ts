import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Embeddings go through the circuit breaker as generations do: failing embedding calls open a
 * candidate's circuit, an open circuit is skipped without a call (the route's next candidate
 * answers), a route of open circuits only is a 503 with Retry-After, and a 400 the upstream gives
 * a bad input counts for nothing. Before, embeddings ignored the breaker: every request called a
 * failing upstream again, and an embeddings outage never opened the circuit generations share.
 */
describe('e2e: embeddings under the circuit breaker', () => {
  let chat: Emulator;
  let responses: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  const route = { headers: { 'x-lip-route': 'chat:text-embedding-3-small|oai:text-embedding-3-small' } };
  before(async () => {
    [chat, responses] = await Promise.all([startOpenAIChatEmulator(), startOpenAIResponsesEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
      `  - { id: oai, kind: openai-responses, base_url: "${responses.url}", api_key: openai-key-0123456789 }`,
    ].join('\n'), 'routing: { default_route: "chat:text-embedding-3-small", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 10m } }'));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), responses?.close()]);
  });

  it('two failing calls open the circuit; then the candidate is skipped without a call, and a route of it alone is a 503 with Retry-After', async () => {
    // A 400 for a bad input is the client's problem: it does not count.
    chat.enqueue({ status: 400, error: { message: 'input too long' } });
    const bad = await openai.embeddings.create({ model: 'ignored', input: 'x' }, route).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(OpenAI.BadRequestError);

    for (let i = 0; i < 2; i++) {
      chat.enqueue({ status: 503, error: { message: 'overloaded' } });
      const res = await openai.embeddings.create({ model: 'ignored', input: 'x' }, route).withResponse();
      expect(res.response.headers.get('x-lip-backend')).to.equal('oai:text-embedding-3-small');
    }
    expect(chat.requests).to.have.length(3);

    const res = await openai.embeddings.create({ model: 'ignored', input: 'y' }, route).withResponse();
    expect(res.response.headers.get('x-lip-backend')).to.equal('oai:text-embedding-3-small');
    expect(res.data.data[0]!.embedding).to.deep.equal(emulatedEmbedding('y'));
    expect(chat.requests, 'an open circuit is not called').to.have.length(3);

    const err = await openai.embeddings.create({ model: 'chat:text-embedding-3-small', input: 'z' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).to.equal(503);
    expect((err.error as { code: string }).code).to.equal('LIP_ERR_ROUTE_NO_CANDIDATE');
    expect(err.message).to.contain('circuit open');
    expect(Number(err.headers?.get('retry-after'))).to.be.within(1, 600);
    expect(chat.requests).to.have.length(3);

    // Generations share the circuit: the same candidate is skipped for them too.
    const gen = await openai.chat.completions.create({ model: 'chat:text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(gen.status).to.equal(503);
    expect(gen.message).to.contain('circuit open');
    expect(chat.requests).to.have.length(3);
  });
});

/**
 * `routing.embeddings_timeout` bounds an embeddings request over every candidate: an upstream
 * that never answers is aborted (the emulator sees the close) and the client gets a 504 in its
 * envelope. The bound is set short so the test needs no long wait; nothing asserts on elapsed time.
 */
describe('e2e: embeddings timeout', () => {
  let chat: Emulator;
  let lip: RunningLip;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`, 'routing: { default_route: "chat:text-embedding-3-small", embeddings_timeout: 300ms }'));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });

  it('a stalled upstream is aborted at routing.embeddings_timeout and the answer is a 504 naming the key', async () => {
    chat.enqueue({ fault: { stall: 'before_headers' } });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0, timeout: 30_000 });
    const closed = chat.nextClose();
    const err = await openai.embeddings.create({ model: 'chat:text-embedding-3-small', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).to.equal(504);
    expect((err.error as { code: string }).code).to.equal('LIP_ERR_EMBEDDINGS_TIMEOUT');
    expect(err.message).to.contain('routing.embeddings_timeout').and.contain('chat:text-embedding-3-small');
    await closed;
  });
});
