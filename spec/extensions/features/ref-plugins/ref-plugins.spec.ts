import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import type { Call, LipEvent } from '../../../../lib/canonical/index.js';
import type { ExecuteContext } from '../../../../lib/core/execute.js';
import type { Runtime } from '../../../../lib/core/runtime.js';
import { LipError } from '../../../../lib/errors/index.js';
import { refVerifierStub } from '../../../../lib/extensions/features/ref-verifier-stub/ref-verifier-stub.js';
import type { Observation } from '../../../../lib/extensions/observation.js';
import { configIssues } from '../../../helpers/config.js';
import { userCall } from '../../fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from '../../test-feature.js';

const OFF = '  - { id: tool-call-repair, enabled: false }';
const text = (call: Call | undefined) => call?.messages.map((m) => m.parts.map((p) => (p.type === 'text' ? p.text : '')).join('|'));
const tool = (args: string): LipEvent[] => [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'tool_call_started', id: 'c1', name: 'f' }, ...(args ? [{ type: 'tool_call_delta' as const, id: 'c1', args }] : []), { type: 'tool_call_finished', id: 'c1' },
  { type: 'response_finished', reason: 'tool_calls' },
];

describe('reference plugins: ref-submit-annotate, ref-request-suffix, ref-tool-prefix, ref-autoappend-file', () => {
  useTestFeatures();
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });
  const make = (...args: Parameters<typeof featureRuntime>) => { const made = featureRuntime(...args); open.push(made.runtime); return made; };
  const run = (runtime: Runtime, call: Call = userCall('hi'), ctx: Partial<ExecuteContext> = {}) =>
    lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {}, ...ctx }).pipe(toArray()));

  it('ref-submit-annotate: the JSON marker is in the call the backend gets and in the proxy_to_backend observation', async () => {
    const seen: Observation[] = [];
    bundles['test-hooks'] = () => ({ trafficObservers: [{ id: 'tap', observe: (batch) => { seen.push(...batch); } }] });
    const { runtime, backend } = make({ a: ok('x') }, `  - { id: ref-submit-annotate, config: { marker: team-a } }\n  - { id: test-hooks }\n${OFF}`);
    await run(runtime, userCall('hi', { metadata: { mine: '1' } }));
    expect(backend.lastCall.metadata).to.deep.equal({ mine: '1', x_lip_ref_submit: '"team-a"' });
    await new Promise((r) => setImmediate(r));
    const toBackend = seen.find((o) => o.leg === 'proxy_to_backend');
    expect(toBackend && toBackend.kind === 'call' && toBackend.call.metadata.x_lip_ref_submit).to.equal('"team-a"');
  });

  it('ref-request-suffix: each failover candidate gets the suffix once on its own copy; every text delta gets the prefix', async () => {
    const fail = new LipError('LIP_ERR_UPSTREAM_CONNECT', 'down', { retryable: true });
    const { runtime, backend } = make({ a: [{ fail }], b: [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'one ' }, { type: 'text_delta', text: 'two' }, { type: 'response_finished', reason: 'stop' }] },
      `  - { id: ref-request-suffix, config: { response_prefix: "  REF: " } }\n${OFF}`);
    const call = userCall('hi', { messages: [{ role: 'assistant', parts: [{ type: 'text', text: 'earlier' }] }, { role: 'user', parts: [{ type: 'image', url: 'https://x/y.png' }, { type: 'text', text: 'first' }, { type: 'text', text: 'second' }] }] });
    const events = await run(runtime, call, { routeHeader: 's:a|s:b' });
    expect(backend.calls.map((c) => text(c.call))).to.deep.equal([['earlier', '|first [ref]|second'], ['earlier', '|first [ref]|second']]);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).to.deep.equal(['REF:one ', 'REF:two']);
    expect(text(call)).to.deep.equal(['earlier', '|first|second']); // the client's call is untouched
  });

  it('ref-tool-prefix: non-empty arguments get the prefix once, never doubled; empty ones pass', async () => {
    for (const [args, expected] of [['{"a":1}', '>>{"a":1}'], ['>>{"a":1}', '>>{"a":1}'], ['', '']] as const) {
      const { runtime } = make({ a: tool(args) }, `  - { id: ref-tool-prefix }\n${OFF}`);
      const events = await run(runtime);
      expect(events.filter((e) => e.type === 'tool_call_delta').map((e) => (e as { args: string }).args).join('')).to.equal(expected);
    }
  });

  it('ref-autoappend-file: only the first request of a new conversation gets file_text', async () => {
    const { runtime, backend } = make({ a: ok('x') }, `  - { id: ref-autoappend-file }\n${OFF}`);
    const first = runtime.continuity.resolveALeg('local');
    const again = runtime.continuity.resolveALeg('local', first.sessionId);
    expect([first.created, again.created]).to.deep.equal([true, false]);
    await run(runtime, userCall('first'), { aLeg: first });
    await run(runtime, userCall('second'), { aLeg: again });
    await run(runtime, userCall('no continuity'));
    expect(backend.calls.map((c) => text(c.call))).to.deep.equal([['first\n[ref-autoappend-file]\n'], ['second'], ['no continuity']]);
    const empty = make({ a: ok('x') }, `  - { id: ref-autoappend-file, config: { file_text: "" } }\n${OFF}`);
    await run(empty.runtime, userCall('first'), { aLeg: empty.runtime.continuity.resolveALeg('local') });
    expect(empty.backend.calls.map((c) => text(c.call))).to.deep.equal([['first']]);
  });
});

describe('ref-verifier-stub: configuration', () => {
  const yaml = (timeout: string) => `features:\n  - { id: ref-verifier-stub, config: { timeout: ${timeout} } }\nbackends:\n  - { id: up, kind: localstub }\n`;

  it('timeout must be more than 0 and at most 24h (a longer timer fired at once: every completion passed unverified)', () => {
    expect(configIssues(yaml('0s'))).to.deep.equal(['features[0].config.timeout: must be more than 0']);
    expect(configIssues(yaml('600h'))).to.deep.equal(['features[0].config.timeout: must be at most 24h (got 600h)']);
    expect(configIssues(yaml('24h'))).to.deep.equal([]);
    expect(() => refVerifierStub.create({ order: 25, aux_role: 'verifier', steer_text: 'ok', model_routing_string: '', timeout: 0 }, undefined as never)).to.throw('timeout: must be more than 0');
  });
});
