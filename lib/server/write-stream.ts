import type { ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';
import { toLipError, type LipError } from '../errors/index.js';
import type { ErrorResponse, StreamEncoder } from '../frontends/protocol.js';
import { KEEPALIVE, SSE_KEEPALIVE, withKeepalive } from '../wire/index.js';
import { sendJson } from './send.js';

export interface StreamOptions {
  readonly contentType: string;
  readonly keepaliveMs: number;
  /** Response headers, computed when the stream commits (the serving backend is known then). */
  readonly headers: () => Record<string, string>;
  readonly encodeError: (err: LipError) => ErrorResponse;
  readonly onFailure: (err: LipError, afterOutput: boolean) => void;
  readonly onDone: () => void;
}

/**
 * Pipes events to an SSE response. Headers (status 200) go out with the first event or the
 * first keepalive, whichever comes first; a failure before that is a normal HTTP error with
 * the protocol's envelope, a failure after it is the protocol's in-band error. Writes made in
 * one tick are corked into one socket write. A closed connection unsubscribes, which cancels
 * the upstream.
 */
export function writeStream(res: ServerResponse, events: Observable<LipEvent>, encoder: StreamEncoder, o: StreamOptions): Subscription {
  let committed = false;
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = (text: string) => {
    if (text.length === 0) return;
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    res.write(text);
  };
  const commit = () => {
    if (committed) return;
    committed = true;
    res.writeHead(200, { ...o.headers(), 'content-type': o.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  };

  const subscription = events.pipe(withKeepalive<LipEvent>(o.keepaliveMs)).subscribe({
    next(item) {
      commit();
      write(item === KEEPALIVE ? SSE_KEEPALIVE : encoder.event(item));
    },
    error(raw) {
      const err = toLipError(raw);
      o.onFailure(err, committed);
      if (!committed) {
        const response = o.encodeError(err);
        sendJson(res, response.status, response.body, { ...o.headers(), ...response.headers });
      } else {
        write(encoder.error(err));
        res.end();
      }
      o.onDone();
    },
    complete() {
      commit();
      write(encoder.end());
      res.end();
      o.onDone();
    },
  });
  res.once('close', () => {
    if (!subscription.closed) {
      subscription.unsubscribe();
      o.onDone();
    }
  });
  return subscription;
}
