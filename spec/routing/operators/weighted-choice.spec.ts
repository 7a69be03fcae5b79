import { expect } from 'chai';
import { take } from 'rxjs';
import { weightedChoice, type WeightedOption } from '../../../lib/routing/operators/weighted-choice.js';
import { testScheduler } from '../../helpers/marbles.js';
import { ev, exhausted, fatal, retryable } from './fixtures.js';
import { syncSource } from './sync-source.js';

/** A sequence of rng values, then 0.5 forever. */
const rngOf = (...values: number[]) => () => values.shift() ?? 0.5;

describe('routing/operators/weightedChoice', () => {
  it('picks by weight with the injected rng; the others are never subscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-t|', ev);
      const b = cold('-c|', ev);
      const options = (): WeightedOption[] => [{ weight: 3, open: () => a }, { weight: 1, open: () => b }];
      // roll = rng * 4: below 3 is a, from 3 on is b. The boundary instant: exactly 3 belongs to b.
      expectObservable(weightedChoice(options(), rngOf(0.74), exhausted)).toBe('-t|', ev);
      expectObservable(weightedChoice(options(), rngOf(0.75), exhausted)).toBe('-c|', ev);
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
    });
  });

  it('re-rolls among the remaining options after a retryable failure before output', () => {
    const picks: number[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--#', ev, retryable);
      const b = cold('--#', ev, retryable);
      const c = cold('-t|', ev);
      const options: WeightedOption[] = [{ weight: 1, open: () => a }, { weight: 1, open: () => b }, { weight: 1, open: () => c }];
      expectObservable(weightedChoice(options, rngOf(0.1, 0.1, 0.1), exhausted, false, (i) => picks.push(i))).toBe('-----t|', ev);
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('--^-!');
      expectSubscriptions(c.subscriptions).toBe('----^-!');
    });
    expect(picks).to.deep.equal([0, 1, 2]); // a, then b, then c (indexes into the options)
  });

  it('[first] is taken without a roll on the first pick only', () => {
    const picks: number[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const first = cold('-#', ev, retryable);
      const rest = cold('-t|', ev);
      const options: WeightedOption[] = [{ weight: 100, open: () => rest }, { weight: 1, first: true, open: () => first }];
      expectObservable(weightedChoice(options, rngOf(0.999), exhausted, true, (i) => picks.push(i))).toBe('--t|', ev);
    });
    expect(picks).to.deep.equal([1, 0]);
  });

  it('skips options that are not eligible and errors when none is left', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold('-t|', ev);
      const b = cold('-c|', ev);
      const onlyB: WeightedOption[] = [{ weight: 1, eligible: () => false, open: () => a }, { weight: 1, open: () => b }];
      expectObservable(weightedChoice(onlyB, rngOf(0), exhausted)).toBe('-c|', ev);
      const none: WeightedOption[] = [{ weight: 1, eligible: () => false, open: () => a }];
      expectObservable(weightedChoice(none, rngOf(0), exhausted)).toBe('#', ev, { exhausted: 0 });
    });
  });

  it('passes failures after output and failures that are not retryable', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const late = cold('-t#', ev, retryable);
      const other = cold('-c|', ev);
      expectObservable(weightedChoice([{ weight: 1, open: () => late }, { weight: 1, open: () => other }], rngOf(0), exhausted)).toBe('-t#', ev, retryable);
      const refused = cold('-#', ev, fatal);
      expectObservable(weightedChoice([{ weight: 1, open: () => refused }, { weight: 1, open: () => other }], rngOf(0), exhausted)).toBe('-#', ev, fatal);
      expectSubscriptions(other.subscriptions).toBe([]);
    });
  });

  it('errors with every failure when all options failed', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold('-#', ev, retryable);
      const b = cold('-#', ev, retryable);
      expectObservable(weightedChoice([{ weight: 1, open: () => a }, { weight: 1, open: () => b }], rngOf(0, 0), exhausted)).toBe('--#', ev, { exhausted: 2 });
    });
  });

  it('early unsubscribe reaches the chosen option', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s-----t|', ev);
      expectObservable(weightedChoice([{ weight: 1, open: () => a }], rngOf(0), exhausted), '^--!').toBe('-s-', ev);
      expectSubscriptions(a.subscriptions).toBe('^--!');
    });
  });

  it('a synchronous option stops when unsubscribed mid-burst', () => {
    const { source, probe } = syncSource();
    weightedChoice([{ weight: 1, open: () => source }], rngOf(0), exhausted).pipe(take(3)).subscribe();
    expect([probe.emitted, probe.tornDown]).to.deep.equal([2, true]);
  });

  it('matches its weights over many picks (seeded rng)', () => {
    let seed = 42;
    const rng = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const counts = [0, 0, 0];
    const options: WeightedOption[] = [1, 3, 6].map((weight, i) => ({ weight, open: () => { counts[i]!++; return testScheduler().createColdObservable('|'); } }));
    for (let n = 0; n < 20_000; n++) weightedChoice(options, rng, exhausted).subscribe();
    const shares = counts.map((c) => c / 20_000);
    expect(shares[0]).to.be.closeTo(0.1, 0.015);
    expect(shares[1]).to.be.closeTo(0.3, 0.015);
    expect(shares[2]).to.be.closeTo(0.6, 0.015);
  });
});
