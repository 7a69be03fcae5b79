import { expect } from 'chai';
import type { Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import type { RunningLip } from '../helpers/lip.js';
import { startTracedLip, type TracedLip } from '../helpers/traced-lip.js';
import { type OtlpReceiver, type OtlpSpan } from '../helpers/otlp-receiver.js';

/**
 * Regression (found by probing): a stream that failed in-band, after its 200 was sent, left its
 * SERVER span's status unset (`http.response.status_code` 200 beside an `error.type`), so a
 * trace backend counting error spans never saw it. The HTTP conventions ask for status Error
 * when another error ended the response; a 4xx (the client's error) stays unset.
 */
describe('regression: a SERVER span whose stream failed in-band has status ERROR', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  let rig: TracedLip | undefined;
  before(async () => {
    rig = await startTracedLip(['routing: { default_route: "up:m" }']);
    ({ upstream, receiver, lip } = rig);
  });
  after(() => rig?.close());

  beforeEach(() => upstream.reset());

  const chat = (requestId: string, body: Record<string, unknown>) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body: JSON.stringify(body),
  });
  const serverSpan = async (requestId: string): Promise<OtlpSpan> => {
    await lip.server.flushTraces();
    await until(() => receiver.spans.some((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId), 'the SERVER span');
    return receiver.spans.find((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId)!;
  };

  it('a stream that broke after its first output: 200, the error\'s type, status ERROR', async () => {
    upstream.enqueue({ text: ['partial ', 'answer'], fault: { reset: 'after_output' } });
    const res = await chat('in-band-1', { model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.include('partial');
    const span = await serverSpan('in-band-1');
    expect(span.attributes['http.response.status_code']).to.equal(200);
    expect(span.attributes['error.type']).to.be.a('string').and.match(/^LIP_ERR_/);
    expect(span.status?.code).to.equal(2); // ERROR
  });

  it('a request the client got wrong (400): status unset', async () => {
    const res = await chat('client-error-1', { model: 'up:m', messages: 'not a list' });
    expect(res.status).to.equal(400);
    const span = await serverSpan('client-error-1');
    expect(span.attributes['error.type']).to.be.a('string');
    expect(span.status?.code ?? 0).to.equal(0); // UNSET
  });

  it('a stream that ended well: status unset', async () => {
    upstream.enqueue({ text: ['whole ', 'answer'] });
    await (await chat('fine-1', { model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] })).text();
    const span = await serverSpan('fine-1');
    expect(span.attributes).not.to.have.property('error.type');
    expect(span.status?.code ?? 0).to.equal(0);
  });
});
