import { Observable } from 'rxjs/internal/Observable';
import { defer } from 'rxjs/internal/observable/defer';
import { takeUntil } from 'rxjs/internal/operators/takeUntil';
import { Subject } from 'rxjs/internal/Subject';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isSubstantiveOutput } from '../../canonical/index.js';
import { guard } from '../../errors/index.js';

export interface RaceLeg {
  /** Start delay: the leg is subscribed this long after the race (`[handicap=D]`). */
  readonly handicapMs: number;
  readonly open: () => Observable<LipEvent>;
  /** Called when this leg wins, before its events are released (a throw fails the race). */
  readonly onWin?: () => void;
  /** Called right before a started, losing leg is stopped (a throw is reported, not fatal). */
  readonly onLose?: () => void;
}

type State = 'pending' | 'running' | 'failed' | 'completed' | 'lost' | 'won';

interface Leg {
  readonly spec: RaceLeg;
  readonly stop: Subject<void>;
  state: State;
  buffer: LipEvent[];
  timer?: Subscription;
}

/**
 * A race (`a![handicap=300ms]b`): every leg starts (a handicapped leg that much later); each
 * leg's events are held until it emits substantive output (non-whitespace text or reasoning, a
 * tool call); the first leg to do so wins: its held events are released and it streams on, and
 * every other leg is unsubscribed at once (a pending one never starts). A leg failing before
 * output drops out. A leg that completes without substantive output is kept as a fallback, used
 * only if no leg ever wins. With no winner and no fallback, errors with `noWinner(failures)`.
 *
 * ```
 * leg a:  -s---------t-|
 * leg b:  --(starts at 2)-s-t-|
 * result: -----(st)-|           b wins at 5; a is unsubscribed at 5
 * ```
 * Each leg runs through `takeUntil(stop)`, so a loser stops at once even mid-way through a
 * synchronous burst.
 * @see spec/routing/operators/race-legs.spec.ts
 */
export function raceLegs(specs: readonly RaceLeg[], scheduler: SchedulerLike, noWinner: (failures: unknown[]) => unknown): Observable<LipEvent> {
  return new Observable<LipEvent>((subscriber) => {
    const legs: Leg[] = specs.map((spec) => ({ spec, stop: new Subject<void>(), state: 'pending', buffer: [] }));
    const failures: unknown[] = [];
    const finished: Leg[] = [];
    let winner: Leg | undefined;

    const halt = (leg: Leg, state: State): void => {
      leg.timer?.unsubscribe();
      const wasRunning = leg.state === 'running';
      leg.state = state;
      if (wasRunning) leg.stop.next();
    };
    const release = (leg: Leg): void => {
      winner = leg;
      leg.state = 'won';
      for (const other of legs) {
        if (other === leg || (other.state !== 'running' && other.state !== 'pending')) continue;
        // A throwing onLose is reported; the loser is stopped all the same.
        if (other.state === 'running' && other.spec.onLose) guard('race.onLose', other.spec.onLose, () => undefined)();
        halt(other, 'lost');
      }
      let failed: unknown;
      if (leg.spec.onWin) guard('race.onWin', leg.spec.onWin, (err) => { failed = err; })();
      // The teardown that follows the error stops the winner too.
      if (failed !== undefined) return subscriber.error(failed);
      const held = leg.buffer;
      leg.buffer = [];
      for (const event of held) {
        if (subscriber.closed) return leg.stop.next();
        subscriber.next(event);
      }
    };
    const settle = (): void => {
      if (subscriber.closed || winner || legs.some((l) => l.state === 'pending' || l.state === 'running')) return;
      const fallback = finished[0];
      if (!fallback) return subscriber.error(noWinner(failures));
      release(fallback);
      subscriber.complete();
    };
    const start = (leg: Leg): void => {
      if (winner || subscriber.closed || leg.state !== 'pending') return;
      leg.state = 'running';
      defer(leg.spec.open).pipe(takeUntil(leg.stop)).subscribe({
        next(event) {
          if (winner === leg) {
            subscriber.next(event);
            if (subscriber.closed) leg.stop.next();
          } else if (!winner) {
            leg.buffer.push(event);
            if (isSubstantiveOutput(event)) release(leg);
          }
        },
        error(err: unknown) {
          if (winner === leg) return subscriber.error(err);
          if (leg.state !== 'running') return;
          leg.state = 'failed';
          leg.buffer = [];
          failures.push(err);
          settle();
        },
        complete() {
          if (winner === leg) return subscriber.complete();
          if (leg.state !== 'running') return; // stopped as a loser
          leg.state = 'completed';
          finished.push(leg);
          settle();
        },
      });
    };

    for (const leg of legs) {
      if (leg.spec.handicapMs <= 0) start(leg);
      else leg.timer = scheduler.schedule(() => start(leg), leg.spec.handicapMs);
    }
    settle();
    return () => {
      for (const leg of legs) halt(leg, leg.state === 'running' || leg.state === 'pending' ? 'lost' : leg.state);
      winner?.stop.next();
    };
  });
}
