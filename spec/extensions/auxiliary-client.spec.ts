import { expect } from 'chai';
import { lastValueFrom, NEVER, of, toArray } from 'rxjs';
import { collectEvents, type LipEvent } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { auxiliaryClient, type NestedCall } from '../../lib/extensions/auxiliary-client.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

const events: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'verdict: fine' }, { type: 'response_finished', reason: 'stop' }];

describe('extensions/auxiliaryClient', () => {
  useTestFeatures();
  let runtime: Runtime | undefined;
  afterEach(async () => { await runtime?.close(); runtime = undefined; });

  it('runs a nested call through the executor with the caller disabled, recorded under an auxiliary A-leg', async () => {
    const aux: { aLegId?: string; requestId?: string } = {};
    bundles['test-hooks'] = () => ({
      preRequest: [{
        id: 'judge',
        async run(call, ctx) {
          const result = await ctx.auxiliary.collect({ role: 'judge', call: userCall('is this fine?', { model: 's:judge' }) });
          Object.assign(aux, { aLegId: result.aLegId, requestId: result.requestId });
          const verdict = result.response.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
          return { ...call, metadata: { ...call.metadata, verdict } };
        },
      }],
    });
    const made = featureRuntime({ main: ok('answer'), judge: ok('verdict: fine') }, '  - { id: test-hooks }');
    runtime = made.runtime;
    const aLeg = runtime.continuity.resolveALeg('local');
    const out = await lastValueFrom(runtime.executor.execute(userCall('hi', { model: 's:main' }), { requestId: 'req-9', meta: {}, principal: 'local', aLeg }).pipe(toArray()));
    expect(collectEvents(out).blocks).to.deep.equal([{ type: 'text', text: 'answer' }]);
    // The caller's hook did not run inside its own auxiliary call (one judge call, then the main one).
    expect(made.backend.calls.map((c) => [c.target.model, c.call.metadata.verdict])).to.deep.equal([['judge', undefined], ['main', 'verdict: fine']]);
    expect(aux.requestId).to.equal('req-9.aux-judge-1');
    const auxRows = await runtime.continuity.attempts(aux.aLegId!);
    expect(auxRows!.map((r) => [r.candidate_key, r.outcome])).to.deep.equal([['s:judge', 'success']]);
    expect((await runtime.continuity.describeALeg(aux.aLegId!))!.session_id).to.equal('aux:req-9.aux-judge-1');
    expect((await runtime.continuity.attempts(aLeg.aLegId))!.map((r) => r.candidate_key)).to.deep.equal(['s:main']);
  });

  const parent = { requestId: 'p', principal: 'local', depth: 0 };
  const target = (seen: NestedCall[], source = of(...events)) => ({ run: (_call: unknown, nested: NestedCall) => { seen.push(nested); return source; } });

  it('disables the caller and requested features, one level deeper; refuses beyond depth 2', async () => {
    const seen: NestedCall[] = [];
    const client = auxiliaryClient(target(seen), 'caller', { ...parent, depth: 1, disabled: new Set(['outer']) });
    const streamed = await lastValueFrom(client.stream({ role: 'summarise', call: userCall(), disable: ['noisy'] }).pipe(toArray()));
    expect(streamed).to.deep.equal(events);
    expect(seen.map((n) => [n.depth, [...n.disabled].sort(), n.role, n.requestId])).to.deep.equal([[2, ['caller', 'noisy', 'outer'], 'summarise', 'p.aux-summarise-1']]);
    const tooDeep = auxiliaryClient(target(seen), 'caller', { ...parent, depth: 2 });
    const err = await tooDeep.collect({ role: 'x', call: userCall() }).catch((e: unknown) => e);
    expect(err).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: false });
    expect((err as Error).message).to.contain('nesting deeper than 2');
    expect(seen).to.have.length(1);
  });

  it('refuses an invalid call and fails a call slower than its deadline', async () => {
    const client = auxiliaryClient(target([], NEVER), 'caller', parent);
    const invalid = await client.collect({ role: 'x', call: userCall('x', { messages: [] }) }).catch((e: unknown) => e);
    expect((invalid as Error).message).to.contain('messages: must contain at least one message');
    const late = await client.collect({ role: 'x', call: userCall(), timeoutMs: 20 }).catch((e: unknown) => e);
    expect(late).to.include({ code: 'LIP_ERR_EXTENSION_FAILED' });
    expect((late as Error).message).to.match(/p\.aux-x-\d took longer than 20 ms/);
  });
});
