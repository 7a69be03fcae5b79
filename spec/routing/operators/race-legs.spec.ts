import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { take } from 'rxjs';
import { LipError } from '../../../lib/errors/index.js';
import { raceLegs, type RaceLeg } from '../../../lib/routing/operators/race-legs.js';
import { testScheduler } from '../../helpers/marbles.js';
import { ev, fatal, retryable } from './fixtures.js';
import { syncSource } from './sync-source.js';

/** What a throwing callback becomes: the registry's internal error, matched by code. */
const internalError = new LipError('LIP_ERR_SERVER_INTERNAL', 'internal error');
const noWinner = (failures: unknown[]) => ({ noWinner: failures.length });

describe('routing/operators/raceLegs', () => {
  it('the first leg with output wins: its held events are released, the loser is unsubscribed at that instant', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s------t-f|', ev);
      const b = cold('-s--t-----f|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => a }, { handicapMs: 0, open: () => b }], ts, noWinner)).toBe('----(st)--f|', ev);
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^----------!');
    });
  });

  it('a handicapped leg starts later, and never starts when another leg won first', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fast = cold('--t|', ev);
      const late = cold('t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => fast }, { handicapMs: 5, open: () => late }], ts, noWinner)).toBe('--t|', ev);
      expectSubscriptions(late.subscriptions).toBe([]);
    });
  });

  it('a handicapped leg can still win; boundary: a win at the very instant the other leg starts cancels its start', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('-s-------t|', ev);
      const quick = cold('-t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => slow }, { handicapMs: 3, open: () => quick }], ts, noWinner)).toBe('----t|', ev);
      expectSubscriptions(slow.subscriptions).toBe('^---!');
      expectSubscriptions(quick.subscriptions).toBe('---^-!');
      const winsAt3 = cold('---t|', ev);
      const startsAt3 = cold('t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => winsAt3 }, { handicapMs: 3, open: () => startsAt3 }], ts, noWinner)).toBe('---t|', ev);
      expectSubscriptions(startsAt3.subscriptions).toBe([]);
    });
  });

  it('whitespace cannot win; a tool call can', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const spaces = cold('-w----t|', ev);
      const tool = cold('---c|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => spaces }, { handicapMs: 0, open: () => tool }], ts, noWinner)).toBe('---c|', ev);
    });
  });

  it('a leg failing before output drops out; the other wins', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const broken = cold('-#', ev, retryable);
      const ok = cold('---t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => broken }, { handicapMs: 0, open: () => ok }], ts, noWinner)).toBe('---t|', ev);
    });
  });

  it('errors with every failure when no leg produced anything', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const a = cold('-#', ev, retryable);
      const b = cold('---#', ev, fatal);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => a }, { handicapMs: 1, open: () => b }], ts, noWinner)).toBe('----#', ev, { noWinner: 2 });
    });
  });

  it('a leg that completes without substantive output is the fallback when nobody wins', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const empty = cold('-s-w-f|', ev);
      const broken = cold('--------#', ev, retryable);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => empty }, { handicapMs: 0, open: () => broken }], ts, noWinner)).toBe('--------(swf|)', ev);
    });
  });

  it('after the win, the winner\'s failure passes through', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const a = cold('-t--#', ev, retryable);
      const b = cold('-------t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => a }, { handicapMs: 0, open: () => b }], ts, noWinner)).toBe('-t--#', ev, retryable);
    });
  });

  it('reports the winner and the losers', () => {
    const ts = testScheduler();
    const calls: string[] = [];
    ts.run(({ cold }) => {
      const legs: RaceLeg[] = ['a', 'b', 'c'].map((name, i) => ({
        handicapMs: i === 2 ? 10 : 0,
        open: () => cold(name === 'b' ? '-t|' : '-----t|', ev),
        onWin: () => calls.push(`win ${name}`),
        onLose: () => calls.push(`lose ${name}`),
      }));
      raceLegs(legs, ts, noWinner).subscribe();
    });
    expect(calls).to.deep.equal(['lose a', 'win b']);
  });

  it('early unsubscribe stops every running leg and every pending start', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s------t|', ev);
      const b = cold('--t|', ev);
      expectObservable(raceLegs([{ handicapMs: 0, open: () => a }, { handicapMs: 5, open: () => b }], ts, noWinner), '^--!').toBe('---', ev);
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe([]);
    });
  });

  it('synchronous legs: the first wins inside subscribe, the second never starts, and the winner stops when unsubscribed mid-burst', () => {
    const ts = testScheduler();
    const first = syncSource();
    const second = syncSource();
    raceLegs([{ handicapMs: 0, open: () => first.source }, { handicapMs: 0, open: () => second.source }], ts, noWinner).pipe(take(4)).subscribe();
    expect([first.probe.emitted, first.probe.tornDown]).to.deep.equal([3, true]);
    expect(second.probe.emitted).to.equal(0);
  });

  it('a throwing onWin fails the race with an internal error (reported on lip:internal-error) and stops the winner; never an uncaught throw', () => {
    const reports: unknown[] = [];
    const listen = (m: unknown) => reports.push((m as { where: string }).where);
    subscribe('lip:internal-error', listen);
    try {
      const ts = testScheduler();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a = cold('-s--t--f|', ev);
        const b = cold('-s------t|', ev);
        const legs: RaceLeg[] = [
          { handicapMs: 0, open: () => a, onWin: () => { throw new TypeError('bug in onWin'); } },
          { handicapMs: 0, open: () => b, onLose: () => { throw new TypeError('bug in onLose'); } },
        ];
        expectObservable(raceLegs(legs, ts, noWinner)).toBe('----#', undefined, internalError);
        expectSubscriptions(a.subscriptions).toBe('^---!');
        expectSubscriptions(b.subscriptions).toBe('^---!');
      });
      expect(reports).to.deep.equal(['race.onLose', 'race.onWin']);
    } finally {
      unsubscribe('lip:internal-error', listen);
    }
  });

  it('a throwing onLose is reported and the race goes on: the winner streams, the loser is stopped', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-s--t----f|', ev);
      const b = cold('-s------t|', ev);
      const legs: RaceLeg[] = [
        { handicapMs: 0, open: () => a },
        { handicapMs: 0, open: () => b, onLose: () => { throw new TypeError('bug in onLose'); } },
      ];
      expectObservable(raceLegs(legs, ts, noWinner)).toBe('----(st)-f|', ev);
      expectSubscriptions(b.subscriptions).toBe('^---!');
    });
  });
});
