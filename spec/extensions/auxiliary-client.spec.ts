import { expect } from 'chai';
import { lastValueFrom, NEVER, Observable, of, toArray } from 'rxjs';
import { collectEvents, type LipEvent } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { auxiliaryCancelled, auxiliaryClient, type NestedCall } from '../../lib/extensions/auxiliary-client.js';
import { ExtensionRequest, type AttemptExtension } from '../../lib/extensions/extension-request.js';
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

  it('refuses a deadline a timer cannot keep (0, negative, NaN, Infinity, past 2^31-1 ms) before the call starts, instead of timing out at once', async () => {
    const seen: NestedCall[] = [];
    const client = auxiliaryClient(target(seen), 'caller', parent);
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2_147_483_648, 600 * 3_600_000]) {
      const err = await client.collect({ role: 'x', call: userCall(), timeoutMs }).catch((e: unknown) => e);
      expect(err, String(timeoutMs)).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: false });
      expect((err as Error).message).to.equal(`auxiliary call from caller refused: timeoutMs must be more than 0 and at most 2147483647 (got ${timeoutMs})`);
      const streamed = await lastValueFrom(client.stream({ role: 'x', call: userCall(), timeoutMs })).catch((e: unknown) => e);
      expect((streamed as Error).message, String(timeoutMs)).to.contain('refused: timeoutMs must be more than 0');
    }
    expect(seen).to.deep.equal([]);
    // The largest a timer keeps still runs the call.
    expect((await client.collect({ role: 'x', call: userCall(), timeoutMs: 2_147_483_647 })).response.blocks).to.deep.equal([{ type: 'text', text: 'verdict: fine' }]);
  });

  /** A source that never answers and counts its unsubscriptions (the upstream seeing the close). */
  const stalled = () => {
    const seen = { subscribed: 0, closed: 0 };
    const source = new Observable<LipEvent>(() => {
      seen.subscribed++;
      return () => { seen.closed++; };
    });
    return { seen, source };
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).to.equal(true);
  };

  it('cancel() ends the calls running, refuses later ones, and leaves detached calls alone', async () => {
    const stall = stalled();
    const client = auxiliaryClient(target([], stall.source), 'caller', parent);
    const bound = client.collect({ role: 'judge', call: userCall() }).catch((e: unknown) => e);
    const detached = client.collect({ role: 'background', call: userCall(), detached: true, timeoutMs: 50 }).catch((e: unknown) => e);
    expect(stall.seen).to.deep.equal({ subscribed: 2, closed: 0 });
    client.cancel();
    const err = await bound;
    expect(auxiliaryCancelled(err)).to.equal(true);
    expect(err).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: false });
    expect((err as Error).message).to.contain('p.aux-judge-1 cancelled');
    // The bound call's source was unsubscribed; the detached one ran on to its own deadline.
    expect(stall.seen.closed).to.equal(1);
    const late = await detached;
    expect(auxiliaryCancelled(late)).to.equal(false);
    expect((late as Error).message).to.contain('took longer than 50 ms');
    // A call made after the cancellation never reaches the executor.
    const after = await client.collect({ role: 'judge', call: userCall() }).catch((e: unknown) => e);
    expect(auxiliaryCancelled(after)).to.equal(true);
    expect(stall.seen.subscribed).to.equal(2);
  });

  it('a request unsubscribed while a request-stage hook waits on an auxiliary call cancels the call (the client went away)', async () => {
    const stall = stalled();
    let hookSaw: unknown;
    bundles['test-hooks'] = () => ({
      preRequest: [{
        id: 'judge',
        async run(call, ctx) {
          try {
            await ctx.auxiliary.collect({ role: 'judge', call: userCall('fine?', { model: 's:judge' }), timeoutMs: 60_000 });
          } catch (err) {
            hookSaw = err;
          }
          return call;
        },
      }],
    });
    const made = featureRuntime({ main: ok('answer'), judge: ok('never used') }, '  - { id: test-hooks }');
    runtime = made.runtime;
    runtime.extensions!.bind({ run: () => stall.source });
    const sub = runtime.executor.execute(userCall('hi', { model: 's:main' }), { requestId: 'req-c', meta: {}, principal: 'local' }).subscribe({ error: () => undefined });
    await until(() => stall.seen.subscribed === 1);
    sub.unsubscribe();
    await until(() => hookSaw !== undefined);
    expect(stall.seen.closed).to.equal(1);
    expect(auxiliaryCancelled(hookSaw)).to.equal(true);
    expect(made.backend.calls.map((c) => c.target.model)).to.deep.equal([]);
  });

  it('an attempt unsubscribed while its completion gate waits on an auxiliary call cancels the call (a race lost, a budget expired)', async () => {
    const stall = stalled();
    let gateSaw: unknown;
    bundles['test-hooks'] = () => ({
      completionGates: [{
        id: 'verify',
        async gate(_completion, ctx) {
          try {
            await ctx.auxiliary.collect({ role: 'verify', call: userCall('check', { model: 's:judge' }), timeoutMs: 60_000 });
          } catch (err) {
            gateSaw = err;
          }
          return { action: 'pass_original' as const };
        },
      }],
    });
    const made = featureRuntime({ main: ok('answer') }, '  - { id: test-hooks }');
    runtime = made.runtime;
    runtime.extensions!.bind({ run: () => stall.source });
    const request = new ExtensionRequest(runtime.extensions!, { requestId: 'req-a' });
    const attempt = request.attempt(userCall('hi', { model: 's:main' }), { backend: 's', model: 'main', key: 's:main' }) as AttemptExtension;
    const seen: LipEvent[] = [];
    const sub = attempt.stages(of(...events)).subscribe((e) => seen.push(e));
    await until(() => stall.seen.subscribed === 1);
    expect(seen).to.deep.equal([]); // the gate holds the completion
    sub.unsubscribe();
    await until(() => gateSaw !== undefined);
    expect(stall.seen.closed).to.equal(1);
    expect(auxiliaryCancelled(gateSaw)).to.equal(true);
  });
});
