import { expect } from 'chai';
import type { Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { LipEvent } from '../../lib/canonical/index.js';
import { toLipError } from '../../lib/errors/index.js';
import { ExtensionHost } from '../../lib/extensions/extension-host.js';
import { ExtensionRequest, type AttemptExtension } from '../../lib/extensions/extension-request.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import { MemoryStateStore } from '../../lib/extensions/state-store.js';
import { compilePlan } from '../../lib/routing/plan/compile-plan.js';
import type { Candidate, RouteContext } from '../../lib/routing/plan/route-context.js';
import { RouteJournal } from '../../lib/routing/plan/route-journal.js';
import { parseSelector } from '../../lib/routing/selector/parse-selector.js';
import { testScheduler } from '../helpers/marbles.js';
import { userCall } from './fixtures.js';

const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  t: { type: 'text_delta', text: 'fine' },
  b: { type: 'text_delta', text: 'bad' },
  f: { type: 'response_finished', reason: 'stop' },
};

/**
 * The stream stages inside the route plan: each leaf's attempt gets them before its commit
 * gate, as the executor places them. Frames are recorded by hand where a group would not fit
 * a marble line.
 */
function plan(ts: TestScheduler, bundle: FeatureBundle, sources: Record<string, () => Observable<LipEvent>>, selector: string) {
  const host = new ExtensionHost({ features: [{ id: 'test', bundle }], state: new MemoryStateStore() });
  const request = new ExtensionRequest(host, { requestId: 'r1' });
  const committed: [string, number][] = [];
  const ctx: RouteContext = {
    scheduler: ts, rng: () => 0, estimatedTokens: undefined, firstRequest: false,
    budget: { remaining: 3 }, maxAttempts: 3, journal: new RouteJournal(ts),
    open: (c: Candidate) => {
      const source = sources[c.key]!();
      const attempt = request.attempt(userCall(), c) as AttemptExtension | undefined;
      return attempt ? attempt.stages(source) : source;
    },
    commit: (c: Candidate) => committed.push([c.key, ts.now()]),
  };
  return { events: compilePlan(parseSelector(selector), ctx), committed, ctx };
}

const record = (ts: TestScheduler, events: Observable<LipEvent>) => {
  const out: (string | number)[][] = [];
  events.subscribe({ next: (e) => out.push([ts.now(), e.type]), error: (err: unknown) => out.push([ts.now(), 'error', toLipError(err).code]), complete: () => out.push([ts.now(), 'complete']) });
  return out;
};

const badText = (e: LipEvent) => { if (e.type === 'text_delta' && e.text === 'bad') throw new Error('refused text'); return e; };

describe('extensions: stream stages inside the route plan', () => {
  it('without a gate the first output commits; a buffering gate moves the commit point to the completion', () => {
    const ts = testScheduler();
    ts.run(({ cold }) => {
      const plain = plan(ts, { eventMutators: [{ id: 'noop', mutate: (e) => e }] }, { 'a:m': () => cold('-s-m-t-t-f|', ev) }, 'a:m');
      record(ts, plain.events);
      const gated = plan(ts, { completionGates: [{ id: 'hold', gate: () => ({ action: 'pass_original' }) }] }, { 'a:m': () => cold('-s-m-t-t-f|', ev) }, 'a:m');
      const out = record(ts, gated.events);
      ts.flush();
      expect(plain.committed).to.deep.equal([['a:m', 5]]);
      expect(gated.committed).to.deep.equal([['a:m', 10]]);
      expect(out).to.deep.equal([[10, 'response_started'], [10, 'message_started'], [10, 'text_delta'], [10, 'text_delta'], [10, 'response_finished'], [10, 'complete']]);
    });
  });

  it('a fail_closed hook error before output fails over to the next candidate', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectSubscriptions }) => {
      const a = cold('-s-m-b-f|', ev);
      const b = cold('-s-m-t-f|', ev);
      const p = plan(ts, { eventMutators: [{ id: 'strict', failureMode: 'fail_closed', mutate: badText }] }, { 'a:m': () => a, 'b:m': () => b }, 'a:m|b:m');
      const out = record(ts, p.events);
      ts.flush();
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('-----^-------!');
      expect(out).to.deep.equal([[10, 'response_started'], [10, 'message_started'], [10, 'text_delta'], [12, 'response_finished'], [13, 'complete']]);
      expect(p.committed).to.deep.equal([['b:m', 10]]);
      expect(p.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([['a:m', 'failed'], ['b:m', 'served']]);
    });
  });

  it('after output the same failure reaches the client in-band and nothing is retried', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectSubscriptions }) => {
      const a = cold('-s-m-t-b-f|', ev);
      const b = cold('-s-m-t-f|', ev);
      const p = plan(ts, { eventMutators: [{ id: 'strict', failureMode: 'fail_closed', mutate: badText }] }, { 'a:m': () => a, 'b:m': () => b }, 'a:m|b:m');
      const out = record(ts, p.events);
      ts.flush();
      expect(out).to.deep.equal([[5, 'response_started'], [5, 'message_started'], [5, 'text_delta'], [7, 'error', 'LIP_ERR_EXTENSION_FAILED']]);
      expectSubscriptions(b.subscriptions).toBe([]);
    });
  });

  it('unsubscribing reaches the backend through every stage', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s-m-c-t-t-f|', { ...ev, c: { type: 'tool_call_started', id: 'x', name: 'n' } as LipEvent });
      const p = plan(ts, {
        eventMutators: [{ id: 'noop', mutate: (e) => e }],
        toolReactors: [{ id: 'pass', react: () => ({ action: 'pass' }) }],
        completionGates: [{ id: 'hold', gate: () => ({ action: 'pass_original' }) }],
        streamObservers: [{ id: 'watch', event: () => undefined }],
      }, { 'a:m': () => a }, 'a:m');
      expectObservable(p.events, '^------!').toBe('--------');
      expectSubscriptions(a.subscriptions).toBe('^------!');
    });
  });
});
