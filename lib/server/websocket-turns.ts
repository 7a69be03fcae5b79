import { Agent, request, STATUS_CODES, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/index.js';
import { LipError, reportInternalError, toLipError } from '../errors/index.js';
import type { Frontend, WebSocketMode, WebSocketSession, WebSocketTurn } from '../frontends/protocol.js';
import { SseParser } from '../wire/index.js';
import type { DecodeAdmission } from './decode-admission.js';
import { PendingMessage, type PendingRefusal } from './websocket-pending-message.js';

/**
 * Request headers of the upgrade that a turn's request does not repeat: hop-by-hop, the
 * handshake's, and those describing a body or its sending (`Content-Encoding`, `Expect`, ...):
 * the upgrade's, never the JSON lip writes for a turn (with them a turn was a 400 or an empty 417).
 */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  'connection', 'upgrade', 'host', 'origin', 'content-length', 'content-type', 'content-encoding', 'content-language', 'expect',
  'transfer-encoding', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'accept-encoding', 'x-request-id', 'sec-websocket-key',
  'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept', 'x-lip-websocket-turn',
]);
/**
 * The header a turn's request carries with the process's turn secret: any local process may
 * connect to the loopback listener, and only lip's own turns skip the ingress check and are
 * held to `max_inflight_decode_bytes` (WebSocketTurns.carries).
 */
const TURN_HEADER = 'x-lip-websocket-turn';
/**
 * The session headers a turn's answer carries and the next turn sends back (one conversation per
 * connection): both or neither. A turn that joined a stored response's conversation through
 * `previous_response_id` is answered with its session id but no token, and a session id sent
 * alone is refused (`LIP_ERR_SESSION_TOKEN_REQUIRED`).
 */
const SESSION_HEADERS = ['x-lip-session-id', 'x-lip-resume-token'] as const;
/**
 * The refusals of a session that is gone (evicted, expired, a store replaced by a reload): a turn
 * that carried only the session lip itself carried over from an earlier turn runs again without it.
 */
const SESSION_GONE: ReadonlySet<unknown> = new Set(['LIP_ERR_SESSION_DENIED', 'LIP_ERR_SESSION_EXPIRED']);
/** The most of a refused turn's error answer read. */
const MAX_ERROR_BYTES = 64 * 1024;
/** What waits for a binary message's turn: its answer (one error for all, its bytes not kept). */
const BINARY_MESSAGE = new LipError('LIP_ERR_REQUEST_INVALID', 'messages are JSON text; a binary message is not one');
/** What waits for the turn of a message that came, or was waiting, when shutdown began. */
const SHUTTING_DOWN = new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down');

let wsModule: { WebSocketServer: typeof WebSocketServer } | undefined;
/** `ws`, loaded with the first upgrade (a lip without WebSocket clients never pays for it). */
const loadWs = () => (wsModule ??= createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WebSocketServer });

export interface WebSocketTurnsOptions {
  /** The server whose handler answers the turns (each runs as one of its requests). */
  readonly http: Server;
  readonly config: () => Config;
  /** The server's decode admission: the bytes of messages still arriving are held against its byte budget. */
  readonly admission: DecodeAdmission;
  /** Headers every answer carries (the 101 included: `Server`). */
  readonly identity: () => readonly (readonly [string, string])[];
  readonly logger: { debug(message: string, meta?: Record<string, unknown>): unknown; warn(message: string, meta?: Record<string, unknown>): unknown };
}

/**
 * A protocol's WebSocket mode over lip's HTTP pipeline (docs/frontends/openai-responses.md,
 * "WebSocket mode"): each accepted connection runs its turns one after the other, each as a
 * streamed request of the route, through the same server: authentication, key limits, routing,
 * failover, the continuity store, recording, metrics and the access log apply to a turn exactly
 * as to an HTTP request. The requests go through an in-process listener on the loopback
 * interface (started with the first connection) whose connections the HTTP server itself
 * handles, so turns stay in this process and keep working while a draining server's public
 * listener is closed. A turn's events come back as SSE and leave as one WebSocket message each.
 *
 * Cancellation: a client that closes its connection (or stops answering pings) aborts the running
 * turn's request, which aborts its upstream attempt. Backpressure: while more than
 * `server.max_buffered_bytes` wait unsent to the client, the turn's stream is not read, so the
 * upstream pauses as for a slow HTTP client, and neither is the client's socket read nor its next
 * message answered (a client that writes without reading holds no more than that); while the
 * mode's `maxQueuedTurns` messages, or `server.max_request_body_bytes` of them, wait behind the
 * running turn, its socket is not read either (TCP pushes back on the client).
 * A message still arriving is followed from its first byte (PendingMessage): past
 * `server.max_request_body_bytes` it closes the connection (1009) at once; its bytes are held
 * against `server.max_inflight_decode_bytes` with the request bodies being read (1013 beyond);
 * arriving for longer than `server.read_timeout` it closes the connection (1008).
 * Every message is answered in the order sent, a refused one too (its error waits for its turn).
 * A connection older than `server.websocket_max_age`
 * takes no new turn (`LIP_ERR_SERVER_CONNECTION_EXPIRED`) and is closed.
 * @see spec/e2e/responses-websocket.spec.ts
 */
