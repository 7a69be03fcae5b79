import { StringDecoder } from 'node:string_decoder';
import { Observable } from 'rxjs/internal/Observable';
import type { SchedulerLike, Subscriber } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';
import { isLipError, LipError, reportInternalError } from '../../errors/index.js';
import { SseParser, type FlowGate, type SseMessage } from '../../wire/index.js';
import type { DispatchHooks } from '../backend.js';
import { BodyIdleTimer } from './body-idle-timer.js';
import { classifyTransportError } from './classify-transport-error.js';
import { KeyRotation, type CredentialOptions, type KeyRefusals } from './key-rotation.js';
import { retryAfterMs, type HeaderMap } from './parse-retry-after.js';
import { readBodyText } from './read-body-text.js';
import { inBodyError, readWholeResponse, type ResponseDecoder } from './read-whole-response.js';
import { endedBeforeFinish, malformedFrame } from './upstream-status-error.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './upstream-client.js';
import { UpstreamAbort } from './upstream-abort.js';

/**
 * Turns one provider's SSE messages into canonical events. One instance per attempt: it keeps
 * the stream's state (open blocks, tool call ids, usage). `message` appends to `out` and throws
 * a LipError for an in-band upstream error or a frame that breaks the protocol; `end` is called
 * at the end of the body and may append the closing events when the provider's own terminal
 * frame was seen (a stream without one is judged by the source, not the decoder).
 */
export interface StreamDecoder<M = SseMessage> {
  message(message: M, out: LipEvent[]): void;
  end(out: LipEvent[]): void;
}

/**
 * Cuts a response body into the messages its decoder reads. SSE (the default) for every kind
 * but one whose stream is binary (Bedrock's AWS event stream), which brings its own.
 */
export interface BodyFramer<M> {
  push(chunk: Buffer): M[];
  end(): M[];
}

/**
 * The default framer: UTF-8 text through the SSE parser. Decoded as TextDecoder does (a byte
 * order mark at the start dropped, a character cut across chunks joined, invalid bytes U+FFFD)
 * but with StringDecoder, several times faster per chunk.
 */
function sseFramer(maxLineBytes: number | undefined): BodyFramer<SseMessage> {
  const parser = new SseParser(maxLineBytes !== undefined ? { maxLineBytes } : {});
  const utf8 = new StringDecoder('utf8');
  let start = true;
  const text = (decoded: string): string => {
    if (!start || decoded === '') return decoded;
    start = false;
    return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  };
  return {
    push: (chunk) => parser.push(text(utf8.write(chunk))),
    end: () => [...parser.push(text(utf8.end())), ...parser.end()],
  };
}

/** Everything provider-specific about one streamed generation (and what refuses its keys: KeyRefusals). */
export interface UpstreamExchange extends KeyRefusals {
  /**
   * The request for one key (undefined: no key is configured and none is required); a promise
   * when building it needs I/O (a SigV4 signature over credentials resolved per request).
   */
  request(key: string | undefined): UpstreamRequest | Promise<UpstreamRequest>;
  decoder(): StreamDecoder<any>;
  /** How the body is cut into the decoder's messages (SSE when absent). */
  framer?(): BodyFramer<unknown>;
  /**
   * Present when the request asked for the whole answer in one JSON body (`Target.whole`): its
   * decoder. An upstream that streams anyway is still read with `decoder()`.
   */
  response?(): ResponseDecoder;
  /**
   * The kind's whole-answer decoder for a streamed request, asked only when a 200 came as JSON
   * instead of an event stream: a provider error in it fails the attempt as that error.
   */
  answerDecoder?(): ResponseDecoder;
  /** A non-2xx answer as a LipError (the kind's classify-error.ts decides retryability). */
  statusError(status: number, bodyText: string, headers: HeaderMap, retryAfter: number | undefined): LipError;
  /** Told each answer's status and headers as they arrive (the upstream's own request id). */
  onResponse?(status: number, headers: HeaderMap): void;
}

