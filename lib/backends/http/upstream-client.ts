import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { HttpClientSettings } from '../backend.js';

/**
 * undici is loaded when the first HTTP backend is built, so a process serving only localstub
 * (the embedded default, the benchmarks' baseline) never pays its memory.
 */
let undici: typeof Undici | undefined;
const loadUndici = () => (undici ??= createRequire(import.meta.url)('undici') as typeof Undici);

/** The documented `http_client` defaults (CONTRACT section 3). */
export const DEFAULT_HTTP_SETTINGS: HttpClientSettings = Object.freeze({
  trust_environment_proxy: true,
  connect_timeout: 10_000,
  headers_timeout: 60_000,
  body_timeout: 300_000,
  connections_per_origin: 64,
});

/** One upstream HTTP request, fully encoded (the body is the JSON text). */
export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
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
 * The pooled undici dispatcher of one backend: keep-alive connections (up to
 * `connections_per_origin` per origin), the three `http_client` timeouts, and the proxy
 * environment (`HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`) unless `trust_environment_proxy` is
 * false. The environment is the one handed in, never `process.env` behind our back, so tests
 * stay hermetic.
 */
export function createDispatcher(settings: HttpClientSettings, env: NodeJS.ProcessEnv): Dispatcher {
  const options = {
    connect: { timeout: settings.connect_timeout },
    headersTimeout: settings.headers_timeout,
    bodyTimeout: settings.body_timeout,
    connections: settings.connections_per_origin,
  };
  const proxies = proxyEnvironment(env);
  const { Agent, EnvHttpProxyAgent } = loadUndici();
  if (!settings.trust_environment_proxy || (!proxies.httpProxy && !proxies.httpsProxy)) return new Agent(options);
  return new EnvHttpProxyAgent({ ...options, ...proxies });
}

/**
 * Sends upstream requests through one pooled dispatcher. `open` resolves when the response
 * headers arrive; the body is read by the caller. Aborting the signal destroys the request
 * (and its connection when the body was not finished), which is how an unsubscribe reaches the
 * upstream socket.
 */
export class UpstreamClient {
  private readonly dispatcher: Dispatcher;
  private closing: Promise<void> | undefined;

  constructor(settings: HttpClientSettings = DEFAULT_HTTP_SETTINGS, env: NodeJS.ProcessEnv = {}) {
    this.dispatcher = createDispatcher(settings, env);
  }

  open(req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    return loadUndici().request(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.headersTimeout === undefined ? {} : { headersTimeout: req.headersTimeout }),
      signal,
      dispatcher: this.dispatcher,
    });
  }

  /**
   * Closes idle connections and lets in-flight requests finish for up to `graceMs`, then
   * destroys what is left (a drained body whose upstream stalled must not hold a shutdown for
   * the whole body timeout). Idempotent.
   */
  close(graceMs = 2_000): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.dispatcher.destroy().then(resolve, resolve); }, graceMs);
      timer.unref();
      this.dispatcher.close().then(() => { clearTimeout(timer); resolve(); }, () => { clearTimeout(timer); resolve(); });
    });
    return this.closing;
  }
}