export class WebSocketTurns {
  private wss: WebSocketServer | undefined;
  private loopback: Promise<number> | undefined;
  private listener: NetServer | undefined;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly connections = new Set<Connection>();
  /** The connections the loopback listener accepted (any local process may open one). */
  private readonly loopbackSockets = new WeakSet<object>();
  /** What a turn's request sends in TURN_HEADER (never leaves this process). */
  private readonly secret = randomBytes(32);
  private closing = false;

  constructor(private readonly options: WebSocketTurnsOptions) {}

  /**
   * Whether a request is a turn of an accepted WebSocket: it arrived on the loopback listener
   * with the turn secret. The header is taken off the request either way.
   */
  carries(req: IncomingMessage): boolean {
    const sent = req.headers[TURN_HEADER];
    if (sent === undefined) return false;
    delete req.headers[TURN_HEADER];
    if (typeof sent !== 'string' || !this.loopbackSockets.has(req.socket)) return false;
    const bytes = Buffer.from(sent, 'base64url');
    return bytes.length === this.secret.length && timingSafeEqual(bytes, this.secret);
  }

  /** Connections open now. */
  get size(): number {
    return this.connections.size;
  }

  /** What each open connection holds for its client (the specs', and a debugger's, view). */
  held(): ConnectionHeld[] {
    return [...this.connections].map((c) => c.held());
  }

  /** Completes the handshake of an upgrade already admitted (authenticated, allowed) for `route` at `path`. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, frontend: Frontend, mode: WebSocketMode): void {
    const wss = this.server();
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closing) {
        ws.close(1001, 'server shutting down');
        return;
      }
      const connection = new Connection(ws, req.headers, path, frontend, mode.session(), mode.maxQueuedTurns, this.options, { port: () => this.port(), agent: this.agent, secret: this.secret.toString('base64url') });
      this.connections.add(connection);
      this.options.logger.debug('websocket connected', { path, frontend: frontend.id, connections: this.connections.size });
      ws.once('close', (code) => {
        this.connections.delete(connection);
        this.options.logger.debug('websocket closed', { path, code, turns: connection.turns });
      });
    });
  }

  /**
   * Shutdown: no new turn starts; idle connections close at once (1001), the others after the
   * turn they run (whose request the server's own shutdown lets finish or ends); `deadline`
   * closes whatever is left. Then the loopback listener and its connections.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = [...this.connections].map((c) => c.shutdown());
    const timer = setTimeout(() => { for (const c of this.connections) c.terminate(); }, graceMs);
    timer.unref();
    await Promise.all(closed);
    clearTimeout(timer);
    this.agent.destroy();
    const listener = this.listener;
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  private server(): WebSocketServer {
    if (this.wss) return this.wss;
    const { WebSocketServer: Wss } = loadWs();
    // Made once: its bound is max_inflight_decode_bytes (restart only, at least any
    // max_request_body_bytes a reload may set); each message is held to the running limit as it
    // arrives (Connection's PendingMessage) and once whole (Connection.message()).
    const wss = new Wss({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: this.options.config().server.max_inflight_decode_bytes });
    wss.on('headers', (headers) => { for (const [name, value] of this.options.identity()) headers.push(`${name}: ${value}`); });
    return (this.wss = wss);
  }

  /** The port of the loopback listener whose connections the HTTP server handles (started once). */
  private port(): Promise<number> {
    this.loopback ??= new Promise<number>((resolve, reject) => {
      // noDelay as node:http's own listener sets it: small SSE writes must not wait for Nagle's algorithm.
      const listener = createNetServer({ noDelay: true }, (socket) => {
        this.loopbackSockets.add(socket);
        this.options.http.emit('connection', socket);
      });
      this.listener = listener;
      listener.once('error', (err) => {
        // A listener that could not start is tried again by the next turn (not failed for good).
        this.loopback = undefined;
        this.listener = undefined;
        reject(err);
      });
      // exclusive: a worker of `lip serve --workers` keeps its own port (its turns stay in it).
      listener.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve((listener.address() as AddressInfo).port));
    });
    return this.loopback;
  }
}