/** How one attempt's body is read: the client's backpressure and the longest line accepted. */
export interface ReadOptions {
  readonly flow?: FlowGate;
  /** Told when the request waits for a connection and when it is dispatched. */
  readonly dispatch?: DispatchHooks;
  /** `http_client.max_line_bytes`. */
  readonly maxLineBytes?: number;
  /**
   * `http_client.body_timeout`, counted by lip between the canonical events a body yields (not
   * between its bytes, as undici does) on `scheduler`: absent, only undici's timer applies.
   */
  readonly bodyTimeout?: { readonly ms: number; readonly scheduler: SchedulerLike };
}

/**
 * The cold Observable behind every HTTP backend. Subscribing sends the request through the
 * pooled client; each SSE message is decoded into canonical events and emitted at once (no
 * buffering; one timer per attempt, lip's body timeout). Unsubscribing aborts the request, which
 * closes the upstream socket.
 *
 * Keys rotate within the attempt (KeyRotation): a 401 retires the key and a 429 cools it down
 * (Retry-After, else 60 s), then the next usable key is tried; when none is left the attempt
 * fails with the retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS. A kind whose credential can be
 * renewed gets one renewal per attempt after a 401 or 403, then the same request again. A body that ends
 * without the provider's terminal frame fails as LIP_ERR_UPSTREAM_EMPTY_STREAM before any
 * output, LIP_ERR_UPSTREAM_RESET after (one cut in the middle of a frame too). A body that yields no canonical event for
 * `read.bodyTimeout` (only keep-alive comments, pings, a trickle of bytes; a whole answer not
 * complete in that time) fails as LIP_ERR_UPSTREAM_BODY_TIMEOUT, retryable before any output.
 *
 * ```
 * upstream: --H--m--m--m--|        (H = headers, m = SSE message)
 * events:   -----s--t--t--(f|)
 * ```
 * @see spec/backends/http/upstream-source.spec.ts, spec/backends/http/renew-credential.spec.ts
 */
export function upstreamSource(client: UpstreamClient, exchange: UpstreamExchange, credentials: CredentialOptions, read: ReadOptions = {}): Observable<LipEvent> {
  return new Observable<LipEvent>((subscriber) => {
    const controller = new UpstreamAbort();
    let response: UpstreamResponse | undefined;
    // Set once the exchange ended by itself (its final event, or a failure): then the teardown
    // must not abort, or it would destroy a body still being drained and with it the pooled
    // keep-alive connection (and build an AbortError per request for nothing).
    const exchangeState: ExchangeState = { settled: false };
    const fail = (err: unknown) => {
      exchangeState.settled = true;
      if (!subscriber.closed) subscriber.error(reportInternalError('backend.source', err));
    };
    const timeout = read.bodyTimeout;
    const idle = timeout === undefined ? undefined : new BodyIdleTimer(timeout.scheduler, timeout.ms, () => {
      controller.abort();
      if (response) discard(response.body);
      fail(new LipError('LIP_ERR_UPSTREAM_BODY_TIMEOUT', `backend "${exchange.backendId}": the upstream sent no event for ${timeout.ms} ms (http_client.body_timeout; keep-alive frames do not count)`, {
        detail: { backend: exchange.backendId, transport_code: null, phase: 'body' },
      }));
    });
    exchangeState.idle = idle;
    void run(client, exchange, credentials, read, controller, subscriber, (r) => { response = r; }, exchangeState).catch(fail);
    return () => {
      exchangeState.unpause?.();
      idle?.stop();
      if (exchangeState.settled) return;
      controller.abort();
      if (response) discard(response.body);
    };
  });
}

interface ExchangeState {
  settled: boolean;
  /** Cancels a pending wait for the flow gate (set while the body is paused). */
  unpause?: () => void;
  /** lip's body timeout (`ReadOptions.bodyTimeout`), counting while a 2xx body is read. */
  idle?: BodyIdleTimer | undefined;
}

