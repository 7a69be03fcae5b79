import type { DispatchHooks } from '../backends/backend.js';
import type { DispatchWatch } from '../routing/operators/ttft-timeout.js';

interface Listener {
  readonly onWait: () => void;
  readonly onDispatch: () => void;
}

/**
 * One attempt's dispatch news, from its backend (the hooks of `Target.dispatch`) to whoever
 * cares: the leaf TTFT budget (which does not count the wait for a connection) and the client's
 * response (a streaming response commits its headers as soon as its request waits). Built only
 * when someone listens, so an attempt without a budget or a streaming client pays nothing.
 *
 * ```ts
 * const relay = new DispatchRelay(() => stream.waiting());
 * backend.stream(call, { ...target, dispatch: relay });
 * source.pipe(ttftTimeout(budget, makeError, scheduler, relay));
 * ```
 * @see spec/core/dispatch-relay.spec.ts
 */
export class DispatchRelay implements DispatchHooks, DispatchWatch {
  private readonly listeners: Listener[] = [];

  constructor(private readonly queued?: () => void) {}

  onQueued(): void {
    this.queued?.();
    for (const l of this.listeners) l.onWait();
  }

  onDispatch(): void {
    for (const l of this.listeners) l.onDispatch();
  }

  watch(onWait: () => void, onDispatch: () => void): () => void {
    const listener = { onWait, onDispatch };
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }
}
