import type { DispatchHooks } from '../backend.js';

export type { DispatchHooks };

/** Queued upstream requests per backend id, read by the metrics at scrape time (`lip_upstream_queue_depth`). */
export const UPSTREAM_QUEUE_DEPTH = new Map<string, number>();

interface Waiter {
  readonly start: () => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
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

  constructor(readonly cap: number, private readonly label: string) {}

  /** Resolves with the slot's release once the request may go; rejects with the signal's reason when aborted first. */
  acquire(origin: string, signal: AbortSignal, hooks?: DispatchHooks): Promise<() => void> {
    let state = this.origins.get(origin);
    if (!state) this.origins.set(origin, (state = { active: 0, waiting: [] }));
    const slot = state;
    if (slot.active < this.cap) {
      slot.active++;
      hooks?.onDispatch?.();
      return Promise.resolve(this.releaser(origin, slot));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        start: () => {
          signal.removeEventListener('abort', waiter.onAbort);
          hooks?.onDispatch?.();
          resolve(this.releaser(origin, slot));
        },
        onAbort: () => {
          const at = slot.waiting.indexOf(waiter);
          if (at >= 0) {
            slot.waiting.splice(at, 1);
            this.count(-1);
          }
          reject(signal.reason);
        },
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      slot.waiting.push(waiter);
      this.count(1);
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
