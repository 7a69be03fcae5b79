import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { ExecutionMeta } from '../../lib/core/execute.js';
import type { Runtime } from '../../lib/core/runtime.js';
import type { StreamContext } from '../../lib/extensions/sdk.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

/**
 * Found by probing the response cache: a hit made no attempt, so no stream stage saw it, and
 * reasoning-output-preservation (a final stream observer) never kept a turn the cache answered;
 * the next turn, sent back without its reasoning, reached a thinking-mode upstream without it.
 * A hit is now seen by `final_stream_observation` (and by no other stream stage).
 */
describe('extensions: a response cache hit is seen by the final stream observers', () => {
  useTestFeatures();
  const runtimes: Runtime[] = [];
  afterEach(async () => { for (const r of runtimes.splice(0)) await r.close(); });

  interface Seen { readonly events: string[]; ends: string[]; readonly contexts: StreamContext[] }
  const watching = (appliesTo?: () => boolean): Seen => {
    const seen: Seen = { events: [], ends: [], contexts: [] };
    bundles['test-hooks'] = () => ({
      eventMutators: [{ id: 'mark', mutate: (event) => (event.type === 'text_delta' ? { ...event, text: `${event.text}!` } : event) }],
      streamObservers: [{
        id: 'watch', ...(appliesTo ? { appliesTo } : {}),
        event: (event, ctx) => { seen.events.push(event.type === 'text_delta' ? event.text : event.type); seen.contexts.push(ctx); },
        end: (outcome) => { seen.ends.push(outcome.outcome); },
      }],
    });
    return seen;
  };
  const make = () => {
    const made = featureRuntime({ main: ok('answer') }, '  - { id: test-hooks }', 'cache: { enabled: true }');
    runtimes.push(made.runtime);
    return made;
  };
  const ask = async (runtime: Runtime) => {
    const meta: ExecutionMeta = {};
    const events: LipEvent[] = await lastValueFrom(runtime.executor.execute(userCall('same question', { model: 's:main' }), { requestId: 'r', meta, principal: 'local' }).pipe(toArray()));
    return { meta, events };
  };

  it('observers see the kept events and a successful end, with the candidate that served them as target and ctx.cached; mutators do not run again', async () => {
    const seen = watching();
    const { runtime, backend } = make();
    const miss = await ask(runtime);
    expect(miss.meta.cache).to.equal('miss');
    const hit = await ask(runtime);
    expect(hit.meta.cache).to.equal('hit');
    expect(backend.calls).to.have.length(1);
    expect(hit.events, 'the kept answer, mutated once').to.deep.equal(miss.events);
    const half = seen.events.length / 2;
    expect(seen.events.slice(half), 'the hit, as the miss left its stages').to.deep.equal(seen.events.slice(0, half));
    expect(seen.events).to.include('answer!');
    expect(seen.ends).to.deep.equal(['success', 'success']);
    const [fromAttempt, fromCache] = [seen.contexts[0]!, seen.contexts.at(-1)!];
    expect(fromAttempt.cached).to.equal(undefined);
    expect(fromCache.cached).to.equal(true);
    expect(fromCache.target).to.include({ backendId: 's', candidateKey: 's:main', model: 'main', backendKind: backend.kind });
    expect(fromCache.call?.messages).to.deep.equal(userCall('same question').messages);
  });

  it('a hit its client leaves ends cancelled for them; an observer whose appliesTo rules the candidate out sees nothing', async () => {
    const seen = watching();
    const { runtime } = make();
    await ask(runtime);
    seen.ends = [];
    await firstValueFrom(runtime.executor.execute(userCall('same question', { model: 's:main' }), { requestId: 'r', meta: {}, principal: 'local' }).pipe(take(1)));
    expect(seen.ends).to.deep.equal(['cancelled']);

    const none = watching(() => false);
    const other = make();
    await ask(other.runtime);
    expect((await ask(other.runtime)).meta.cache).to.equal('hit');
    expect([none.events, none.ends]).to.deep.equal([[], []]);
  });
});