/** What a connection holds: its answers unsent, its messages waiting, whether it reads its client. */
export interface ConnectionHeld {
  /** Characters of messages written to the client and not yet flushed to its socket. */
  readonly unsent: number;
  /** Messages waiting behind the running turn (refused ones too, until their answer is sent). */
  readonly waiting: number;
  /** Characters of the turns waiting. */
  readonly waitingSize: number;
  /** Bytes of the message arriving (read, not yet whole). */
  readonly arriving: number;
  /** Whether lip reads the client's socket (false: it lets TCP push back). */
  readonly reading: boolean;
}

/** One client connection: its turns in order, the running one's request, the session's state. */
class Connection {
  /** Turns started so far (for the log; a turn run again for a lost session counts once). */
  turns = 0;
  /** The messages waiting, in order: a turn's text, or a refused message's error (answered when its turn comes). */
  private readonly queue: (string | LipError)[] = [];
  /** Characters of the turns in `queue`: held to max_request_body_bytes (flow()). */
  private queuedSize = 0;
  /** The running turn (its request once sent); undefined when none runs. */
  private running: { request?: ClientRequest } | undefined;
  private readonly opened = Date.now();
  private readonly forwarded: Record<string, string> = {};
  /** The client's upgrade sent session headers of its own (its session's refusal is its to handle). */
  private readonly ownSession: boolean;
  private alive = true;
  private readonly pinger: NodeJS.Timeout | undefined;
  private closed = false;
  private finishing: (() => void) | undefined;
  private unsent = 0;
  private paused: IncomingMessage | undefined;
  /** The client's socket is not read (ws.pause()): see flow(). */
  private readPaused = false;
  /** More than max_buffered_bytes wait unsent (until half of it is left): the client does not read. */
  private backlogged = false;
  /** The message the client is sending, until ws has it whole. */
  private readonly pending: PendingMessage;
  /** The client's socket (undefined: none, as for a test's Duplex) and ws's readers of it. */
  private readonly socket: Duplex | undefined;
  private readonly parsers: readonly ((...args: unknown[]) => void)[];
  /** Closed for a message lip would not take (giveUp()): the socket is read only to be dropped. */
  private abandoned = false;

  constructor(
    private readonly ws: WebSocket,
    headers: IncomingHttpHeaders,
    private readonly path: string,
    private readonly frontend: Frontend,
    private readonly session: WebSocketSession,
    private readonly maxQueued: number,
    private readonly options: WebSocketTurnsOptions,
    /** Where turns are sent: the loopback listener's port, through one keep-alive agent, with the turn secret. */
    private readonly loopback: { port(): Promise<number>; readonly agent: Agent; readonly secret: string },
  ) {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || NOT_FORWARDED.has(name)) continue;
      this.forwarded[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.ownSession = SESSION_HEADERS.some((name) => headers[name] !== undefined);
    this.pending = new PendingMessage({
      limits: () => {
        const { server } = options.config();
        return { maxBytes: server.max_request_body_bytes, timeoutMs: server.read_timeout };
      },
      admission: options.admission,
      refuse: (refusal) => this.giveUp(refusal),
      scheduler: asyncScheduler,
    });
    // Each read of the socket is seen before ws parses it (and buffers a message's fragments).
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
    this.parsers = (this.socket?.listeners('data') ?? []) as ((...args: unknown[]) => void)[];
    this.socket?.prependListener('data', this.arrived);
    ws.on('message', (data, isBinary) => this.message(data, isBinary));
    ws.on('pong', () => { this.alive = true; });
    ws.on('error', () => undefined); // a broken socket closes; 'close' cleans up
    ws.once('close', () => this.gone());
    const every = options.config().server.keepalive_interval;
    if (every > 0) {
      // A peer that stops answering pings (a half-open connection) is dropped, and its turn aborted.
      this.pinger = setInterval(() => {
        // Its pong waits unread while lip does not read the socket for the turns waiting (flow()
        // counts it alive on reading again); a client that does not read what it is sent is not spared.
        if (!this.alive && (!this.readPaused || this.backlogged)) return this.terminate();
        this.alive = false;
        ws.ping();
      }, every);
      this.pinger.unref();
    }
  }

