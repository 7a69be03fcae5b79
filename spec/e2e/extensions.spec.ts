import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { Observation } from '../../lib/extensions/observation.js';
import { registerFeature } from '../../lib/extensions/registry.js';
import type { AuxiliaryResult, FeatureFactory } from '../../lib/extensions/index.js';
import { CLIENT_DRIVERS, type ClientRequest, type ClientTool } from '../helpers/clients/index.js';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const SECRET = 'diagnostics-secret-0123';
const TOOLS: ClientTool[] = [{ name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
const REDACTED: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: '[withheld by policy]' }, { type: 'response_finished', reason: 'stop' },
];

/** What the in-test plugin saw: its auxiliary calls and the observations it received. */
const seen = { aux: [] as AuxiliaryResult[], observations: [] as Observation[] };

/**
 * The e2e test plugin, one hook per stage the proof needs: a request transform (a system
 * line), a stream mutation (cat -> dog), a swallowed tool (`internal_audit`), a replaced
 * completion (anything saying FORBIDDEN), an auxiliary call (when the user asks to consult),
 * and a traffic observer.
 */
const e2ePlugin: FeatureFactory<{ system: string }> = {
  id: 'test-e2e',
  description: 'e2e test plugin',
  configSchema: { type: 'object', additionalProperties: false, required: ['system'], properties: { system: { type: 'string' } } },
  create: (config) => ({
    requestTransforms: [{ id: 'system-line', run: (call) => ({ ...call, system: [...call.system, { type: 'text', text: config.system }] }) }],
    preRequest: [{
      id: 'consult',
      async run(call, ctx) {
        const last = JSON.stringify(call.messages[call.messages.length - 1]);
        if (!last.includes('consult')) return call;
        const result = await ctx.auxiliary.collect({ role: 'advisor', call: { ...call, model: 'up:advisor', stream: false, tools: [], toolChoice: { type: 'auto' } } });
        seen.aux.push(result);
        const advice = result.response.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
        return { ...call, metadata: { ...call.metadata, advice } };
      },
    }],
    eventMutators: [
      { id: 'cat-to-dog', mutate: (e) => (e.type === 'text_delta' ? { ...e, text: e.text.replace(/cat/g, 'dog') } : e) },
      { id: 'flaky', order: 200, mutate: (e) => { if (e.type === 'text_delta' && e.text.includes('flaky')) throw new Error('flaky hook'); return e; } },
    ],
    toolReactors: [{ id: 'hide-audit', react: (tool) => (tool.name === 'internal_audit' ? { action: 'swallow' } : { action: 'pass' }) }],
    completionGates: [{ id: 'forbidden', gate: (c) => (c.response.blocks.some((b) => b.type === 'text' && b.text.includes('FORBIDDEN')) ? { action: 'replace', events: REDACTED } : { action: 'pass_original' }) }],
    trafficObservers: [{ id: 'tap', observe: (batch) => { seen.observations.push(...batch); } }],
  }),
};

/** The upstream's answer by the user's words (and the advisor model). */
function answer(req: RecordedRequest): Script {
  if (req.model === 'advisor') return { text: 'keep it short' };
  const text = JSON.stringify(req.body?.messages?.at(-1) ?? '');
  if (text.includes('pets')) return { text: ['the cat ', 'sat on the cat mat'] };
  if (text.includes('weather')) return { toolCalls: [{ id: 'call_audit', name: 'internal_audit', args: '{"who":"me"}' }, { id: 'call_w', name: 'get_weather', args: '{"city":"Paris"}' }] };
  if (text.includes('plans')) return { text: ['the FORBIDDEN ', 'plan'] };
  if (text.includes('unstable')) return { text: ['a flaky ', 'answer'] };
  return { text: 'ok' };
}

