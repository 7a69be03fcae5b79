import { LipError, isRetryableStatus } from '../../errors/index.js';
import { classifyTransportError, readBodyText, relayableStatus, sanitizeMessage, type UpstreamClient } from '../http/index.js';
import { JsonRpcPeer, type PeerHandlers } from './json-rpc-peer.js';
import { NdjsonLines } from './ndjson-lines.js';
import type { AgentTransport } from './transport.js';

export interface HttpAgent {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly backend: string;
}

/**
 * An agent served over HTTP: every JSON-RPC message is one `POST {base_url}/v1/acp`. A request's
 * answer is an NDJSON body (the agent's notifications and requests for that turn, then the
 * result line); notifications and our answers get an empty 2xx. `kill` aborts every open POST,
 * which closes their sockets. `pause` stops reading the answer bodies (undici stops reading their
 * sockets, and TCP pushes back on the agent server) until `resume`.
 */
export class HttpTransport implements AgentTransport {
  readonly peer: JsonRpcPeer;
  readonly pid = undefined;
  readonly exited: Promise<number | null>;
  private readonly abort = new AbortController();
  private markExited!: (code: number | null) => void;
  /** Set while paused: the bodies' readers wait for it. */
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(private readonly agent: HttpAgent, private readonly client: UpstreamClient, handlers: PeerHandlers) {
    this.peer = new JsonRpcPeer((message) => this.post(message), handlers, { backend: agent.backend, onBroken: () => this.kill() });
    this.exited = new Promise((resolve) => { this.markExited = resolve; });
  }

  get alive(): boolean {
    return !this.abort.signal.aborted;
  }

  pause(): void {
    this.held ??= new Promise((resolve) => { this.release = resolve; });
  }

  resume(): void {
    const release = this.release;
    this.held = this.release = undefined;
    release?.();
  }

  kill(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.resume(); // a paused reader goes on, and finds its body aborted
    this.peer.fail(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${this.agent.backend}: connection closed`));
    this.markExited(null);
  }

  /** Ends the connection with `error` as what every open request fails with; returns it. */
  private broken(error: LipError): LipError {
    this.peer.fail(error);
    this.kill();
    return error;
  }

  private async post(message: Record<string, unknown>): Promise<void> {
    let response;
    try {
      response = await this.client.open({
        method: 'POST', url: this.agent.url,
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson', ...this.agent.headers },
        body: JSON.stringify(message),
      }, this.abort.signal);
    } catch (error) {
      throw classifyTransportError(error, this.agent.backend, 'connect');
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      const text = await readBodyText(response.body).catch(() => '');
      // A redirect or other non-error status is the agent's failure (502), never relayed as it is.
      const status = response.statusCode;
      const relayed = relayableStatus(status);
      throw new LipError('LIP_ERR_UPSTREAM_STATUS', `acp ${this.agent.backend}: agent answered ${status}: ${sanitizeMessage(text)}`, {
        status: relayed ? status : 502, retryable: !relayed || isRetryableStatus(status), detail: { backend: this.agent.backend, upstream_status: status },
      });
    }
    const lines = new NdjsonLines();
    try {
      for await (const chunk of response.body) {
        for (const line of lines.push(chunk as Buffer)) this.peer.receive(line);
        if (this.held) await this.held;
      }
      for (const line of lines.end()) this.peer.receive(line);
    } catch (error) {
      response.body.destroy();
      // The answer broke off (a reset, a stall past body_timeout): the agent's session may still
      // be running or be gone, so this connection is done; the next call starts a new session.
      throw this.broken(error instanceof LipError ? error : classifyTransportError(error, this.agent.backend, 'body'));
    }
    if (message.method !== undefined && this.peer.isPending(message.id)) {
      throw this.broken(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${this.agent.backend}: the answer to ${String(message.method)} ended without a result`));
    }
  }
}