async function run(
  client: UpstreamClient, exchange: UpstreamExchange, credentials: CredentialOptions, read: ReadOptions, signal: UpstreamAbort,
  subscriber: Subscriber<LipEvent>, opened: (response: UpstreamResponse) => void, exchangeState: ExchangeState,
): Promise<void> {
  const keys = new KeyRotation(credentials, exchange);
  for (;;) {
    const lease = keys.next();
    // Encoding the request is lip's own work: a throw there is not the upstream's failure (it
    // must never count against the candidate's circuit or be reported as unreachable).
    const request = await exchange.request(lease?.key);
    if (signal.aborted) return;
    let response: UpstreamResponse;
    try {
      response = await client.open(request, signal, read.dispatch);
    } catch (err) {
      if (signal.aborted) return;
      throw classifyTransportError(err, exchange.backendId, 'connect');
    }
    if (signal.aborted) {
      discard(response.body);
      return;
    }
    opened(response);
    const status = response.statusCode;
    exchange.onResponse?.(status, response.headers);
    if (status >= 200 && status < 300) {
      // The answer's body starts: lip's body timeout counts from here (an error status's body is
      // small and read as far as it comes: its status says more than a timeout would).
      exchangeState.idle?.start();
      const type = String(response.headers['content-type'] ?? '');
      if (/^\s*text\/html/i.test(type)) {
        // A login portal's or a gateway's page with status 200: named, and retryable (nothing of
        // the protocol was read), not parsed as frames (a binary framer read `<htm` as a length)
        // or as a whole answer.
        discard(response.body);
        const [what, instead] = exchange.response ? ['response', 'a JSON answer'] : ['stream', 'an event stream'];
        throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${exchange.backendId}": malformed upstream ${what}: the upstream answered an HTML page (${type}) instead of ${instead}`, {
          retryable: true, detail: { backend: exchange.backendId },
        });
      }
      if (exchange.response && !/event-stream/i.test(type)) {
        return readWholeResponse(response.body, {
          backendId: exchange.backendId, decoder: exchange.response(), signal,
          ...(read.maxLineBytes !== undefined ? { maxBytes: read.maxLineBytes } : {}),
          settle: () => { exchangeState.settled = true; },
        }, subscriber);
      }
      if (!/json/i.test(type)) return pump(response, exchange, read, signal, subscriber, exchangeState);
      // A server that ignored `stream: true`, or one that reports an error with status 200 (a
      // compatible server, a gateway): that error, classified as the kind does in a whole
      // answer (retryable or not by its type), else the answer is no event stream.
      const text = await readBodyText(response.body).catch((err: unknown) => {
        if (signal.aborted) return '';
        throw classifyTransportError(err, exchange.backendId, 'body');
      });
      if (signal.aborted) return;
      throw (exchange.answerDecoder && inBodyError(exchange.backendId, exchange.answerDecoder(), text))
        ?? malformedFrame(exchange.backendId, `the upstream answered ${type} instead of an event stream`);
    }

    // An error body that fails on the way (stalls past body_timeout, is cut) still has its
    // status: a 400 is not retried elsewhere, a 429 still cools its key down.
    const text = await readBodyText(response.body, undefined, true);
    if (signal.aborted) return;
    const wait = retryAfterMs(response.headers, credentials.now());
    const error = exchange.statusError(status, text, response.headers, wait);
    const again = await keys.retry({ lease, sent: request, status, error, wait }, signal.signal());
    if (signal.aborted) return;
    if (again) continue;
    throw error;
  }
}

/**
 * Throws a response body away. undici turns a destroy before the end into an `error` event
 * (RequestAbortedError); the no-op listener keeps that from becoming an uncaught exception.
 */
