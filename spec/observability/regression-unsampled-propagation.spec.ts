import { expect } from 'chai';
import OpenAI from 'openai';
import type { Emulator } from '../helpers/emulators/index.js';
import type { RunningLip } from '../helpers/lip.js';
import { startTracedLip, type TracedLip } from '../helpers/traced-lip.js';
import { type OtlpReceiver } from '../helpers/otlp-receiver.js';

const CLIENT_TRACE = '11111111111111111111111111111111';
const CLIENT_SPAN = '2222222222222222';

/**
 * Regression (found by probing): a request the tracer does not sample sent no trace context
 * upstream. Only a recorded trace made attempt spans, and the attempt span was the only source
 * of the upstream's `traceparent`: an unsampled client trace (flag 00) and a root the
 * sample_ratio dropped lost their ids, `tracestate` and `baggage` at lip, against the docs
 * ("An unsampled request still propagates its ids (flag 00); it records nothing").
 */
describe('regression: an unsampled request still propagates its trace context upstream', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  let rig: TracedLip | undefined;
  before(async () => {
    // sample_ratio 0: a root trace is dropped; a client's trace is followed (parent-based).
    rig = await startTracedLip(['routing: { default_route: "up:m" }', 'observability: { tracing: { enabled: true, sample_ratio: 0 } }']);
    ({ upstream, receiver, lip } = rig);
  });
  after(() => rig?.close());

  beforeEach(() => upstream.reset());

  const chat = (headers: Record<string, string>) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });

  it('a client trace with flag 00: its trace id, tracestate and baggage go upstream, unsampled, and nothing is recorded', async () => {
    const res = await chat({ traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`, tracestate: 'vendor=abc', baggage: 'tenant=acme', 'x-request-id': 'unsampled-1' });
    expect(res.status).to.equal(200);
    await res.text();
    const [sent] = upstream.requests;
    expect(sent!.headers.traceparent).to.match(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    expect(sent!.headers.traceparent).not.to.include(CLIENT_SPAN);
    expect(sent!.headers.tracestate).to.equal('vendor=abc');
    expect(sent!.headers.baggage).to.equal('tenant=acme');
    // A sampled request made after it is exported; the unsampled one never is.
    await (await chat({ traceparent: `00-${'3'.repeat(32)}-${CLIENT_SPAN}-01`, 'x-request-id': 'sampled-1' })).text();
    await lip.server.flushTraces();
    expect(receiver.spans.map((s) => s.traceId)).to.include('3'.repeat(32)).and.not.to.include(CLIENT_TRACE);
  });

  it('a root trace the sample_ratio dropped: its own trace id goes upstream, unsampled', async () => {
    await (await chat({ 'x-request-id': 'unsampled-root-1' })).text();
    expect(upstream.requests[0]!.headers.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('an embeddings request of an unsampled trace: the same', async () => {
    upstream.enqueue({ usage: { input: 3, output: 0 } });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await openai.embeddings.create({ model: 'up:e', input: 'a text', encoding_format: 'float' }, {
      headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`, tracestate: 'vendor=abc' },
    });
    const [sent] = upstream.requests;
    expect(sent!.headers.traceparent).to.match(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    expect(sent!.headers.tracestate).to.equal('vendor=abc');
  });
});
