import { Observable } from 'rxjs';
import type { LipEvent } from '../../../lib/canonical/index.js';

/**
 * A synchronous source that keeps emitting text until its subscriber is closed (or `limit` is
 * reached), and records how far it got and whether its teardown ran.
 */
export function syncSource(limit = 1000) {
  const probe = { emitted: 0, tornDown: false };
  const source = new Observable<LipEvent>((subscriber) => {
    subscriber.next({ type: 'response_started' });
    while (!subscriber.closed && probe.emitted < limit) {
      probe.emitted++;
      subscriber.next({ type: 'text_delta', text: `t${probe.emitted}` });
    }
    if (!subscriber.closed) subscriber.complete();
    return () => { probe.tornDown = true; };
  });
  return { source, probe };
}
