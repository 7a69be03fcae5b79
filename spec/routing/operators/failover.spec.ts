import { expect } from 'chai';
import { take, throwError } from 'rxjs';
import { failover } from '../../../lib/routing/operators/failover.js';
import { testScheduler } from '../../helpers/marbles.js';
import { ev, exhausted, fatal, retryable } from './fixtures.js';
import { syncSource } from './sync-source.js';

describe('routing/operators/failover', () => {
  it('uses the first arm when it works; later arms are never built', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s-t-f|', ev);
      const b = cold('-s-t-f|', ev);
      expectObservable(failover([() => a, () => b], exhausted)).toBe('-s-t-f|', ev);
      expectSubscriptions(b.subscriptions).toBe([]);
    });
  });

  it('moves on invisibly after a retryable failure before output', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s-#', ev, retryable);
      const b = cold('-t-f|', ev);
      expectObservable(failover([() => a, () => b], exhausted)).toBe('-s--t-f|', ev);
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^---!');
    });
  });

  it('after the first output nothing is retried: the failure passes through', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s-t-#', ev, retryable);
      const b = cold('-t|', ev);
      expectObservable(failover([() => a, () => b], exhausted)).toBe('-s-t-#', ev, retryable);
      expectSubscriptions(b.subscriptions).toBe([]);
    });
  });

  it('a failure that is not retryable stops at once', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--#', ev, fatal);
      const b = cold('-t|', ev);
      expectObservable(failover([() => a, () => b], exhausted)).toBe('--#', ev, fatal);
      expectSubscriptions(b.subscriptions).toBe([]);
    });
  });

  it('reports every failure when all arms fail, and treats a throwing factory as a failure', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold('-#', ev, retryable);
      const b = () => { throw retryable; };
      const c = cold('--#', ev, retryable);
      expectObservable(failover([() => a, b, () => c], exhausted)).toBe('---#', ev, { exhausted: 3 });
    });
  });

  it('early unsubscribe reaches the arm that is running', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-#', ev, retryable);
      const b = cold('-s------t|', ev);
      expectObservable(failover([() => a, () => b], exhausted), '^---!').toBe('--s--', ev);
      expectSubscriptions(b.subscriptions).toBe('-^--!');
    });
  });

  it('synchronous arms: fails over inside subscribe, and stops the arm when unsubscribed mid-burst', () => {
    const { source, probe } = syncSource();
    const seen: string[] = [];
    failover([() => throwError(() => retryable), () => source], exhausted).pipe(take(3)).subscribe((e) => seen.push(e.type));
    expect(seen).to.deep.equal(['response_started', 'text_delta', 'text_delta']);
    expect(probe.emitted).to.equal(2);
    expect(probe.tornDown).to.equal(true);
  });
});
