import { channel } from 'node:diagnostics_channel';
import type { CircuitEvent } from './types.js';

/**
 * Where circuit events go: the `onEvent` callback the server passes (its logger and metrics)
 * and the `lip:circuit` diagnostics channel (for anyone else, at no cost when nobody listens).
 * circuit/ never imports a logger.
 *
 * Events: `transition` (a circuit changed state, here or on another instance),
 * `store_unavailable` (once per outage of the shared store), `store_recovered` (with how long
 * it was down). A throwing listener is the listener's bug and must not break routing, so its
 * error is swallowed here.
 */
export const circuitChannel = channel('lip:circuit');

export type EventSink = (event: CircuitEvent) => void;

export function eventSink(onEvent?: EventSink): EventSink {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // a listener's failure is not the breaker's
    }
    if (circuitChannel.hasSubscribers) circuitChannel.publish(event);
  };
}
