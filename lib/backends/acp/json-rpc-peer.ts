import { LipError, reportInternalError } from '../../errors/index.js';
import { checkUpstreamJson } from '../../wire/json-depth.js';

/** A JSON-RPC 2.0 error object. */
export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** JSON-RPC's "method not found": the answer to an agent request lip does not serve. */
export const METHOD_NOT_FOUND = -32601;

/** An error answer from the agent, kept whole so callers can tell "auth required" from a crash. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(readonly method: string, readonly error: RpcErrorObject) {
    super(`${method}: ${error.message} (${error.code})`);
  }
}

/** What the peer does with messages the agent starts. */
export interface PeerHandlers {
  onNotification(method: string, params: Record<string, unknown>): void;
  /** Answers an agent request; a throw becomes a JSON-RPC error answer. */
  onRequest(method: string, params: Record<string, unknown>): Promise<unknown>;
}

/** Sends one JSON-RPC message; the transport feeds what comes back into `receive`. */
export type SendMessage = (message: Record<string, unknown>) => Promise<void>;

interface Pending {
  readonly method: string;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** Who the peer speaks for, and what its transport does when the agent broke the protocol. */
export interface PeerOptions {
  /** The backend id, for messages. */
  readonly backend?: string;
  /**
   * Told once when a line from the agent failed the peer (not JSON-RPC, nested too deep, or a
   * handler threw on it): the transport ends the agent, so that its pool drops it and the next
   * call starts a fresh one instead of failing on this one forever.
   */
  readonly onBroken?: (error: LipError) => void;
}

/**
 * The JSON-RPC 2.0 side lip plays towards an agent: numbered requests correlated with their
 * answers, notifications, and agent requests dispatched to handlers (answered -32601 when no
 * handler knows them). Transport-neutral: stdio writes lines to a process, HTTP posts each
 * message and streams the answer's lines back through `receive`, which never throws: whatever
 * goes wrong with a line fails the peer (every open request rejects) and is reported to
 * `onBroken`.
 */
export class JsonRpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: unknown;

  constructor(private readonly send: SendMessage, private readonly handlers: PeerHandlers, private readonly options: PeerOptions = {}) {}

  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params }).catch((error: unknown) => {
        if (this.pending.delete(id)) reject(error);
      });
    });
  }

  /** Whether request `id` still waits for its answer (an HTTP answer may end without it). */
  isPending(id: unknown): boolean {
    return typeof id === 'number' && this.pending.has(id);
  }

  notify(method: string, params: Record<string, unknown>): Promise<void> {
    return this.send({ jsonrpc: '2.0', method, params });
  }

  /**
   * One line from the agent. A line that is not a JSON-RPC message, or nests deeper than the
   * upstream bound, fails the connection (LIP_ERR_UPSTREAM_MALFORMED, _LIMIT_EXCEEDED); so does
   * a handler that throws on it (an internal error). Never throws: it runs in a stream's data
   * callback, where a throw would escape every handler.
   */
  receive(line: string): void {
    if (this.failure !== undefined) return; // the connection is over: later lines of the same chunk are not heard
    let message: Record<string, unknown>;
    try {
      checkUpstreamJson(this.options.backend ?? 'acp', line, 'a line'); // before JSON.parse, as for every upstream frame
      const parsed: unknown = JSON.parse(line);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch (error) {
      this.broken(error instanceof LipError ? error : new LipError('LIP_ERR_UPSTREAM_MALFORMED', `agent sent a line that is not a JSON-RPC message: ${line.slice(0, 120)}`));
      return;
    }
    try {
      this.dispatch(message);
    } catch (error) {
      this.broken(error instanceof LipError ? error : reportInternalError('acp.receive', error));
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    const method = typeof message.method === 'string' ? message.method : undefined;
    const params = (message.params !== null && typeof message.params === 'object' ? message.params : {}) as Record<string, unknown>;
    if (method !== undefined && message.id !== undefined) return this.answer(message.id, method, params);
    if (method !== undefined) return this.handlers.onNotification(method, params);
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) {
      // A late reply to a request lip gave up on is dropped; an answer to an id lip never sent
      // breaks the protocol (the request it meant to answer would wait for ever).
      if (typeof message.id === 'number' && Number.isInteger(message.id) && message.id >= 1 && message.id < this.nextId) return;
      const said = message.error !== null && typeof message.error === 'object' && typeof (message.error as { message?: unknown }).message === 'string'
        ? `: ${(message.error as { message: string }).message.slice(0, 200)}` : '';
      throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `agent answered a request lip never sent (id ${String(JSON.stringify(message.id ?? null)).slice(0, 40)})${said}`);
    }
    this.pending.delete(message.id as number);
    // `"error": null` beside a result is how JSON-RPC 1.0 peers say "no error".
    if (message.error !== undefined && message.error !== null) {
      const e = (typeof message.error === 'object' ? message.error : { message: String(message.error) }) as Partial<RpcErrorObject>;
      pending.reject(new RpcError(pending.method, { code: typeof e.code === 'number' ? e.code : -32603, message: typeof e.message === 'string' ? e.message : 'error', data: e.data }));
    } else {
      pending.resolve(message.result);
    }
  }

  /** The agent broke the protocol: fail every request, and let the transport end the agent. */
  private broken(error: LipError): void {
    const first = this.failure === undefined;
    this.fail(error);
    if (first) this.options.onBroken?.(error);
  }

  /** Fails every open request and every later one (the connection is gone). */
  fail(error: unknown): void {
    this.failure ??= error;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(this.failure);
    }
  }

  private answer(id: unknown, method: string, params: Record<string, unknown>): void {
    this.handlers.onRequest(method, params).then(
      (result) => this.send({ jsonrpc: '2.0', id, result: result ?? {} }),
      (error: unknown) => this.send({
        jsonrpc: '2.0', id,
        error: error instanceof RpcError ? error.error : { code: -32603, message: error instanceof Error ? error.message : 'internal error' },
      }),
    ).catch(() => undefined); // the connection is gone; its own failure path reports that
  }
}
