import type { ServerResponse } from 'node:http';
import { takeUntil } from 'rxjs/internal/operators/takeUntil';
import { Subject } from 'rxjs/internal/Subject';
import { Subscription } from 'rxjs/internal/Subscription';
import type { Observable } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';
import { LipError, reportInternalError } from '../errors/index.js';
import type { ErrorResponse, StreamEncoder } from '../frontends/protocol.js';
import { KEEPALIVE, SSE_KEEPALIVE, withKeepalive, type FlowGate } from '../wire/index.js';
import { sendJson } from './send.js';

/** Characters of event text gathered before they are written without waiting for the end of the tick. */
const BATCH_CHARS = 16 * 1024;
/**
 * How many times `maxBufferedBytes` one tick's burst may write before the stream is failed: a
 * burst (a tool call or a completion a stage held, released at once) has had no chance to be
 * read, so what the client is judged by is what waits from earlier ticks; this bounds a source
 * that never yields at all.
 */
const BURST_FACTOR = 32;

export interface StreamOptions {
  readonly requestId: string;
  readonly contentType: string;
  /** `: keepalive` comments while the stream is silent, and one while it waits; 0: none at all. */
  readonly keepaliveMs: number;
  /** Response headers, computed when the stream commits (the serving backend is known then, unless it commits early). */
  readonly headers: () => Record<string, string>;
  /**
   * A header whose value may come only once a candidate serves (`x-lip-backend`, lower case): when
   * the stream commits without it (a keepalive, or a wait for a connection, came first) it is
   * declared in `Trailer` and sent as a trailer at the end, if it has a value then. Only on a
   * chunked response (an HTTP/1.0 client gets none: it could not read them).
   */
  readonly trailer?: { readonly name: string; value(): string | undefined };
  readonly encodeError: (err: LipError) => ErrorResponse;
  readonly onFailure: (err: LipError, afterOutput: boolean) => void;
  readonly onDone: () => void;
  /** Closed while the socket is full, so that sources pause their upstream bodies. */
  readonly flow?: FlowGate;
  /** Unsent bytes the response may hold before the stream is failed as too slow. */
  readonly maxBufferedBytes: number;
}

/** A running stream: `fail` ends it with an error (the shutdown timeout uses it). */
export interface StreamHandle {
  readonly subscription: Subscription;
  fail(err: LipError): void;
  /**
   * The request waits (for an upstream connection): send the headers and a keepalive now if
   * nothing went out yet, so that the client and proxies in between see a live response;
   * without keepalives (`keepaliveMs` 0: a JSON array, which no comment may precede) the
   * headers alone.
   */
  waiting(): void;
}

/**
 * Pipes events to an SSE response. Headers (status 200) go out with the first event or the
 * first keepalive, whichever comes first, in the same socket write and at once (a header not
 * known yet then, `o.trailer`, comes as a trailer at the end); a failure before
 * that is a normal HTTP error with the protocol's envelope, a failure after it is the protocol's
 * in-band error. After the first write, the text of the events of one tick is joined and written
 * once (one chunk, not one `res.write` per event), sooner when it reaches BATCH_CHARS; writes
 * made in one tick are corked into one socket write.
 * A closed connection unsubscribes, which cancels the upstream.
 *
 * Nothing thrown here reaches RxJS (which would rethrow it asynchronously and end the
 * process): a throw from encoding or writing fails this request (500 before output, in-band
 * after) and is reported on `lip:internal-error`.
 *
 * Backpressure: when `res.write()` reports a full socket the flow gate closes (HTTP sources
 * stop reading their upstream bodies) until `'drain'`. A source that cannot pause is bounded by
 * `maxBufferedBytes`: once more than that waited unsent from an earlier tick (the client had
 * its chance to read it), or one tick's burst passes BURST_FACTOR times it, the stream fails
 * with `LIP_ERR_SERVER_CLIENT_TOO_SLOW`. A burst released at once (a tool call held whole by
 * tool-call repair, a race's held output) is not the client's slowness.
 */
