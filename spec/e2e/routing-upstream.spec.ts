import { expect } from 'chai';
import OpenAI from 'openai';
import { performance } from 'node:perf_hooks';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Routing against a real upstream: a race loser's and a TTFT-expired attempt's upstream
 * connections are closed, a 503 fails over, and a reset after output is never retried. The
 * emulator sees every request and every connection the client (lip) closed.
 */
describe('e2e: routing through an emulated upstream', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  const byModel: Record<string, Script> = {
    slow: { text: 'slow answer', fault: { stall: 'before_first_token' } },
    fast: { text: ['fast ', 'answer'] },
    busy: { status: 503, error: { message: 'overloaded' } },
    cut: { text: ['partial ', 'answer', ' never'], fault: { reset: 'after_output' } },
  };
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => byModel[req.model ?? ''] ?? { text: 'default' };
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`, 'routing: { default_route: "up:fast" }'));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  const stream = async (model: string) => {
    const { data, response } = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    return { text, backend: response.headers.get('x-lip-backend') };
  };

  it('a slow primary loses a race and its upstream connection is closed at once', async () => {
    const closed = upstream.nextClose();
    expect(await stream('up:slow!up:fast')).to.deep.equal({ text: 'fast answer', backend: 'up:fast' });
    // Recorded only for a close before the slow leg's response ended.
    const close = await closed;
    expect(close.path).to.match(/chat\/completions$/);
    expect(upstream.requests.map((r) => r.model).sort()).to.deep.equal(['fast', 'slow']);
  });

  it('a leaf TTFT expiry closes the slow upstream and fails over to the next arm', async () => {
    const closed = upstream.nextClose();
    expect(await stream('[ttft_timeout=150ms]up:slow|up:fast')).to.deep.equal({ text: 'fast answer', backend: 'up:fast' });
    await closed;
    expect(upstream.requests.map((r) => r.model)).to.deep.equal(['slow', 'fast']);
  });

  it('a retryable 503 before output fails over invisibly', async () => {
    expect(await stream('up:busy|up:fast')).to.deep.equal({ text: 'fast answer', backend: 'up:fast' });
    expect(upstream.requests.map((r) => r.model)).to.deep.equal(['busy', 'fast']);
  });

  it('a reset after output reaches the client in-band and no second backend is opened', async () => {
    const err = await stream('up:cut|up:fast').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    expect(upstream.requests.map((r) => r.model)).to.deep.equal(['cut']);
  });
});