  /**
   * Shutdown: no turn starts any more; each message waiting, and each one sent from now on, is
   * answered in its place with LIP_ERR_SERVER_SHUTTING_DOWN (after the running turn's events),
   * then the connection closes (at once when idle); resolves when closed.
   */
  shutdown(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    for (let i = 0; i < this.queue.length; i++) if (!(this.queue[i] instanceof LipError)) this.queue[i] = SHUTTING_DOWN;
    this.queuedSize = 0;
    this.finishing = () => this.ws.close(1001, 'server shutting down');
    this.next();
    return done;
  }

  terminate(): void {
    this.ws.terminate();
  }

  held(): ConnectionHeld {
    return { unsent: this.unsent, waiting: this.queue.length, waitingSize: this.queuedSize, reading: !this.readPaused, arriving: this.pending.bytes };
  }

  /**
   * Closes the connection for a message lip will not take (too big, no room for it, too slow),
   * as ws does for a message past its own bound: ws parses nothing more (what the client still
   * sends is read and dropped, so its closing handshake's end is seen), and the close frame says why.
   */
  private giveUp(refusal: PendingRefusal): void {
    if (this.closed || this.abandoned || this.ws.readyState !== 1) return;
    this.abandoned = true;
    this.pending.close();
    this.options.logger.debug('websocket message refused', { path: this.path, code: refusal.code, reason: refusal.reason });
    const socket = this.socket;
    if (socket) {
      for (const parser of [...this.parsers, this.arrived]) socket.removeListener('data', parser);
      socket.on('data', () => undefined);
      socket.resume();
    }
    this.ws.close(refusal.code, refusal.reason);
  }

  /** Each read of the client's socket, before ws parses it. */
  private readonly arrived = (chunk: Buffer): void => this.pending.read(chunk);

  private message(data: unknown, isBinary: boolean): void {
    if (this.closed || this.ws.readyState !== 1) return;
    if (messageBytes(data) > this.options.config().server.max_request_body_bytes) {
      // Past the running config's limit (reloadable); one arriving is closed for it sooner (PendingMessage).
      this.giveUp({ code: 1009, reason: 'message too big' });
      return;
    }
    // Past maxQueued, only what the socket's last read held (flow() stopped reading it).
    if (this.finishing) this.queue.push(SHUTTING_DOWN);
    else if (isBinary) this.queue.push(BINARY_MESSAGE);
    else {
      const text = String(data);
      this.queuedSize += text.length;
      this.queue.push(text);
    }
    this.next();
  }

  /**
   * Starts the next turn when none runs, and answers the refused messages before it; nothing
   * while more than `max_buffered_bytes` wait unsent (send() calls it again once they drain).
   */
  private next(): void {
    while (this.running === undefined && !this.closed && this.queue.length > 0 && !this.backlogged) {
      const text = this.queue.shift()!;
      if (text instanceof LipError) {
        this.refuse(text);
        continue;
      }
      this.queuedSize -= text.length;
      const maxAge = this.options.config().server.websocket_max_age;
      if (Date.now() - this.opened >= maxAge) {
        // This turn and every one waiting behind it are answered before the close.
        const expired = new LipError('LIP_ERR_SERVER_CONNECTION_EXPIRED', `this connection is older than server.websocket_max_age (${maxAge} ms) and takes no new turn; reconnect`);
        this.refuse(expired);
        this.refuseQueued(expired);
        this.ws.close(1000, 'connection age limit reached');
        this.closed = true;
        return;
      }
      let turn: WebSocketTurn;
      try {
        turn = this.session.turn(text);
      } catch (err) {
        this.refuse(reportInternalError('websocket.turn', err));
        continue;
      }
      if ('error' in turn) this.refuse(turn.error);
      else if ('answer' in turn) for (const message of turn.answer) this.send(message);
      else {
        this.turns++;
        this.start(turn);
      }
    }
    if (this.running === undefined && this.queue.length === 0 && this.finishing) this.finishing();
    this.flow();
  }

