import { expect } from 'chai';
import { defer, of, take } from 'rxjs';
import { syncSource } from './sync-source.js';
import { ttftTimeout } from '../../../lib/routing/operators/ttft-timeout.js';
import { DispatchRelay } from '../../../lib/core/dispatch-relay.js';
import { testScheduler } from '../../helpers/marbles.js';
import { ev, retryable } from './fixtures.js';

const expired = new Error('ttft');

describe('routing/operators/ttftTimeout', () => {
  it('passes a stream whose first output arrives within the budget, and never cuts it later', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s--t----------t|', ev).pipe(ttftTimeout(5, () => expired, ts))).toBe('-s--t----------t|', ev);
    });
  });

  it('errors at the budget when no output came, and unsubscribes the source', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s---------t-|', ev);
      expectObservable(source.pipe(ttftTimeout(5, () => expired, ts))).toBe('-s---#', ev, expired);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('boundary: output at exactly the budget is in time, one frame later is not', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s---t-|', ev).pipe(ttftTimeout(5, () => expired, ts))).toBe('-s---t-|', ev);
      expectObservable(cold('-s----t-|', ev).pipe(ttftTimeout(5, () => expired, ts))).toBe('-s---#', ev, expired);
    });
  });

  it('lifecycle events and usage do not stop the clock', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-u-----t|', ev).pipe(ttftTimeout(6, () => expired, ts))).toBe('-s-m-u#', ev, expired);
    });
  });

  it('passes the source\'s own error through before the budget', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-#', ev, retryable).pipe(ttftTimeout(5, () => expired, ts))).toBe('-s-#', ev, retryable);
    });
  });

  it('early unsubscribe stops both the source and the timer', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s--------t|', ev);
      expectObservable(source.pipe(ttftTimeout(5, () => expired, ts)), '^--!').toBe('-s--', ev);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('a synchronous source: no timer survives it, and it stops when unsubscribed mid-burst', () => {
    const ts = testScheduler();
    const seen: string[] = [];
    ts.run(() => {
      of(ev.s!, ev.t!, ev.f!).pipe(ttftTimeout(1, () => expired, ts)).subscribe({ next: (e) => seen.push(e.type), error: () => seen.push('error') });
      ts.flush();
    });
    expect(seen).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
    const { source, probe } = syncSource();
    source.pipe(ttftTimeout(5, () => expired, ts), take(2)).subscribe();
    expect([probe.emitted, probe.tornDown]).to.deep.equal([1, true]);
  });

  describe('with a dispatch watch (a connection queue)', () => {
    /** A source that waits in a queue from frame 0 and is dispatched at `dispatchAt`, wired to a DispatchRelay. */
    const queued = (ts: ReturnType<typeof testScheduler>, marble: string, dispatchAt: number) => {
      const relay = new DispatchRelay();
      const source = defer(() => {
        relay.onQueued();
        ts.schedule(() => relay.onDispatch(), dispatchAt);
        return ts.createColdObservable(marble, ev);
      });
      return { relay, source };
    };

    it('does not count the wait: the whole budget runs from the dispatch', () => {
      const ts = testScheduler();
      ts.run(({ expectObservable }) => {
        // queued 0..8, dispatched at 8, output at 12: 4 after the dispatch, within 5.
        const { relay, source } = queued(ts, '------------t|', 8);
        expectObservable(source.pipe(ttftTimeout(5, () => expired, ts, relay))).toBe('------------t|', ev);
      });
    });

    it('boundary: the budget expires exactly `budget` after the dispatch', () => {
      const ts = testScheduler();
      ts.run(({ expectObservable }) => {
        const { relay, source } = queued(ts, '---------------t|', 8);
        expectObservable(source.pipe(ttftTimeout(5, () => expired, ts, relay))).toBe('-------------#', ev, expired);
      });
    });

    it('a source that never waits keeps the budget from subscription', () => {
      const ts = testScheduler();
      ts.run(({ cold, expectObservable }) => {
        const relay = new DispatchRelay();
        const source = defer(() => { relay.onDispatch(); return cold('-s------t|', ev); });
        expectObservable(source.pipe(ttftTimeout(5, () => expired, ts, relay))).toBe('-s---#', ev, expired);
      });
    });

    it('early unsubscribe while queued stops watching and leaves no timer', () => {
      const ts = testScheduler();
      const relay = new DispatchRelay();
      const results: string[] = [];
      ts.run(() => {
        const source = defer(() => { relay.onQueued(); return ts.createColdObservable('----------t|', ev); });
        const sub = source.pipe(ttftTimeout(3, () => expired, ts, relay)).subscribe({ next: (e) => results.push(e.type), error: () => results.push('error') });
        ts.schedule(() => sub.unsubscribe(), 2);
        ts.schedule(() => relay.onDispatch(), 4);
        ts.flush();
      });
      expect(results).to.deep.equal([]);
    });
  });
});
