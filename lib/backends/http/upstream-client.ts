import { createRequire } from 'node:module';
import type { SchedulerLike } from 'rxjs';
import type { Agent, Dispatcher } from 'undici';
import type { HttpClientSettings } from '../backend.js';
import { decodeErrorBody } from './decode-error-body.js';
import { DEFAULT_QUEUE_TIMEOUT_MS, OriginQueue, type DispatchHooks } from './origin-queue.js';
import { isStaleConnection, watchConnectionReuse } from './stale-connection.js';
import type { AbortLike } from './upstream-abort.js';

/**
 * The undici pieces lip uses, loaded when the first HTTP backend is built (a process serving
 * only localstub never pays for them), and only those: the agent and the promise `request`
 * of the dispatcher API (a proxy needs the whole index: createDispatcher). undici's index would also load fetch, WebSocket, the cache stores
 * and the mocks (several MiB of heap for nothing).
 */
interface UndiciPieces {
  readonly Agent: typeof Agent;
  readonly request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}
let undici: UndiciPieces | undefined;
const loadUndici = (): UndiciPieces => {
  if (undici) return undici;
  const require = createRequire(import.meta.url);
  return (undici = {
    Agent: require('undici/lib/dispatcher/agent.js'),
    request: require('undici/lib/api/api-request.js'),
  });
};

/** The documented `http_client` defaults (CONTRACT section 3): no cap on connections per origin. */
export const DEFAULT_HTTP_SETTINGS: HttpClientSettings = Object.freeze({
  trust_environment_proxy: true,
  connect_timeout: 10_000,
  headers_timeout: 60_000,
  body_timeout: 300_000,
  queue_timeout: DEFAULT_QUEUE_TIMEOUT_MS,
});

/** One upstream HTTP request, fully encoded (the body is the JSON text). */
export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** An undefined value is not sent (and keeps the client's default of that name off the request). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** Overrides `http_client.headers_timeout` for this request (a whole answer's headers come late). */
  readonly headersTimeout?: number;
}

export type UpstreamResponse = Dispatcher.ResponseData;

/** Which proxies apply, read from an environment (lower case wins, as curl does). */
export function proxyEnvironment(env: NodeJS.ProcessEnv): { httpProxy: string; httpsProxy: string; noProxy: string } {
  return {
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
  };
}

/**
 * The pooled undici dispatcher of one backend: keep-alive connections (as many per origin as
 * requests in flight, or `connections_per_origin`), the three `http_client` timeouts, and the proxy
 * environment (`HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`) unless `trust_environment_proxy` is
 * false. The environment is the one handed in, never `process.env` behind our back, so tests
 * stay hermetic.
 */
export function createDispatcher(settings: HttpClientSettings, env: NodeJS.ProcessEnv): Dispatcher {
  const options = {
    connect: { timeout: settings.connect_timeout },
    headersTimeout: settings.headers_timeout,
    bodyTimeout: settings.body_timeout,
    ...(settings.connections_per_origin !== undefined ? { connections: settings.connections_per_origin } : {}),
  };
  const proxies = proxyEnvironment(env);
  const { Agent } = loadUndici();
  if (!settings.trust_environment_proxy || (!proxies.httpProxy && !proxies.httpsProxy)) return new Agent(options);
  // A proxy tunnels with the dispatcher API's `connect`, which undici's index puts on every
  // dispatcher (Dispatcher.prototype): without it the tunnel fails ("connect is not a function")
  // unless something else happened to load the index first. Only a proxied instance pays for it.
  const require = createRequire(import.meta.url);
  const { EnvHttpProxyAgent } = require('undici') as typeof import('undici');
  return new EnvHttpProxyAgent({ ...options, ...proxies });
}

/** One request on a dispatcher of createDispatcher (its agents carry no `request` method of their own). */
export function dispatchRequest(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return loadUndici().request.call(dispatcher, options);
}

/** `https://host:port/path?q` -> [`https://host:port`, `/path?q`], without a URL object per request. */
export function splitUrl(url: string): [origin: string, path: string] {
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  if (slash < 0) {
    const parsed = new URL(url); // unusual shapes (no path, no scheme): let URL decide
    return [parsed.origin, `${parsed.pathname}${parsed.search}`];
  }
  return [url.slice(0, slash), url.slice(slash)];
}

/**
 * A response whose body is compressed although lip asked for `identity` (undici's `request`
 * decodes nothing). A 2xx body is refused with its encoding named, before anything reads it as
 * JSON or SSE (a gzipped stream read as text was an empty stream). Any other answer keeps its
 * status: its body, read only as an error's text (readBodyText), is decoded (decodeErrorBody).
 */
function plainBody(response: UpstreamResponse): UpstreamResponse {
  const encoding = response.headers['content-encoding'];
  if (encoding === undefined) return response;
  const name = String(encoding).trim().toLowerCase();
  if (name === '' || name === 'identity') return response;
  if (response.statusCode < 200 || response.statusCode >= 300) {
    // A plain Readable, not undici's body: nothing calls its mixins (text(), dump()) on an error answer.
    return { ...response, body: decodeErrorBody(response.body, name) as UpstreamResponse['body'] };
  }
  response.body.on('error', () => undefined); // destroying it reports an abort nobody listens to
  response.body.destroy();
  throw new CompressedBodyError(name);
}