function discard(body: UpstreamResponse['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** How long an upstream whose stream is complete gets to end its body before its connection is closed. */
export const DRAIN_MS = 1_000;

/**
 * Reads what an upstream still sends after its terminal frame, so that the keep-alive connection
 * can be reused, for at most DRAIN_MS (undici's `dump` alone waits for the body's end however
 * long: an upstream that kept a finished stream open, or sent keep-alive comments after it, held
 * the connection, and with `connections_per_origin` the origin's slot, until it hung up).
 */
function drainBriefly(body: UpstreamResponse['body']): void {
  const timer = setTimeout(() => discard(body), DRAIN_MS);
  timer.unref();
  body.dump().catch(() => undefined).finally(() => clearTimeout(timer));
}

/**
 * Reads the SSE body, decoding and emitting as data arrives. The provider's terminal frame
 * completes the stream at once; whatever the upstream still sends is drained in the background
 * (for at most DRAIN_MS) so that the keep-alive connection can be reused.
 */
function pump(response: UpstreamResponse, exchange: UpstreamExchange, read: ReadOptions, signal: UpstreamAbort, subscriber: Subscriber<LipEvent>, exchangeState: ExchangeState): Promise<void> {
  const body = response.body;
  const decoder = exchange.decoder();
  const parser = exchange.framer?.() ?? sseFramer(read.maxLineBytes);
  const flow = read.flow;
  const out: LipEvent[] = [];
  const idle = exchangeState.idle;
  let output = false;
  let terminated = false;
  let done = false;
  /** Whether the messages of the current chunk yielded an event (lip's body timeout starts over). */
  let yielded = false;
  return new Promise<void>((resolve, reject) => {
    const stop = (err?: unknown) => {
      if (done) return;
      done = true;
      body.removeAllListeners('data');
      if (err === undefined && terminated && !subscriber.closed) {
        exchangeState.settled = true;
        drainBriefly(body);
        subscriber.complete();
      } else {
        discard(body);
      }
      if (err === undefined) resolve();
      else reject(err);
    };
    const flush = (): void => {
      for (let i = 0; i < out.length && !subscriber.closed; i++) {
        const event = out[i]!;
        if (!output && isOutputEvent(event)) output = true;
        if (event.type === 'response_finished') terminated = true;
        subscriber.next(event);
      }
      if (out.length > 0) yielded = true;
      out.length = 0;
    };
    /** Decodes messages until the terminal event or an unsubscribe; false when the stream is over. */
    const feed = (messages: unknown[]): boolean => {
      for (let i = 0; i < messages.length; i++) {
        decoder.message(messages[i]!, out);
        flush();
        if (terminated || subscriber.closed) return false;
      }
      return true;
    };
    const resume = () => {
      exchangeState.unpause = undefined;
      if (done) return;
      idle?.start();
      body.resume();
    };
    body.on('data', (chunk: Buffer) => {
      if (done) return;
      try {
        if (!feed(parser.push(chunk))) return stop();
      } catch (err) {
        flush();
        return stop(err);
      }
      if (yielded) {
        yielded = false;
        idle?.touch();
      }
      // The client's socket is full: stop reading (TCP pushes back on the upstream) until it drains;
      // the wait is the client's, not the upstream's silence.
      if (flow?.closed && exchangeState.unpause === undefined) {
        idle?.stop();
        body.pause();
        exchangeState.unpause = flow.onOpen(resume);
      }
    });
    body.once('end', () => {
      if (done) return;
      try {
        if (!feed(parser.end())) return stop();
      } catch (err) {
        flush();
        // What the framer flushes at the end was never terminated: a body cut cleanly in the middle
        // of a frame leaves half of one, which WHATWG discards. It is not a malformed stream: the
        // stream is judged as ended before it (empty before output, reset after).
        if (!isLipError(err) || err.code !== 'LIP_ERR_UPSTREAM_MALFORMED') return stop(err);
      }
      try {
        decoder.end(out);
        flush();
      } catch (err) {
        flush();
        return stop(err);
      }
      if (terminated || subscriber.closed) return stop();
      stop(endedBeforeFinish(exchange.backendId, output, 'stream'));
    });
    body.once('error', (err) => {
      if (done) return;
      if (signal.aborted || subscriber.closed) return stop();
      flush();
      stop(classifyTransportError(err, exchange.backendId, 'body'));
    });
  });
}
