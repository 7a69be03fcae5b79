import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { ended } from '../helpers/batches.js';
import type { Emulator } from '../helpers/emulators/index.js';
import type { RunningLip } from '../helpers/lip.js';
import { startTracedLip, type TracedLip } from '../helpers/traced-lip.js';
import { type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { eventually } from '../replay/recording-helpers.js';

/**
 * Regressions found by the observability agreement property (spec/fuzz/observability-agreement):
 *
 * * An `attempt failed` line gave lip's own error status as `upstream_status` when no upstream
 *   had answered (a reset before the first byte read `upstream_status: 502`, an attempt with no
 *   usable key `429`), so the log blamed a provider that was never reached, and disagreed with
 *   the attempt's span (whose `http.response.status_code` is the upstream's alone).
 * * A request refused before any attempt (its key may not use the candidate) had `attempts: 0`
 *   on its access line and no `lip.attempts` on its SERVER span; so had a request of a batch,
 *   whose access line also lacked `selector_source` and `trace_id`.
 */
describe('regression: an attempt\'s upstream status is the upstream\'s; a refused request has 0 attempts on its span', () => {
  let upstream: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  let rig: TracedLip | undefined;
  before(async () => {
    rig = await startTracedLip(['logging: { access_log: true }', 'auth: { api_keys: [{ id: team, key: team-key-0123456789, allow: ["up:fine"] }] }']);
    ({ upstream, receiver, lip } = rig);
  });
  after(() => rig?.close());

  beforeEach(() => upstream.reset());

  const chat = (model: string, requestId: string) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer team-key-0123456789', 'x-request-id': requestId },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const lines = (requestId: string) => lip.logs.filter((l) => l.request_id === requestId);
  const spansOf = async (requestId: string) => {
    await lip.server.flushTraces();
    const server = await eventually(() => receiver.spans.find((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId), (s) => s !== undefined);
    return { server: server!, clients: receiver.spans.filter((s) => s.parentSpanId === server!.spanId && s.kind === 3) };
  };

  it('a reset before the first byte: no upstream status on the attempt line or the span', async () => {
    upstream.enqueue({ text: ['never'], fault: { reset: 'before_first_byte' } });
    const res = await chat('up:fine', 'req-reset');
    expect(res.status).to.equal(502);
    const failed = await eventually(() => lines('req-reset').find((l) => l.message === 'attempt failed'), (l) => l !== undefined);
    expect(failed).to.include({ candidate_key: 'up:fine', error: 'LIP_ERR_UPSTREAM_RESET' });
    expect(failed).not.to.have.property('upstream_status');
    const { clients } = await spansOf('req-reset');
    expect(clients.map((c) => c.attributes['http.response.status_code'])).to.deep.equal([undefined]);
  });

  it('an upstream status error keeps the upstream\'s status on both', async () => {
    upstream.enqueue({ status: 503, error: { message: 'overloaded' } });
    expect((await chat('up:fine', 'req-503')).status).to.equal(503);
    const failed = await eventually(() => lines('req-503').find((l) => l.message === 'attempt failed'), (l) => l !== undefined);
    expect(failed).to.include({ upstream_status: 503, error: 'LIP_ERR_UPSTREAM_STATUS' });
    const { clients } = await spansOf('req-503');
    expect(clients.map((c) => c.attributes['http.response.status_code'])).to.deep.equal([503]);
  });

  it('a request of a batch: 0 attempts on its span when refused; its access line names its selector\'s source and its trace', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: 'team-key-0123456789', maxRetries: 0 });
    upstream.enqueue({ text: 'fine' });
    const created = await client.messages.batches.create({ requests: [
      { custom_id: 'refused', params: { model: 'up:other', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } },
      { custom_id: 'served', params: { model: 'up:fine', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } },
    ] });
    await ended(client, created.id);
    for (const [id, status, attempts] of [['refused', 403, 0], ['served', 200, 1]] as const) {
      const requestId = `${created.id}/${id}`;
      const access = await eventually(() => lines(requestId).find((l) => l.message === 'request'), (l) => l !== undefined);
      const { server } = await spansOf(requestId);
      expect(access).to.include({ status, attempts, selector_source: 'model', trace_id: server.traceId, batch_id: created.id });
      expect(server.attributes).to.include({ 'lip.attempts': attempts, 'lip.selector_source': 'model', 'http.response.status_code': status });
    }
  });

  it('a candidate the key may not use: 0 attempts on the access line and the SERVER span', async () => {
    const res = await chat('up:other', 'req-refused');
    expect(res.status).to.equal(403);
    const access = await eventually(() => lines('req-refused').find((l) => l.message === 'request'), (l) => l !== undefined);
    expect(access).to.include({ attempts: 0, error: 'LIP_ERR_AUTH_CANDIDATE_FORBIDDEN' });
    const { server, clients } = await spansOf('req-refused');
    expect(server.attributes).to.include({ 'lip.attempts': 0, 'http.response.status_code': 403 });
    expect(clients).to.deep.equal([]);
  });
});