describe('e2e: extensions through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let unregister: () => void;
  before(async () => {
    unregister = registerFeature(e2ePlugin);
    upstream = await startOpenAIChatEmulator();
    upstream.handler = answer;
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      `diagnostics: { enabled: true, shared_secret: "${SECRET}" }`,
      'observability: { metrics: { enabled: true } }',
      'features:',
      '  - { id: test-e2e, config: { system: "Answer briefly." } }',
      '  - { id: request-tag, config: { tags: { team: e2e }, request_id_key: lip_request_id } }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    unregister?.();
  });
  beforeEach(() => {
    upstream.reset();
    seen.aux.length = 0;
    seen.observations.length = 0;
  });

  const admin = async (path: string) => (await fetch(`${lip.url}${path}`, { headers: { 'x-lip-diagnostics-secret': SECRET } })).json() as Promise<any>;

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    describe(frontend, () => {
      const send = (text: string, extra: Partial<ClientRequest> = {}) => driver.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text }], ...extra });

      it('a request transform is visible at the upstream (and the example plugin stamps the request id)', async () => {
        const r = await send('hello');
        expect(r.error).to.equal(undefined);
        expect(r.text).to.equal('ok');
        const body = upstream.requests[0]!.body;
        expect(JSON.stringify(body.messages[0])).to.contain('Answer briefly.');
        expect(body.metadata).to.include({ team: 'e2e' });
        expect(body.metadata.lip_request_id).to.be.a('string').and.not.equal('');
      });

      it('a stream mutation is visible to the client', async () => {
        const r = await send('tell me about pets');
        expect(r.error).to.equal(undefined);
        expect(r.text).to.equal('the dog sat on the dog mat');
      });

      it('a swallowed tool never reaches the client; the other tool call does', async () => {
        const r = await send('what is the weather', { tools: TOOLS });
        expect(r.error).to.equal(undefined);
        expect(r.toolCalls.map((t) => [t.name, t.args])).to.deep.equal([['get_weather', { city: 'Paris' }]]);
      });

      it('a completion is replaced before the client sees any of it (non-streaming too)', async () => {
        for (const stream of [true, false]) {
          const r = await send('share your plans', { stream });
          expect(r.error).to.equal(undefined);
          expect(r.text).to.equal('[withheld by policy]');
          expect(r.finishReason).to.equal('stop');
        }
      });

      it('an auxiliary call runs through the executor and is recorded as its own attempts', async () => {
        const r = await send('please consult first');
        expect(r.error).to.equal(undefined);
        expect(upstream.requests.map((q) => q.model)).to.deep.equal(['advisor', 'chat']);
        expect(upstream.requests[1]!.body.metadata.advice).to.equal('keep it short');
        // The advisor call did not run the caller's hooks again (no nested consult, one advisor request).
        expect(seen.aux).to.have.length(1);
        const aux = seen.aux[0]!;
        const rows = await admin(`/admin/attempts?a_leg_id=${encodeURIComponent(aux.aLegId!)}`);
        expect(rows.attempts.map((a: any) => [a.candidate_key, a.outcome])).to.deep.equal([['up:advisor', 'success']]);
      });

      it('the observation plane saw the raw body with this frontend id, and every leg', async () => {
        await send('hello');
        // Observations arrive off the hot path: wait (generously) for the client leg's last event.
        for (let waited = 0; !seen.observations.some((o) => o.leg === 'proxy_to_client' && o.kind === 'event' && o.event.type === 'response_finished') && waited < 5_000; waited += 10) await sleep(10);
        const legs = new Set(seen.observations.map((o) => o.leg));
        expect([...legs].sort()).to.deep.equal(['backend_to_proxy', 'client_to_proxy', 'proxy_to_backend', 'proxy_to_client']);
        const raw = seen.observations.find((o) => o.kind === 'raw_body')!;
        expect(raw).to.include({ leg: 'client_to_proxy', frontendId: frontend, principal: 'local' });
      });
    });
  }

  it('a fail_open hook that throws is skipped (the client gets the text) and counted in /metrics (logging: spec/extensions/run-request-stages)', async () => {
    const r = await CLIENT_DRIVERS['openai-chat']!.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'something unstable' }] });
    expect(r.error).to.equal(undefined);
    expect(r.text).to.equal('a flaky answer');
    const metrics = await (await fetch(`${lip.url}/metrics`, { headers: { 'x-lip-diagnostics-secret': SECRET } })).text();
    const count = Number(/^lip_extension_stage_fail_open_skips_total\{stage="stream_event_mutation"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(count).to.be.at.least(1);
  });

  it('GET /admin/inventory lists the features and the occupied stages (secret required)', async () => {
    expect((await fetch(`${lip.url}/admin/inventory`)).status).to.equal(403);
    const inv = await admin('/admin/inventory');
    expect(inv.features.map((f: any) => f.id)).to.deep.equal(['test-e2e', 'request-tag', 'tool-call-repair', 'reasoning-output-preservation']); // the last two are on by default
    const occupied = Object.fromEntries(inv.stages.filter((s: any) => Array.isArray(s.hooks) && s.hooks.length > 0).map((s: any) => [s.id, s.hooks.map((h: any) => `${h.feature}/${h.hook}`)]));
    expect(occupied).to.deep.equal({
      submit_request: ['request-tag/stamp-metadata'],
      request_wide_shaping: ['test-e2e/system-line'],
      pre_request_admission: ['test-e2e/consult'],
      stream_event_mutation: ['tool-call-repair/track-open', 'test-e2e/cat-to-dog', 'test-e2e/flaky'],
      // Tool-call repair is a finalizer: it runs before every policy and reactor, whatever their order.
      tool_event_reaction: ['tool-call-repair/repair', 'test-e2e/hide-audit'],
      completion_gating: ['test-e2e/forbidden'],
      candidate_attempt_transform: ['reasoning-output-preservation/restore-missing'],
      final_stream_observation: ['tool-call-repair/count-canceled', 'reasoning-output-preservation/keep-released-turn'],
      traffic_observation: ['test-e2e/tap'],
    });
  });
});