/** A compressed upstream body (classifyTransportError makes it LIP_ERR_UPSTREAM_MALFORMED). */
export class CompressedBodyError extends Error {
  readonly code = 'LIP_CONTENT_ENCODING';
  constructor(readonly encoding: string) {
    super(`the upstream answered with content-encoding "${encoding}"`);
  }
}

/**
 * Sends upstream requests through one pooled dispatcher, straight through the dispatcher API
 * (origin and path split once, no URL object, no global-dispatcher lookup), asking for uncompressed bodies
 * (`accept-encoding: identity` unless the caller set it) and with the backend's identity headers. `open` resolves when
 * the response headers arrive; the body is read by the caller. Aborting the signal destroys the
 * request (and its connection when the body was not finished), which is how an unsubscribe
 * reaches the upstream socket.
 *
 * With `connections_per_origin` set, requests beyond it wait in lip's OriginQueue (not in
 * undici's pool): `hooks` hear when a request waits and when it is dispatched, and a request's
 * slot is held until its body is finished or thrown away. One that waits `queue_timeout` (on
 * `scheduler`) fails with the retryable LIP_ERR_UPSTREAM_QUEUE_TIMEOUT, never sent.
 *
 * A request that went out on a reused keep-alive connection which the upstream closed or reset
 * before any byte of the answer (it closed the idle connection as lip reused it) is sent once
 * more, on a new connection of its own (isStaleConnection): undici never resends a POST, and the
 * upstream most likely never saw it. That failure is no attempt's: no circuit or key hears of it.
 * The body is the encoded JSON text, so the request goes out again as it was.
 */
export class UpstreamClient {
  private readonly dispatcher: Dispatcher;
  /** The one-request dispatchers of resent requests, until each has finished (closed with the client). */
  private readonly resends = new Set<Dispatcher>();
  private readonly queue: OriginQueue | undefined;
  private readonly request: UndiciPieces['request'];
  /** What every request sends unless it sets the header itself: uncompressed bodies, the backend's identity. */
  private readonly defaults: Readonly<Record<string, string>>;
  private closing: Promise<void> | undefined;

  /**
   * `label` names the backend in the queue-depth metric; `headers` go on every request that does
   * not set them (its identity); `scheduler` times the queue's waits (asyncScheduler when absent).
   */
  constructor(private readonly settings: HttpClientSettings = DEFAULT_HTTP_SETTINGS, private readonly env: NodeJS.ProcessEnv = {}, label = 'upstream', headers: Readonly<Record<string, string>> = {}, scheduler?: SchedulerLike) {
    this.defaults = { 'accept-encoding': 'identity', ...headers };
    this.dispatcher = createDispatcher(settings, env);
    watchConnectionReuse();
    this.request = loadUndici().request;
    const cap = settings.connections_per_origin;
    this.queue = cap === undefined ? undefined : new OriginQueue(cap, label, { ms: settings.queue_timeout ?? DEFAULT_QUEUE_TIMEOUT_MS, ...(scheduler ? { scheduler } : {}) });
  }

  open(req: UpstreamRequest, signal: AbortLike, hooks?: DispatchHooks): Promise<UpstreamResponse> {
    const [origin, path] = splitUrl(req.url);
    const options: Dispatcher.RequestOptions = {
      // undici takes any object with `addEventListener` as the signal (an attempt's UpstreamAbort).
      origin, path, method: req.method, headers: { ...this.defaults, ...req.headers }, signal: signal as AbortSignal,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.headersTimeout === undefined ? {} : { headersTimeout: req.headersTimeout }),
    };
    const queue = this.queue;
    if (queue === undefined) {
      hooks?.onDispatch?.();
      return this.send(options, signal).then(plainBody);
    }
    return queue.acquire(origin, signal, hooks).then((release) => this.send(options, signal).then(plainBody).then((response) => {
      // The slot is the connection's: it is free once the body ended, was drained or destroyed.
      if (response.body.destroyed) release();
      else response.body.once('close', release);
      return response;
    }, (err: unknown) => {
      release();
      throw err;
    }));
  }

  /** Sends `options` through the pool; once more on a new connection when the pool's connection was stale. */
  private send(options: Dispatcher.RequestOptions, signal: AbortLike): Promise<UpstreamResponse> {
    return this.request.call(this.dispatcher, options).catch((err: unknown) => {
      if (signal.aborted || !isStaleConnection(err)) throw err;
      // A dispatcher of its own: the pool might hand out another idle connection just as stale.
      // Closed at once, it ends its connection when this request (its body too) has finished.
      const fresh = createDispatcher(this.settings, this.env);
      this.resends.add(fresh);
      const sent = this.request.call(fresh, options);
      void fresh.close().catch(() => undefined).finally(() => this.resends.delete(fresh));
      return sent;
    });
  }

  /**
   * Closes idle connections and lets in-flight requests finish for up to `graceMs`, then
   * destroys what is left (a drained body whose upstream stalled must not hold a shutdown for
   * the whole body timeout). Idempotent.
   */
  close(graceMs = 2_000): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const all = () => [this.dispatcher, ...this.resends];
      const timer = setTimeout(() => { Promise.all(all().map((d) => d.destroy().catch(() => undefined))).then(() => resolve()); }, graceMs);
      timer.unref();
      Promise.all(all().map((d) => d.close())).then(() => { clearTimeout(timer); resolve(); }, () => { clearTimeout(timer); resolve(); });
    });
    return this.closing;
  }
}
