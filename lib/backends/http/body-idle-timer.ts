import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * lip's own `http_client.body_timeout` over an upstream answer: how long its body may go without
 * yielding a canonical event. undici's body timeout counts raw bytes, so an upstream that sends
 * SSE comments (`: keepalive`), Anthropic `ping` frames, empty role chunks or a trickle of bytes
 * that never completes a frame kept an attempt open for ever; this one counts only what the
 * decoder makes of the body.
 *
 * One timer per attempt, cheap per event: `touch()` writes a timestamp, and the one scheduled
 * check (at most one per `timeoutMs`) compares it and either reschedules for the time left or
 * calls `expired`. Runs on the injected scheduler, so specs drive it in virtual time.
 *
 * ```
 * body:    --H--c--c--e--c--c--c--c--c--...     (c: comment, e: a frame that decodes to events)
 * timer:      start     touch          |expired (timeoutMs after e)
 * ```
 * @see spec/backends/http/regression-idle-upstream.spec.ts
 */
export class BodyIdleTimer {
  private last = 0;
  private check: Subscription | undefined;

  constructor(private readonly scheduler: SchedulerLike, private readonly timeoutMs: number, private readonly expired: () => void) {}

  /** A body is being read: counting starts (again) now. */
  start(): void {
    this.last = this.scheduler.now();
    this.check ??= this.scheduler.schedule(() => this.due(), this.timeoutMs);
  }

  /** The body yielded an event. */
  touch(): void {
    this.last = this.scheduler.now();
  }

  /** No body is being read (a new request, the client's socket is full, the attempt is over). */
  stop(): void {
    this.check?.unsubscribe();
    this.check = undefined;
  }

  private due(): void {
    const left = this.last + this.timeoutMs - this.scheduler.now();
    if (left > 0) {
      this.check = this.scheduler.schedule(() => this.due(), left);
      return;
    }
    this.check = undefined;
    this.expired();
  }
}
