import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike, Subscription } from 'rxjs';
import { LipError } from '../../errors/index.js';
import type { DispatchHooks } from '../backend.js';
import type { AbortLike } from './upstream-abort.js';

export type { DispatchHooks };

/** `http_client.queue_timeout`'s default: how long a request waits for a connection at most. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;

/** How long a request may wait for a connection, on which clock. */
export interface QueueWait {
  readonly ms: number;
  /** Time source (tests pass a virtual one); asyncScheduler when absent. */
  readonly scheduler?: SchedulerLike;
}

/** Queued upstream requests per backend id, read by the metrics at scrape time (`lip_upstream_queue_depth`). */
export const UPSTREAM_QUEUE_DEPTH = new Map<string, number>();

interface Waiter {
  readonly start: () => void;
  readonly signal: AbortLike;
  readonly onAbort: () => void;
  /** Its queue_timeout timer. */
  expiry?: Subscription;
}

interface Origin {
  active: number;
  readonly waiting: Waiter[];
}

/**
 * `http_client.connections_per_origin` as lip's own queue in front of undici: at most `cap`
 * requests per origin are in flight, the rest wait here in arrival order. Keeping the queue in
 * lip (rather than in undici's pool) is what lets an attempt know when it is dispatched: its
 * TTFT budget starts then, the client hears at once that it waits, the wait is never an upstream
 * failure, and the depth is a metric. An aborted waiter leaves the queue at once.
 *
 * A waiter still waiting after `wait.ms` (`http_client.queue_timeout`) leaves the queue with the
 * retryable LIP_ERR_UPSTREAM_QUEUE_TIMEOUT (503, Retry-After 1 s): nothing was sent, so no
 * circuit counts it, and a route with another arm (`|`) moves on to it instead of waiting for a
 * slot behind streams that may run for minutes.
 *
 * ```ts
 * const queue = new OriginQueue(2, 'openai');
 * const release = await queue.acquire('https://api.openai.com', signal, hooks);
 * // ... the request runs; its body is finished or thrown away:
 * release();
 * ```
 * @see spec/backends/http/origin-queue.spec.ts
 */
export class OriginQueue {
  private readonly origins = new Map<string, Origin>();
  private depth = 0;

  private readonly scheduler: SchedulerLike;

  /** `label` names the backend (the depth metric, the timeout's message). */
  constructor(readonly cap: number, private readonly label: string, private readonly wait: QueueWait = { ms: DEFAULT_QUEUE_TIMEOUT_MS }) {
    this.scheduler = wait.scheduler ?? asyncScheduler;
  }

  /** Resolves with the slot's release once the request may go; rejects with the signal's reason when aborted first. */
  acquire(origin: string, signal: AbortLike, hooks?: DispatchHooks): Promise<() => void> {
    let state = this.origins.get(origin);
    if (!state) this.origins.set(origin, (state = { active: 0, waiting: [] }));
    const slot = state;
    if (slot.active < this.cap) {
      slot.active++;
      hooks?.onDispatch?.();
      return Promise.resolve(this.releaser(origin, slot));
    }
    return new Promise((resolve, reject) => {
      /** Takes the waiter out of the queue (it gave up); false when it had already left it. */
      const leave = (): boolean => {
        waiter.expiry?.unsubscribe();
        signal.removeEventListener('abort', waiter.onAbort);
        const at = slot.waiting.indexOf(waiter);
        if (at < 0) return false;
        slot.waiting.splice(at, 1);
        this.count(-1);
        return true;
      };
      const waiter: Waiter = {
        signal,
        start: () => {
          waiter.expiry?.unsubscribe();
          signal.removeEventListener('abort', waiter.onAbort);
          hooks?.onDispatch?.();
          resolve(this.releaser(origin, slot));
        },
        onAbort: () => {
          leave();
          reject(signal.reason);
        },
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      slot.waiting.push(waiter);
      this.count(1);
      const ms = this.wait.ms;
      waiter.expiry = this.scheduler.schedule(() => {
        if (!leave()) return;
        reject(new LipError('LIP_ERR_UPSTREAM_QUEUE_TIMEOUT', `backend "${this.label}": no connection of the origin came free within ${ms} ms (http_client.queue_timeout; all ${this.cap} of connections_per_origin busy)`, {
          retryAfter: 1, detail: { backend: this.label },
        }));
      }, ms);
      hooks?.onQueued?.();
    });
  }

  /** Requests waiting now (all origins). */
  get waiting(): number {
    return this.depth;
  }

  private releaser(origin: string, slot: Origin): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      if (next) {
        this.count(-1);
        next.start(); // the slot passes straight to the next waiter
        return;
      }
      slot.active--;
      if (slot.active === 0) this.origins.delete(origin);
    };
  }

  private count(delta: number): void {
    this.depth += delta;
    const now = (UPSTREAM_QUEUE_DEPTH.get(this.label) ?? 0) + delta;
    if (now > 0) UPSTREAM_QUEUE_DEPTH.set(this.label, now);
    else UPSTREAM_QUEUE_DEPTH.delete(this.label);
  }
}