export function writeStream(res: ServerResponse, events: Observable<LipEvent>, encoder: StreamEncoder, o: StreamOptions): StreamHandle {
  let committed = false;
  /** The trailer declared when the headers went out (StreamOptions.trailer). */
  let trailing: string | undefined;
  let corked = false;
  let started = false;
  let finished = false;
  const subscription = new Subscription();
  // Stops the source even in the middle of a synchronous burst (before subscribe returned).
  const stop = new Subject<void>();
  let pending = '';
  /** Bytes that waited unsent when this tick's writes began (what the client had a chance to read). */
  let carried = 0;
  const onDrain = () => o.flow?.open();
  const flush = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (res.destroyed) return;
    if (res.write(text) || !o.flow || o.flow.closed) return;
    o.flow.close();
    res.once('drain', onDrain);
  };
  const endOfTick = () => {
    corked = false;
    flush();
    res.uncork();
  };
  const write = (text: string) => {
    if (text.length === 0) return;
    // The first bytes (with the headers, in one socket write) go out at once: the events after
    // them in the same tick (a burst) must not delay the client's first byte. node's `res.write`
    // corks the socket until the next tick by itself; uncorking sends them now.
    if (!started) {
      started = true;
      pending = text;
      flush();
      if (res.socket?.writableCorked) res.uncork();
      return;
    }
    if (!corked) {
      corked = true;
      carried = res.writableLength;
      res.cork();
      process.nextTick(endOfTick);
    }
    pending += text;
    // A large burst goes out at once, so that the flow gate and max_buffered_bytes see it now.
    if (pending.length >= BATCH_CHARS) flush();
  };
  const commit = () => {
    if (committed) return;
    const headers = o.headers();
    const late = o.trailer?.name;
    // node sends trailers only with chunked encoding (and refuses a Trailer header without it).
    if (late !== undefined && headers[late] === undefined && res.useChunkedEncodingByDefault) trailing = late;
    res.writeHead(200, { ...headers, ...(trailing !== undefined ? { trailer: trailing } : {}), 'content-type': o.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    committed = true;
  };
  /** Ends the committed response, with its declared trailer when it has a value now. */
  const end = () => {
    if (trailing !== undefined) {
      const value = o.trailer!.value();
      if (value !== undefined) res.addTrailers({ [trailing]: value });
    }
    res.end();
  };
  const done = () => {
    if (finished) return false;
    finished = true;
    stop.next();
    subscription.unsubscribe();
    o.flow?.open();
    return true;
  };
  const fail = (err: LipError): void => {
    if (!done()) return;
    try {
      o.onFailure(err, committed);
      if (!committed) sendError(res, err, o);
      else {
        write(encoder.error(err));
        flush();
        end();
      }
    } catch (raw) {
      reportInternalError('stream.fail', raw, o.requestId);
      res.destroy();
    }
    o.onDone();
  };
  const internal = (where: string) => (raw: unknown) => fail(reportInternalError(where, raw, o.requestId));

  subscription.add(events.pipe(withKeepalive<LipEvent>(o.keepaliveMs), takeUntil(stop)).subscribe({
    next(item) {
      if (finished) return;
      try {
        const text = item === KEEPALIVE ? SSE_KEEPALIVE : encoder.event(item);
        commit();
        write(text);
      } catch (raw) {
        return internal('stream.next')(raw);
      }
      if (carried > o.maxBufferedBytes || res.writableLength > o.maxBufferedBytes * BURST_FACTOR) {
        fail(new LipError('LIP_ERR_SERVER_CLIENT_TOO_SLOW', `the client read too slowly: over server.max_buffered_bytes (${o.maxBufferedBytes} bytes) waited unsent`));
      }
    },
    error: (raw: unknown) => fail(reportInternalError('stream.error', raw, o.requestId)),
    complete() {
      if (finished) return;
      try {
        const text = encoder.end();
        commit();
        write(text);
        flush();
        end();
      } catch (raw) {
        return internal('stream.complete')(raw);
      }
      done();
      o.onDone();
    },
  }));
  res.once('close', () => {
    if (done()) o.onDone();
  });
  const waiting = () => {
    if (committed || finished) return;
    try {
      commit();
      if (o.keepaliveMs > 0) write(SSE_KEEPALIVE);
      else res.flushHeaders();
    } catch (raw) {
      internal('stream.waiting')(raw);
    }
  };
  return { subscription, fail, waiting };
}

/** The error before output: the protocol's envelope; without lip's headers if they are what failed. */
function sendError(res: ServerResponse, err: LipError, o: StreamOptions): void {
  const response = o.encodeError(err);
  let headers: Record<string, string> = {};
  try {
    headers = o.headers();
  } catch (raw) {
    reportInternalError('stream.headers', raw, o.requestId);
  }
  try {
    sendJson(res, response.status, response.body, { ...headers, ...response.headers });
  } catch (raw) {
    reportInternalError('stream.send', raw, o.requestId);
    sendJson(res, response.status, response.body, response.headers);
  }
}