  /**
   * Reads the client's socket or not: not while `maxQueued` messages, or max_request_body_bytes
   * of turns, wait behind the running turn (TCP pushes back on a client that sends more; decode
   * admission bounds a turn once it runs, not while it waits), again once one started; nor while the
   * client is backlogged (send()), so one that writes without reading stops being read rather than
   * lip holding an answer to each of its messages.
   */
  private flow(): void {
    if (this.closed || this.abandoned) return;
    const hold = this.queue.length >= this.maxQueued || this.queuedSize >= this.options.config().server.max_request_body_bytes || this.backlogged;
    // A message arriving is not timed while lip holds it up for the turns waiting; it is while
    // the client does (it does not read its answers).
    this.pending.suspend(hold && !this.backlogged);
    if (hold === this.readPaused) return;
    this.readPaused = hold;
    if (hold) return this.ws.pause();
    // Its pongs were not read either: it has a whole interval to answer the next ping.
    this.alive = true;
    this.ws.resume();
  }

  /** Runs a turn; one that cannot be started is refused (runFailed). */
  private start(turn: Extract<WebSocketTurn, { body: unknown }>): void {
    this.run(turn).catch((err: unknown) => this.runFailed(turn, err));
  }

  /** One turn as a streamed request of the route, through the loopback listener. */
  private async run(turn: Extract<WebSocketTurn, { body: unknown }>): Promise<void> {
    // Running from here (no other turn starts): a throw before the request is runFailed's.
    const running: { request?: ClientRequest } = {};
    this.running = running;
    const body = JSON.stringify(turn.body);
    let port: number;
    try {
      port = await this.loopback.port();
    } catch (err) {
      this.running = undefined;
      turn.failed();
      this.refuse(reportInternalError('websocket.loopback', err));
      return this.next();
    }
    if (this.closed) return turn.failed();
    // The session lip carried over from an earlier turn, not one the client named.
    const carried = !this.ownSession && SESSION_HEADERS.some((name) => name in this.forwarded);
    // An id of its own (the upgrade's X-Request-Id is not forwarded; without one the server would
    // name every turn after the upgrade's X-Trace-Id, which each still carries).
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: this.path, agent: this.loopback.agent,
      headers: { ...this.forwarded, 'x-request-id': randomUUID(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [TURN_HEADER]: this.loopback.secret },
    });
    running.request = req;
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      if (!ok) turn.failed();
      if (this.running === running) this.running = undefined;
      this.paused = undefined;
      this.next();
    };
    req.on('response', (res) => {
      if (SESSION_HEADERS.every((name) => typeof res.headers[name] === 'string')) {
        for (const name of SESSION_HEADERS) this.forwarded[name] = res.headers[name] as string;
      }
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        return this.refused(res, (envelope) => {
          if (carried && envelope !== undefined && SESSION_GONE.has(errorCode(envelope))) {
            // The connection's session is gone: the turn (refused at admission, nothing sent for
            // it) runs again once, as the first of a new session, and so do the turns after it.
            for (const name of SESSION_HEADERS) delete this.forwarded[name];
            finished = true;
            if (this.running === running) this.running = undefined;
            return this.start(turn);
          }
          if (envelope !== undefined) this.send(this.session.errorMessage(res.statusCode ?? 500, envelope));
          finish(false);
        });
      }
      // The stream is lip's own: what one event holds (`response.completed` repeats the whole
      // output) is bounded where it is encoded (lib/wire/held-output.ts), not by a line limit.
      const parser = new SseParser({ maxLineBytes: Number.POSITIVE_INFINITY });
      // The events of one chunk leave in one write (ws writes each message at once otherwise).
      const socket = (this.ws as unknown as { _socket?: Duplex })._socket;
      let broken = false;
      res.on('data', (chunk: string) => {
        if (broken) return;
        socket?.cork();
        try {
          for (const m of parser.push(chunk)) if (m.data !== '') this.send(turn.event(m.event, m.data), res);
        } catch (err) {
          // The turn cannot go on: the client is told (an error message ends its turn) and it is logged.
          broken = true;
          const lip = reportInternalError('websocket.event', err);
          this.options.logger.warn('websocket turn cut short', { path: this.path, request_id: res.headers['x-request-id'], code: lip.code, error: lip.message });
          this.refuse(lip);
          req.destroy();
        } finally {
          socket?.uncork();
        }
      });
      res.once('end', () => finish(true));
      res.once('close', () => finish(res.complete));
    });
    req.once('error', (err) => {
      if (!this.closed) this.refuse(new LipError('LIP_ERR_SERVER_INTERNAL', `the turn could not be run: ${err.message}`));
      finish(false);
    });
    req.end(body);
  }

  /** A turn that could not be started (its body not serialised, its request not made): refused, and the next one runs. */
  private runFailed(turn: Extract<WebSocketTurn, { body: unknown }>, err: unknown): void {
    this.running = undefined;
    turn.failed();
    if (!this.closed) this.refuse(reportInternalError('websocket.run', err));
    this.next();
  }

  /**
   * A turn the server refused before its stream: its error answer's envelope (undefined: cut
   * short). An answer that is not an error envelope with a message and a code (an empty 417 of
   * Node's own, a text body) is made the protocol's error naming its status, with that status.
   */
  private refused(res: IncomingMessage, done: (envelope: unknown) => void): void {
    let text = '';
    res.on('data', (chunk: string) => { if (text.length < MAX_ERROR_BYTES) text += chunk; });
    res.once('end', () => {
      let envelope: unknown;
      try {
        envelope = JSON.parse(text);
      } catch {
        envelope = undefined;
      }
      if (isErrorEnvelope(envelope)) return done(envelope);
      const status = res.statusCode ?? 500;
      const excerpt = text.trim().slice(0, 1_000);
      const why = `the turn's request was refused: HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() + (excerpt === '' ? '' : `: ${excerpt}`);
      done(this.frontend.encodeError(new LipError(status >= 500 ? 'LIP_ERR_SERVER_INTERNAL' : 'LIP_ERR_REQUEST_INVALID', why, { status })).body);
    });
    res.once('close', () => { if (!res.complete) done(undefined); });
  }

  /** Answers a turn (or a message) with the protocol's error message; the connection stays open. */
  private refuse(err: LipError): void {
    const response = this.frontend.encodeError(toLipError(err));
    this.send(this.session.errorMessage(response.status, response.body));
  }

  /** Answers every message waiting: a refused one with its own error, a turn with `err`. */
  private refuseQueued(err: LipError): void {
    this.queuedSize = 0;
    for (let entry = this.queue.shift(); entry !== undefined; entry = this.queue.shift()) this.refuse(entry instanceof LipError ? entry : err);
  }

  /** Sends one message; while too much waits unsent, the turn's stream (`source`) is not read. */
  private send(message: string, source?: IncomingMessage): void {
    if (this.closed || this.ws.readyState !== 1) return;
    // In UTF-16 units: bytes for the ASCII of lip's JSON, a bound within 3x otherwise.
    const size = message.length;
    this.unsent += size;
    this.ws.send(message, () => {
      this.unsent -= size;
      if (this.unsent > this.options.config().server.max_buffered_bytes / 2) return;
      if (this.paused) {
        const resumed = this.paused;
        this.paused = undefined;
        resumed.resume();
      }
      if (this.backlogged) {
        // What waited for the client to catch up: its next message's answer, its socket's reading.
        this.backlogged = false;
        this.next();
      }
    });
    if (this.unsent > this.options.config().server.max_buffered_bytes) {
      if (source && this.paused === undefined) {
        this.paused = source;
        source.pause();
      }
      if (!this.backlogged) {
        this.backlogged = true;
        this.flow();
      }
    }
  }

  /** The client went away: the running turn's request is aborted (so is its upstream attempt). */
  private gone(): void {
    this.closed = true;
    this.pending.close();
    if (this.pinger) clearInterval(this.pinger);
    this.queue.length = 0;
    this.queuedSize = 0;
    const running = this.running;
    this.running = undefined;
    running?.request?.destroy();
    this.finishing?.();
    this.finishing = undefined;
  }
}

/** The bytes of a message as ws hands it (a Buffer; fragments or an ArrayBuffer with another binaryType). */
function messageBytes(data: unknown): number {
  if (Array.isArray(data)) return data.reduce((sum: number, part: Buffer) => sum + part.length, 0);
  return Buffer.isBuffer(data) ? data.length : (data as ArrayBuffer).byteLength;
}

/**
 * An error envelope as lip's protocols write theirs: `error` an object with a message (a
 * non-empty string) and, where the protocol has one, a code (not null nor empty).
 */
function isErrorEnvelope(envelope: unknown): boolean {
  const error = (envelope as { error?: unknown } | null)?.error as { message?: unknown; code?: unknown } | null | undefined;
  if (error === null || typeof error !== 'object' || Array.isArray(error)) return false;
  return typeof error.message === 'string' && error.message !== '' && (!('code' in error) || (error.code !== null && error.code !== ''));
}

/** The lip error code an error envelope names (`error.code` of the OpenAI envelopes). */
function errorCode(envelope: unknown): unknown {
  const error = (envelope as { error?: unknown } | null)?.error;
  return error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
}
