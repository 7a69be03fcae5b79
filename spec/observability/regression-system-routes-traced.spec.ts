import { expect } from 'chai';
import { until } from '../helpers/hostile-rig.js';
import { startTracedLip, type TracedLip } from '../helpers/traced-lip.js';

/**
 * Regression (found by probing): health probes and metrics scrapes are "not traffic" (not
 * counted, not access-logged unless observability.include_system_routes), yet each exported a
 * SERVER span: five rounds of /healthz, /readyz and /metrics made fifteen traces, drowning a
 * trace backend in probes. They are traced only with include_system_routes now.
 */
describe('regression: health probes and metrics scrapes are not traced unless include_system_routes', function () {
  this.timeout(30_000);
  let rig: TracedLip | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  const SYSTEM = ['GET /healthz', 'GET /readyz', 'GET /metrics'];

  /** Three rounds of probes and scrapes, then one chat request whose SERVER span is waited for. */
  const probeThenChat = async (t: TracedLip): Promise<string[]> => {
    for (let i = 0; i < 3; i++) {
      for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${t.lip.url}${path}`).then(async (r) => (await r.text(), r.status)))).to.equal(200);
    }
    const res = await fetch(`${t.lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'after-probes' },
      body: JSON.stringify({ model: 'up:m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    await res.text();
    await t.lip.server.flushTraces();
    await until(() => t.receiver.spans.some((s) => s.attributes['lip.request_id'] === 'after-probes'), 'the chat request\'s SERVER span');
    return t.receiver.spans.filter((s) => s.kind === 2).map((s) => s.name);
  };

  it('by default: only the chat request has a SERVER span', async () => {
    rig = await startTracedLip(['observability: { metrics: { enabled: true }, tracing: { enabled: true } }']);
    expect(await probeThenChat(rig)).to.deep.equal(['POST /v1/chat/completions']);
  });

  it('with include_system_routes: every probe and scrape has one too', async () => {
    rig = await startTracedLip(['observability: { metrics: { enabled: true }, tracing: { enabled: true }, include_system_routes: true }']);
    const names = await probeThenChat(rig);
    expect(names.filter((n) => SYSTEM.includes(n))).to.have.length(9);
    expect(names).to.include('POST /v1/chat/completions');
  });
});
