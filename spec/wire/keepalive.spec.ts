import { expect } from 'chai';
import { testScheduler } from '../helpers/marbles.js';
import { KEEPALIVE, withKeepalive } from '../../lib/wire/keepalive.js';

describe('wire/withKeepalive', () => {
  const values = { a: 'a', b: 'b', K: KEEPALIVE };

  it('emits a marker for each whole interval of silence', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('      ------a---------b|', values);
      expectObservable(source.pipe(withKeepalive(3))).toBe('---K--a--K--K--Kb|', values);
    });
  });

  // docs/configuration.md (server.keepalive_interval): the longest silence is just under two intervals.
  it('marks a silence that began right after a tick two ticks later: the longest gap is just under two intervals', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('      ----a------|', values);
      expectObservable(source.pipe(withKeepalive(3))).toBe('---Ka----K-|', values);
    });
  });

  it('stays quiet while items keep coming', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-a-a-a-a|', values);
      expectObservable(source.pipe(withKeepalive(3))).toBe('-a-a-a-a-a|', values);
    });
  });

  it('stops its timer when the source ends or errors, and when unsubscribed early', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('----#');
      expectObservable(failing.pipe(withKeepalive(3))).toBe('---K#', values);
      const endless = cold('-');
      expectObservable(endless.pipe(withKeepalive(2)), '^------!').toBe('--K-K-K-', values);
      expectSubscriptions(endless.subscriptions).toBe('^------!');
    });
  });

  it('passes synchronous sources straight through', () => {
    const seen: unknown[] = [];
    testScheduler().run(({ cold }) => {
      cold('(ab|)', values).pipe(withKeepalive(1)).subscribe((v) => seen.push(v));
    });
    expect(seen).to.deep.equal(['a', 'b']);
  });

  it('disables itself with a zero interval', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('------a|', values).pipe(withKeepalive(0))).toBe('------a|', values);
    });
  });
});

describe('wire/withKeepalive with a synchronous source', () => {
  it('stops the source when the consumer leaves mid-burst', async () => {
    const { Observable, take } = await import('rxjs');
    let emitted = 0;
    const source = new Observable<number>((s) => { while (!s.closed && emitted < 1000) s.next(++emitted); });
    source.pipe(withKeepalive(1000), take(2)).subscribe();
    expect(emitted).to.equal(2);
  });
});
