import { VirtualTimeScheduler } from 'rxjs';

/** A realistic start (2023-11-14T22:13:20Z) so rows carry epoch-millisecond times. */
export const T0 = 1_700_000_000_000;

/**
 * Virtual time for the continuity stores (the base class of RxJS's TestScheduler): `now()` is
 * the virtual frame in milliseconds, and `advance(ms)` runs every timer due in that window, in
 * order, then leaves the clock at the end of it. No test sleeps.
 */
export class VirtualClock extends VirtualTimeScheduler {
  constructor(start = T0) {
    super();
    this.frame = start;
  }

  advance(ms: number): void {
    const target = this.frame + ms;
    this.maxFrames = target;
    this.flush();
    this.frame = target;
  }

  /** Timers still waiting. */
  get scheduled(): number {
    return this.actions.length;
  }
}
