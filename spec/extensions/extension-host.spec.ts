import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { collectEvents } from '../../lib/canonical/index.js';
import type { ExecuteContext } from '../../lib/core/execute.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { LipError } from '../../lib/errors/index.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

const run = (runtime: Runtime, ctx: Partial<ExecuteContext> = {}, call = userCall()) =>
  lastValueFrom(runtime.executor.execute(call, { requestId: 'req-1', meta: {}, ...ctx }).pipe(toArray())).then(collectEvents);

describe('extensions: the host inside the executor', () => {
  useTestFeatures();
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });
  const make = (...args: Parameters<typeof featureRuntime>) => {
    const made = featureRuntime(...args);
    open.push(made.runtime);
    return made;
  };

  it('no enabled feature: the runtime has no host, so the executor takes its plain path', () => {
    // On by default: a row opts out of each.
    const off = '  - { id: tool-call-repair, enabled: false }\n  - { id: reasoning-output-preservation, enabled: false }';
    expect(make({ a: ok('x') }, off).runtime.extensions).to.equal(undefined);
    expect(make({ a: ok('x') }, `  - { id: test-hooks, enabled: false }\n${off}`).runtime.extensions).to.equal(undefined);
    expect(make({ a: ok('x') }, '').runtime.extensions?.occupancy().tool_event_reaction.map((h) => h.feature)).to.deep.equal(['tool-call-repair']);
  });

  it('the example request-tag plugin stamps metadata the backend receives', async () => {
    const { runtime, backend } = make({ a: ok('x') }, '  - { id: request-tag, config: { tags: { team: core }, request_id_key: lip_request_id } }');
    await run(runtime, {}, userCall('hi', { metadata: { team: 'client-wins' } }));
    expect(backend.lastCall.metadata).to.deep.equal({ team: 'client-wins', lip_request_id: 'req-1' });
  });

  it('per-attempt hooks see their target; an excluded candidate fails over; each candidate gets its own call', async () => {
    const seen: string[] = [];
    bundles['test-hooks'] = () => ({
      requestParts: [{ id: 'tag-backend', shape: (call, target) => { seen.push(target.candidateKey); return { ...call, metadata: { target: target.model } }; } }],
      attemptTransforms: [{ id: 'no-a', transform: (_c, target) => (target.model === 'a' ? { action: 'exclude_candidate', reason: 'policy' } : { action: 'continue' }) }],
    });
    const { runtime, backend } = make({ a: ok('from a'), b: ok('from b') }, '  - { id: test-hooks }');
    const meta = {};
    const response = await run(runtime, { routeHeader: 's:a|s:b', meta });
    expect(response.blocks).to.deep.equal([{ type: 'text', text: 'from b' }]);
    expect(seen).to.deep.equal(['s:a', 's:b']);
    expect(backend.calls.map((c) => [c.target.model, c.call.metadata])).to.deep.equal([['b', { target: 'b' }]]);
    expect(runtime.executor.routes.list()[0]!.candidates.map((c) => [c.key, c.outcome])).to.deep.equal([['s:a', 'failed'], ['s:b', 'served']]);
  });

  it('a route hint puts its candidate first when the selector has it', async () => {
    bundles['test-hooks'] = () => ({ routeHints: [{ id: 'prefer-b', hint: () => ['s:b'] }] });
    const { runtime, backend } = make({ a: ok('from a'), b: ok('from b') }, '  - { id: test-hooks }');
    expect((await run(runtime, { routeHeader: 's:a|s:b' })).blocks).to.deep.equal([{ type: 'text', text: 'from b' }]);
    expect(backend.calls.map((c) => c.target.model)).to.deep.equal(['b']);
  });

  it('a rejecting hook ends the request before any backend opens', async () => {
    bundles['test-hooks'] = () => ({ preRequest: [{ id: 'closed', run: () => ({ reject: 'outside office hours', status: 429 }) }] });
    const { runtime, backend } = make({ a: ok('x') }, '  - { id: test-hooks }');
    const err = await run(runtime).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LipError).and.include({ code: 'LIP_ERR_EXTENSION_REJECTED', status: 429 });
    expect(backend.calls).to.have.length(0);
  });

  it('hooks keep state per session, per principal and per request through ctx.state', async () => {
    const seen: unknown[] = [];
    bundles['test-hooks'] = () => ({
      submitHooks: [{
        id: 'count',
        async run(call, ctx) {
          const session = ((await ctx.state('session').get<number>('n')) ?? 0) + 1;
          const principal = ((await ctx.state('principal').get<number>('n')) ?? 0) + 1;
          const request = ((await ctx.state('request').get<number>('n')) ?? 0) + 1;
          await Promise.all([ctx.state('session').put('n', session), ctx.state('principal').put('n', principal), ctx.state('request').put('n', request)]);
          seen.push([session, principal, request]);
          return call;
        },
      }],
    });
    const { runtime } = make({ a: ok('x') }, '  - { id: test-hooks }');
    const one = runtime.continuity.resolveALeg('alice');
    const two = runtime.continuity.resolveALeg('alice');
    await run(runtime, { requestId: 'r1', principal: 'alice', aLeg: one });
    await run(runtime, { requestId: 'r2', principal: 'alice', aLeg: one });
    await run(runtime, { requestId: 'r3', principal: 'alice', aLeg: two });
    await run(runtime, { requestId: 'r4', principal: 'bob', aLeg: runtime.continuity.resolveALeg('bob') });
    expect(seen).to.deep.equal([[1, 1, 1], [2, 2, 1], [1, 3, 1], [1, 1, 1]]);
  });

  it('starts every bundle; a reload builds new bundles and stops the old ones', async () => {
    const log: string[] = [];
    let n = 0;
    bundles['test-hooks'] = () => {
      const me = ++n;
      return { start: () => { log.push(`start ${me}`); }, stop: async () => { log.push(`stop ${me}`); }, submitHooks: [{ id: 'x', run: (c) => c }] };
    };
    const first = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }');
    const second = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }');
    await first.runtime.close({ next: second.runtime });
    expect(log).to.deep.equal(['start 1', 'start 2', 'stop 1']);
    await second.runtime.close();
    expect(log).to.deep.equal(['start 1', 'start 2', 'stop 1', 'stop 2']);
  });

  it('a reload can take over the plugin state; without a taker the state store is closed', async () => {
    bundles['test-hooks'] = () => ({ submitHooks: [{ id: 'x', run: (c) => c }] });
    const first = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }');
    const state = first.runtime.extensions!.state;
    await state.put('k', 'kept');
    const second = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }', '', { featureState: state });
    await first.runtime.close({ next: second.runtime });
    expect(await second.runtime.extensions!.state.get('k')).to.equal('kept');
    await second.runtime.close();
    expect(await state.get('k')).to.equal(undefined);
  });

  it('a factory that throws is a config error when the runtime is built', () => {
    bundles['test-hooks'] = () => { throw new Error('needs a model list'); };
    expect(() => featureRuntime({ a: ok('x') }, '  - { id: test-hooks }')).to.throw('feature "test-hooks" could not be built from its config: needs a model list');
    bundles['test-hooks'] = () => ({ submitHooks: [{ id: 'x', order: Number.NaN, run: (c) => c }] });
    expect(() => featureRuntime({ a: ok('x') }, '  - { id: test-hooks }')).to.throw('hook x of submitHooks has an order that is not a finite number');
  });

  it('a failing lifecycle is logged, never thrown', async () => {
    bundles['test-hooks'] = () => ({ start: () => { throw new Error('no'); }, stop: () => Promise.reject(new Error('no')) });
    const { runtime } = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }');
    await firstValueFrom(runtime.executor.execute(userCall(), { requestId: 'r', meta: {} }));
    await runtime.close();
  });
});
