import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { setImmediate as tick } from 'node:timers/promises';
import { LipError } from '../../lib/errors/index.js';
import { FAIL_OPEN_SKIPS } from '../../lib/extensions/hook-failures.js';
import type { Observation } from '../../lib/extensions/observation.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

const retryable = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 503', { status: 503, retryable: true });

describe('extensions: the traffic observation plane', () => {
  useTestFeatures();
  let runtime: Runtime | undefined;
  afterEach(async () => { await runtime?.close(); runtime = undefined; });

  const observe = (extra: object = {}) => {
    const batches: Observation[][] = [];
    bundles['test-hooks'] = () => ({ trafficObservers: [{ id: 'tap', observe: (batch) => { batches.push([...batch]); } }], ...extra });
    return batches;
  };

  it('observes the four legs with correlation, off the hot path, after mutation on the client leg', async () => {
    const batches = observe({ eventMutators: [{ id: 'upper', mutate: (e: { type: string; text?: string }) => (e.type === 'text_delta' ? { ...e, text: e.text!.toUpperCase() } : e) }] });
    const made = featureRuntime({ bad: [{ type: 'response_started' }, { fail: retryable }], good: ok('fine') }, '  - { id: test-hooks }');
    runtime = made.runtime;
    const aLeg = runtime.continuity.resolveALeg('alice');
    const out = await lastValueFrom(runtime.executor.execute(userCall(), { requestId: 'r-7', meta: {}, principal: 'alice', aLeg, frontendId: 'openai-chat', routeHeader: 's:bad|s:good' }).pipe(toArray()));
    expect(out.map((e) => (e.type === 'text_delta' ? e.text : e.type))).to.deep.equal(['response_started', 'message_started', 'FINE', 'response_finished']);
    expect(batches).to.have.length(0); // nothing is delivered synchronously
    await tick();
    const all = batches.flat();
    const rows = all.map((o) => [o.leg, o.kind, o.attemptSeq ?? null, o.candidateKey ?? null, o.kind === 'event' && o.event.type === 'text_delta' ? o.event.text : null]);
    expect(rows).to.deep.equal([
      ['client_to_proxy', 'call', null, null, null],
      ['proxy_to_backend', 'call', 1, 's:bad', null],
      ['backend_to_proxy', 'event', 1, 's:bad', null],
      ['proxy_to_backend', 'call', 2, 's:good', null],
      ['backend_to_proxy', 'event', 2, 's:good', null],
      ['backend_to_proxy', 'event', 2, 's:good', null],
      ['backend_to_proxy', 'event', 2, 's:good', 'fine'],
      ['proxy_to_client', 'event', null, null, null],
      ['proxy_to_client', 'event', null, null, null],
      ['proxy_to_client', 'event', null, null, 'FINE'],
      ['backend_to_proxy', 'event', 2, 's:good', null],
      ['proxy_to_client', 'event', null, null, null],
    ]);
    const attempts = await runtime.continuity.attempts(aLeg.aLegId);
    const second = all.find((o) => o.leg === 'proxy_to_backend' && o.attemptSeq === 2)!;
    expect(second).to.include({ requestId: 'r-7', aLegId: aLeg.aLegId, sessionId: aLeg.sessionId, principal: 'alice', frontendId: 'openai-chat', backendId: 's', bLegId: attempts![1]!.b_leg_id });
    expect(all.every((o) => typeof o.at === 'number' && o.requestId === 'r-7')).to.equal(true);
  });

  it('redactors run on copies first; a failing redactor drops the observation instead of leaking it', async () => {
    const batches = observe({
      trafficRedactors: [
        { id: 'mask', order: 1, redact: (o: Observation) => (o.kind === 'call' ? { ...o, call: { ...o.call, messages: [{ role: 'user', parts: [{ type: 'text', text: '***' }] }] } } : o) },
        { id: 'picky', order: 2, redact: (o: Observation) => { if (o.kind === 'event' && o.event.type === 'usage') throw new Error('cannot'); return o; } },
      ],
    });
    const made = featureRuntime({ a: [...ok('x').slice(0, 3), { type: 'usage', usage: { outputTokens: 1 } }, ok('x')[3]!] }, '  - { id: test-hooks }');
    runtime = made.runtime;
    await lastValueFrom(runtime.executor.execute(userCall('my secret'), { requestId: 'r', meta: {} }).pipe(toArray()));
    await tick();
    const all = batches.flat();
    const texts = all.filter((o) => o.kind === 'call').map((o) => (o.kind === 'call' ? o.call.messages[0]!.parts[0] : undefined));
    expect(texts).to.deep.equal([{ type: 'text', text: '***' }, { type: 'text', text: '***' }]);
    expect(made.backend.lastCall.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'my secret' });
    expect(all.some((o) => o.kind === 'event' && o.event.type === 'usage')).to.equal(false);
  });

  it('a redactor answer that is no observation (undefined, null, a number, a promise, no leg or kind) is its failure: the observation is dropped, never passed on', async () => {
    const answers: unknown[] = [undefined, null, 42, 'text', Promise.resolve(undefined), {}, { kind: 'event' }, { leg: 'proxy_to_client' }, { leg: 'elsewhere', kind: 'event' }];
    const deltas = answers.map((_, i) => ({ type: 'text_delta' as const, text: String(i) }));
    const batches = observe({
      trafficRedactors: [{ id: 'broken', redact: (o: Observation) => (o.kind === 'event' && o.event.type === 'text_delta' ? answers[Number(o.event.text)] : o) as Observation }],
    });
    runtime = featureRuntime({ a: [{ type: 'response_started' }, { type: 'message_started' }, ...deltas, { type: 'response_finished', reason: 'stop' }] }, '  - { id: test-hooks }').runtime;
    const before = FAIL_OPEN_SKIPS.get('traffic_observation') ?? 0;
    await lastValueFrom(runtime.executor.execute(userCall(), { requestId: 'r', meta: {} }).pipe(toArray()));
    await tick();
    const all = batches.flat();
    expect(all.every((o) => o !== null && typeof o === 'object' && typeof o.leg === 'string' && typeof o.kind === 'string')).to.equal(true);
    expect(all.some((o) => o.kind === 'event' && o.event.type === 'text_delta')).to.equal(false);
    // Each delta on its two event legs (backend_to_proxy, proxy_to_client).
    expect((FAIL_OPEN_SKIPS.get('traffic_observation') ?? 0) - before).to.equal(answers.length * 2);
    expect(all.filter((o) => o.kind === 'event').length).to.equal(6);
  });

  it('a redactor with `end` is told when each stream ends (each attempt, the response to the client), after its last observation; what it answers goes on in order', async () => {
    const ended: string[] = [];
    const batches = observe({
      trafficRedactors: [{
        id: 'holder',
        // Holds every text delta back, and lets it out when its stream ends.
        redact: (o: Observation) => (o.kind === 'event' && o.event.type === 'text_delta' ? [] : o),
        end: (stream: { leg: string; attemptSeq?: number }) => {
          ended.push(`${stream.leg}:${stream.attemptSeq ?? '-'}`);
          return [{ leg: stream.leg, kind: 'event', event: { type: 'text_delta', text: `held of ${stream.leg}` }, requestId: 'r', at: 1 } as Observation];
        },
      }],
    });
    runtime = featureRuntime({ bad: [{ type: 'response_started' }, { fail: retryable }], good: ok('fine') }, '  - { id: test-hooks }').runtime;
    await lastValueFrom(runtime.executor.execute(userCall(), { requestId: 'r', meta: {}, routeHeader: 's:bad|s:good' }).pipe(toArray()));
    await tick();
    expect(ended).to.deep.equal(['backend_to_proxy:1', 'backend_to_proxy:2', 'proxy_to_client:-']);
    const rows = batches.flat().filter((o) => o.kind === 'event' && o.leg !== 'proxy_to_backend').map((o) => [o.leg, o.kind === 'event' ? o.event.type : '']);
    expect(rows.filter(([leg]) => leg === 'proxy_to_client')).to.deep.equal([
      ['proxy_to_client', 'response_started'], ['proxy_to_client', 'message_started'], ['proxy_to_client', 'response_finished'], ['proxy_to_client', 'text_delta'],
    ]);
    expect(rows.filter(([leg]) => leg === 'backend_to_proxy').map(([, type]) => type)).to.deep.equal(['response_started', 'text_delta', 'response_started', 'message_started', 'response_finished', 'text_delta']);
  });

  it('without an observer the plane is inactive: nothing is built or queued', () => {
    bundles['test-hooks'] = () => ({ submitHooks: [{ id: 'x', run: (c) => c }], trafficRedactors: [{ id: 'r', redact: (o) => o }] });
    runtime = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }').runtime;
    expect(runtime.extensions!.traffic.active).to.equal(false);
  });
});
