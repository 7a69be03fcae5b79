import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Frame, Script } from './script.js';
import { writeJsonAnswer } from './json-answer.js';
import { writeEndless, writeHugeLine, type WriteProgress } from './stream-faults.js';

/** A request an emulator received, as the upstream saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET or non-JSON). */
  readonly body: any;
  readonly raw: string;
  /** The API key in this provider's header (Bearer, x-api-key, x-goog-api-key). */
  readonly key: string | undefined;
  readonly route: 'generate' | 'models' | 'count_tokens' | 'embeddings';
  readonly stream: boolean;
  /** The model from the body or the path. */
  readonly model: string | undefined;
}

/** A connection the client closed before the response was complete. */
export interface ClientClose {
  readonly path: string;
  /** `performance.now()` when the emulator saw the close. */
  readonly at: number;
  /** Body bytes written to that response before the close (counted by the hugeLine and endless faults, else 0). */
  readonly bytes: number;
}

export type RouteMatch = { readonly route: 'generate'; readonly stream?: boolean; readonly model?: string } | { readonly route: 'models' }
  | { readonly route: 'count_tokens' | 'embeddings'; readonly model?: string };

/** What differs between providers: routes, key header, wire encoding of scripts and errors. */
export interface EmulatorProtocol {
  readonly name: string;
  /** The base URL a backend row uses, relative to the origin (`/v1` for OpenAI, '' otherwise). */
  readonly basePath: string;
  match(method: string, path: string, query: URLSearchParams): RouteMatch | undefined;
  keyOf(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined;
  frames(script: Script, request: RecordedRequest): Frame[];
  /**
   * What the frames of one script depend on in a request (model, usage option); when given, the
   * encoded frames are cached per script object, so a fixed script costs no encoding (benchmarks).
   */
  frameKey?(request: RecordedRequest): string;
  json(script: Script, request: RecordedRequest): unknown;
  errorBody(status: number, error: { message: string; type?: string; code?: string; param?: string; fields?: Readonly<Record<string, unknown>> }): unknown;
  /** Extra headers of an error answer (Bedrock's `x-amzn-errortype`). */
  errorHeaders?(status: number, error: { message: string; type?: string; code?: string }): Record<string, string>;
  /** `Content-Type` of a streamed answer (SSE when absent). */
  readonly streamContentType?: string;
  /** A binary stream's frame that fails its checks, for the `malformedAt` fault (SSE: a non-JSON line). */
  readonly malformedFrame?: Uint8Array;
  /** Write binary streams in slices of this many bytes, so that frames straddle chunks. */
  readonly sliceBytes?: number;
  /**
   * Checks a request before it is answered, as the real service does (a SigV4 signature):
   * an error to answer with, or undefined to go on.
   */
  verify?(request: RecordedRequest): Promise<{ status: number; error: { message: string; type?: string } } | undefined>;
  modelList(models: readonly string[]): unknown;
  /**
   * The provider's token-count endpoint: the fields its body may have (others are refused with a
   * 400, as the real services refuse them) and its answer for a count.
   */
  readonly count?: { readonly fields: readonly string[]; answer(tokens: number): unknown };
  /**
   * The provider's embeddings endpoint: the fields its body may have (others are refused with a
   * 400), for every request or per request (Bedrock: per model family), and its answer, with
   * deterministic vectors (script.ts `emulatedEmbedding`).
   */
  readonly embeddings?: {
    readonly fields: readonly string[] | ((request: RecordedRequest) => readonly string[]);
    answer(request: RecordedRequest, script: Script): unknown;
  };
  /**
   * With the emulator's `checkState` on: the refusal the real provider gives a generation whose
   * history drops or alters opaque state this emulator issued (`issued`: the scripts it answered),
   * or undefined to go on. See state-check.ts.
   */
  stateRefusal?(request: RecordedRequest, issued: readonly Script[]): { status: number; error: { message: string; type?: string; code?: string } } | undefined;
  /**
   * What the real service refuses in any generation, whatever the test (a tool name or a tool
   * call id outside its rules, wire-identifiers.ts; a combination of fields Anthropic refuses,
   * anthropic-rules.ts): the refusal, or undefined to go on.
   */
  refuse?(request: RecordedRequest): { status: number; error: { message: string; type?: string; code?: string; param?: string } } | undefined;
}

export interface Emulator {
  /** The base URL for a backend row (`http://127.0.0.1:PORT/v1` for OpenAI kinds). */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /**
   * lip's resends of requests this emulator reset before any byte of the answer on a connection
   * that had carried a request before: lip cannot tell that from an idle keep-alive connection
   * the upstream closed just then, and sends such a request once more on a new connection
   * (UpstreamClient). The resend is reset the same way (the scripted fault is the request's,
   * whichever connection carries it) and kept here, not in `requests`: a spec counts what lip
   * asked for, one call per attempt.
   */
  readonly resends: RecordedRequest[];
  readonly closes: ClientClose[];
  /** Responses begun and not yet over (ended, or closed by the client): an upstream call lip has not let go of. */
  readonly openResponses: number;
  /** The models `GET .../models` lists. */
  models: string[];
  /** Answers every request when set (dynamic scripts: per key, per model, ...). */
  handler: ((request: RecordedRequest) => Script) | undefined;
  /** The answer when the queue is empty and no handler is set. */
  defaultScript: Script;
  /**
   * Opt-in: remember the opaque state every answer hands out (signatures, encrypted reasoning)
   * and refuse a later request that drops or alters it, as the provider does. Off after reset().
   */
  checkState: boolean;
  /** The scripts answered while `checkState` was on. */
  readonly issued: Script[];
  /** Queues answers for the next requests, in order. */
  enqueue(...scripts: Script[]): void;
  /** Resolves with the next client close mid-response. */
  nextClose(): Promise<ClientClose>;
  /** Forgets recorded requests, closes and queued scripts. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts an emulated upstream on 127.0.0.1, port 0. It records every request, answers from
 * scripts in the protocol's exact wire format, reports client closes, and applies faults.
 * @see spec/helpers/emulators/emulators.spec.ts
 */
export async function startEmulator(protocol: EmulatorProtocol): Promise<Emulator> {
  const queue: Script[] = [];
  const frameCache = new WeakMap<Script, Map<string, Frame[]>>();
  const framesOf = (script: Script, request: RecordedRequest): Frame[] => {
    if (!protocol.frameKey) return protocol.frames(script, request);
    const key = protocol.frameKey(request);
    let byKey = frameCache.get(script);
    if (!byKey) frameCache.set(script, (byKey = new Map()));
    let frames = byKey.get(key);
    if (!frames) byKey.set(key, (frames = protocol.frames(script, request)));
    return frames;
  };
  const waiters: ((close: ClientClose) => void)[] = [];
  const sockets = new Set<Socket>();
  /** Sockets that have carried a request. */
  const carried = new WeakSet<Socket>();
  /** What was sent (method, path, headers, body) of each request reset before its answer on a reused connection: lip resends it once. */
  const resetOnReused = new Set<string>();
  /** The same key for a request that came on a reused connection (undefined: a fresh one). */
  const reusedKey = new WeakMap<ServerResponse, string>();
  const sentKey = (req: IncomingMessage, raw: string) => JSON.stringify([req.method, req.url, req.rawHeaders, raw]);
  /** Resets `res`'s connection before any byte of the answer (and remembers it when lip will resend it). */
  const resetBeforeAnswer = (res: ServerResponse) => {
    const key = reusedKey.get(res);
    if (key !== undefined) resetOnReused.add(key);
    res.socket?.resetAndDestroy();
  };
  const timers = new Set<NodeJS.Timeout>();
  const emulator = {
    url: '', origin: '', port: 0,
    requests: [] as RecordedRequest[],
    resends: [] as RecordedRequest[],
    closes: [] as ClientClose[],
    openResponses: 0,
    models: ['model-a', 'model-b'],
    handler: undefined as ((request: RecordedRequest) => Script) | undefined,
    defaultScript: { text: 'Hello from the emulator.', usage: { input: 5, output: 4 } } as Script,
    checkState: false,
    issued: [] as Script[],
    enqueue(...scripts: Script[]) { queue.push(...scripts); },
    nextClose() { return new Promise<ClientClose>((resolve) => waiters.push(resolve)); },
    reset() { queue.length = 0; emulator.requests.length = 0; emulator.resends.length = 0; emulator.closes.length = 0; emulator.issued.length = 0; emulator.checkState = false; resetOnReused.clear(); },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { raw += c; });
    req.on('end', () => serve(req, res, raw));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
  };

