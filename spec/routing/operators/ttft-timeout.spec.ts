import { expect } from 'chai';
import { of, take } from 'rxjs';
import { syncSource } from './sync-source.js';
import { ttftTimeout } from '../../../lib/routing/operators/ttft-timeout.js';
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
});
