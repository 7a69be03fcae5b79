import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

/**
 * Regression (found by probing): a handicapped race leg that started after another leg had
 * failed was counted as a failover from it (`lip_failovers_total`, a `lip.failover` span event),
 * next to the race's own `lip_race_legs_total`; and `a![handicap]b | c` with a and b failing
 * counted two failovers (a -> b, b -> c) for the one move to the next arm. Only routing moving on
 * after a failure (the next `|` arm, a weighted arm re-rolled) is a failover: one per move, from
 * the last attempt that failed.
 */
describe('regression: a handicapped race leg is not a failover', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  const byModel: Record<string, Script> = {
    ok: { text: 'ok', usage: { input: 1, output: 1 } },
    broken: { status: 500, error: { message: 'boom' } },
  };
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => byModel[req.model ?? ''] ?? byModel.ok!;
    receiver = await startOtlpReceiver();
    const row = (id: string) => `  - { id: ${id}, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`;
    lip = await startLip(testConfig([row('b0'), row('b1'), row('b2'), row('w0'), row('w1')].join('\n'), [
      'logging: { access_log: true }',
      'observability: { metrics: { enabled: true }, tracing: { enabled: true } }',
      'routing: { default_route: "b0:ok", max_attempts: 5 }',
    ].join('\n')), {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    await receiver?.close();
  });

  /** The failover counters, by `backend` (summed over reasons). */
  const failovers = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${lip.url}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^lip_failovers_total\{backend="([^"]+)",reason="[^"]+"\} (\d+)$/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
    return out;
  };
  const moved = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== (before[k] ?? 0)).map(([k, v]) => [k, v - (before[k] ?? 0)]));

  /** Sends the request; answers with its status and, once exported, its SERVER span's failover events and attempt lines. */
  const run = async (requestId: string, model: string) => {
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    await until(() => lip.logs.some((l) => l.request_id === requestId && l.message === 'request'), 'the access line');
    await lip.server.flushTraces();
    await until(() => receiver.spans.some((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId), 'the SERVER span');
    const server = receiver.spans.find((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId)!;
    return {
      status: res.status,
      failovers: server.events.filter((e) => e.name === 'lip.failover').map((e) => [e.attributes['lip.failover.from'], e.attributes['lip.failover.to']]),
      failed: lip.logs.filter((l) => l.request_id === requestId && l.message === 'attempt failed').map((l) => l.candidate_key),
    };
  };

  it('b0 fails before the handicapped b1 starts: b1 wins the race, and nothing failed over', async () => {
    const before = await failovers();
    const r = await run('race-1', 'b0:broken![handicap=1s]b1:ok');
    expect(r.status).to.equal(200);
    expect(r.failed).to.deep.equal(['b0:broken']);
    expect(r.failovers).to.deep.equal([]);
    expect(moved(before, await failovers())).to.deep.equal({});
  });

  it('a race arm whose legs both fail, then the next arm: one failover, from the leg that failed last', async () => {
    const before = await failovers();
    const r = await run('race-2', 'b0:broken![handicap=200ms]b1:broken|b2:ok');
    expect(r.status).to.equal(200);
    expect(r.failed).to.have.members(['b0:broken', 'b1:broken']);
    const last = r.failed[r.failed.length - 1] as string;
    expect(r.failovers).to.deep.equal([[last, 'b2:ok']]);
    expect(moved(before, await failovers())).to.deep.equal({ [last.slice(0, 2)]: 1 });
  });

  it('a failover into a race: one failover, to the first leg (the handicapped one that starts later is not one)', async () => {
    const before = await failovers();
    const r = await run('race-3', 'b0:broken|b1:broken![handicap=200ms]b2:ok');
    expect(r.status).to.equal(200);
    expect(r.failovers).to.deep.equal([['b0:broken', 'b1:broken']]);
    expect(moved(before, await failovers())).to.deep.equal({ b0: 1 });
  });

  it('a weighted arm re-rolled after a branch failed is still a failover', async () => {
    const before = await failovers();
    // The failing branch weighs so much more that it is picked first (the other is then all that is left).
    const r = await run('weighted-1', '[weight=1000000]w0:broken^w1:ok');
    expect(r.status).to.equal(200);
    if (r.failed.length === 1) {
      expect(r.failovers).to.deep.equal([['w0:broken', 'w1:ok']]);
      expect(moved(before, await failovers())).to.deep.equal({ w0: 1 });
    } else {
      expect(r.failovers).to.deep.equal([]); // the roll took w1 first (one in a million)
    }
  });
});