  function serve(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const match = protocol.match(req.method ?? 'GET', url.pathname, url.searchParams);
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(protocol.errorBody(404, { message: `no route ${req.method} ${url.pathname}`, type: 'not_found_error' })));
      return;
    }
    let body: any;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = undefined; }
    const stream = match.route === 'generate' && (match.stream ?? body?.stream === true);
    const model = match.route === 'models' ? undefined : (match.model ?? body?.model);
    const request: RecordedRequest = {
      method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, raw,
      key: protocol.keyOf(req.headers, url.searchParams), route: match.route, stream, model,
    };
    const reused = carried.has(req.socket);
    carried.add(req.socket);
    const key = sentKey(req, raw);
    if (!reused && resetOnReused.delete(key)) {
      // lip's one resend of a request reset on a reused connection: the same fault again.
      emulator.resends.push(request);
      return void res.socket?.resetAndDestroy();
    }
    if (reused) reusedKey.set(res, key);
    emulator.requests.push(request);
    if (protocol.verify) {
      void protocol.verify(request).then((refusal) => {
        if (!refusal) return serveMatched(req, res, url, match, request);
        if (res.destroyed) return;
        res.writeHead(refusal.status, { 'content-type': 'application/json', ...protocol.errorHeaders?.(refusal.status, refusal.error) }).end(JSON.stringify(protocol.errorBody(refusal.status, refusal.error)));
      }, () => res.destroy());
      return;
    }
    serveMatched(req, res, url, match, request);
  }

  function serveMatched(req: IncomingMessage, res: ServerResponse, url: URL, match: RouteMatch, request: RecordedRequest): void {
    const progress: WriteProgress = { bytes: 0 };
    emulator.openResponses++;
    res.on('close', () => {
      emulator.openResponses--;
      if (res.writableEnded) return;
      const close = { path: url.pathname, at: performance.now(), bytes: progress.bytes };
      emulator.closes.push(close);
      for (const w of waiters.splice(0)) w(close);
    });
    if (match.route === 'models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(protocol.modelList(emulator.models)));
      return;
    }
    const refused = match.route === 'generate' ? protocol.refuse?.(request) : undefined;
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'application/json', ...protocol.errorHeaders?.(refused.status, refused.error) }).end(JSON.stringify(protocol.errorBody(refused.status, refused.error)));
      return;
    }
    if (match.route === 'generate' && emulator.checkState) {
      const refusal = protocol.stateRefusal?.(request, emulator.issued);
      if (refusal) {
        res.writeHead(refusal.status, { 'content-type': 'application/json', ...protocol.errorHeaders?.(refusal.status, refusal.error) }).end(JSON.stringify(protocol.errorBody(refusal.status, refusal.error)));
        return;
      }
    }
    const script = emulator.handler?.(request) ?? queue.shift() ?? emulator.defaultScript;
    if (match.route === 'generate' && emulator.checkState) emulator.issued.push(script);
    if (match.route === 'count_tokens') return unary(script, request, res, protocol.count!.fields, () => protocol.count!.answer(script.usage?.input ?? 42));
    if (match.route === 'embeddings') {
      const { fields, answer: embed } = protocol.embeddings!;
      return unary(script, request, res, typeof fields === 'function' ? fields(request) : fields, () => embed(request, script));
    }
    answer(script, request, res, progress);
  }

  /**
   * A call answered with one JSON body (token counts, embeddings): a field the endpoint does not
   * take is a 400, a script's error status, a stall or a reset fault apply (a reset of any kind
   * before the body: there is no output to break after), else `body()` is the answer.
   */
  function unary(script: Script, request: RecordedRequest, res: ServerResponse, fields: readonly string[], body: () => unknown): void {
    if (script.fault?.stall !== undefined) return;
    if (script.fault?.reset !== undefined) return resetBeforeAnswer(res);
    const extra = Object.keys(request.body ?? {}).find((field) => !fields.includes(field));
    const refusal = extra !== undefined ? { status: 400, error: { message: `${extra}: Extra inputs are not permitted` } }
      : script.status !== undefined && script.status >= 300 ? { status: script.status, error: script.error ?? { message: `emulated status ${script.status}` } } : undefined;
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...protocol.errorHeaders?.(refusal.status, refusal.error) }).end(JSON.stringify(protocol.errorBody(refusal.status, refusal.error)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...(script.headers ?? {}) }).end(JSON.stringify(body()));
  }

  function answer(script: Script, request: RecordedRequest, res: ServerResponse, progress: WriteProgress): void {
    const fault = script.fault ?? {};
    if (fault.reset === 'before_first_byte') return resetBeforeAnswer(res);
    if (fault.stall === 'before_headers') return;
    const headers = { ...(script.headers ?? {}) };
    if (script.status !== undefined && (script.status < 200 || script.status >= 300)) {
      const error = script.error ?? { message: `emulated status ${script.status}` };
      res.writeHead(script.status, { 'content-type': 'application/json', ...protocol.errorHeaders?.(script.status, error), ...headers }).end(JSON.stringify(protocol.errorBody(script.status, error)));
      return;
    }
    if (!request.stream) return writeJsonAnswer(res, protocol.json(script, request), headers, fault, script.dripMs ?? 0, later);
    const encoded: Frame[] = script.rawFrames ? script.rawFrames.map((text) => ({ text, output: true })) : framesOf(script, request);
    let frames: (string | Uint8Array)[] = encoded.map((f) => f.bytes ?? f.text);
    const firstOutput = Math.max(0, encoded.findIndex((f) => f.output));
    if (fault.malformedAt !== undefined && fault.malformedAt < frames.length) frames[fault.malformedAt] = protocol.malformedFrame ?? 'data: {"broken": \n\n';
    let stopAt = frames.length;
    let after: 'end' | 'reset' | 'stall' = 'end';
    if (typeof fault.reset === 'number') { stopAt = fault.reset; after = 'reset'; }
    if (fault.reset === 'after_output') { stopAt = firstOutput + 1; after = 'reset'; }
    if (fault.stall === 'before_first_token') { stopAt = firstOutput; after = 'stall'; }
    if (fault.stall === 'after_output') { stopAt = firstOutput + 1; after = 'stall'; }
    if (typeof fault.stall === 'number') { stopAt = fault.stall; after = 'stall'; }
    if (fault.endAt !== undefined) { stopAt = fault.endAt; after = 'end'; }
    if (fault.endMidFrame !== undefined) {
      stopAt = fault.endMidFrame === 'first_output' ? firstOutput + 1 : firstOutput + 2;
      const cut = frames[stopAt - 1]!;
      frames[stopAt - 1] = cut.slice(0, Math.floor(cut.length / 2));
    }
    frames = frames.slice(0, stopAt);

    res.writeHead(200, { 'content-type': protocol.streamContentType ?? 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    const text = frames as string[]; // the hugeLine and endless faults are SSE-only
    if (fault.hugeLine) {
      const split = fault.hugeLine.afterOutput ? firstOutput + 1 : firstOutput;
      void writeHugeLine(res, progress, text.slice(0, split), fault.hugeLine.bytes, fault.hugeLine.terminated ?? true, text.slice(split));
      return;
    }
    if (fault.endless) {
      void writeEndless(res, progress, text.slice(0, firstOutput), text[firstOutput] ?? encoded[firstOutput]!.text);
      return;
    }
    if (fault.reset === 'after_first_byte') {
      const first = frames[0] ?? 'data: {';
      res.write(first.slice(0, Math.max(1, Math.floor(first.length / 2))), () => res.socket?.resetAndDestroy());
      return;
    }
    const write = (batch: (string | Uint8Array)[]) => {
      if (typeof batch[0] === 'string') return void res.write(batch.join(''));
      const bytes = Buffer.concat(batch as Uint8Array[]);
      const slice = protocol.sliceBytes ?? bytes.length;
      for (let at = 0; at < bytes.length; at += slice) res.write(bytes.subarray(at, at + slice));
    };
    const finish = () => {
      if (after === 'reset') res.write('', () => res.socket?.resetAndDestroy());
      else if (after === 'end') res.end();
      else res.flushHeaders(); // stall: keep the connection open
    };
    const drip = script.dripMs ?? 0;
    if (drip <= 0) {
      if (frames.length > 0) write(frames);
      return finish();
    }
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i >= frames.length) return finish();
      write([frames[i++]!]);
      later(drip, next);
    };
    next();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  emulator.port = port;
  emulator.origin = `http://127.0.0.1:${port}`;
  emulator.url = `${emulator.origin}${protocol.basePath}`;
  return emulator;
}

/** `Authorization: Bearer KEY` -> KEY. */
export function bearerKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/** An SSE frame: `event: NAME` (when given) and one `data:` line. */
export function sse(data: unknown, event?: string): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${text}\n\n` : `event: ${event}\ndata: ${text}\n\n`;
}
