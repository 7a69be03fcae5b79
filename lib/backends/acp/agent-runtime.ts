import { LipError } from '../../errors/index.js';
import type { HistoryMark } from './encode-request.js';
import { METHOD_NOT_FOUND, RpcError, type PeerHandlers } from './json-rpc-peer.js';
import type { AgentTransport } from './transport.js';

/** The ACP protocol version lip speaks (v1: `session/prompt` answers when the turn ends). */
export const ACP_PROTOCOL_VERSION = 1;

/** JSON-RPC error an agent answers `session/new` with when it wants `authenticate` first. */
export const AUTH_REQUIRED = -32000;

export interface RuntimeSettings {
  readonly backend: string;
  readonly cwd: string;
  readonly autoAccept: boolean;
  readonly authMethod?: string;
}

type UpdateSink = (update: Record<string, unknown>) => void;

interface PermissionOption { optionId?: unknown; kind?: unknown }

/**
 * Picks the answer to `session/request_permission`: the first allowing option with
 * `auto_accept`, otherwise the first rejecting one (by `kind`, never by a hard-coded id), and
 * `cancelled` when the agent offers none of that kind.
 */
export function permissionOutcome(params: Record<string, unknown>, autoAccept: boolean): Record<string, unknown> {
  const options = Array.isArray(params.options) ? params.options as PermissionOption[] : [];
  const wanted = autoAccept ? ['allow_once', 'allow_always'] : ['reject_once', 'reject_always'];
  const chosen = options.find((o) => typeof o.kind === 'string' && wanted.includes(o.kind) && typeof o.optionId === 'string');
  return { outcome: chosen ? { outcome: 'selected', optionId: chosen.optionId } : { outcome: 'cancelled' } };
}

/**
 * One live agent: its connection, its ACP session, what it holds of the conversation, and a
 * lock so that turns on it run one at a time. Agent requests are answered here: permission by
 * policy, everything else (fs, terminal, vendor extensions) with -32601, since lip advertises
 * none of those capabilities.
 */
export class AgentRuntime {
  readonly transport: AgentTransport;
  sessionId = '';
  mark: HistoryMark | undefined;
  private sink: UpdateSink | undefined;
  /** Told of every message the agent starts during a turn (its updates, its requests). */
  private heard: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private holders = 0;

  constructor(private readonly settings: RuntimeSettings, connect: (handlers: PeerHandlers) => AgentTransport) {
    this.transport = connect({
      onNotification: (method, params) => {
        this.heard?.();
        if (method === 'session/update' && params.sessionId === this.sessionId && params.update && typeof params.update === 'object') {
          this.sink?.(params.update as Record<string, unknown>);
        }
      },
      onRequest: async (method, params) => {
        this.heard?.();
        if (method === 'session/request_permission') return permissionOutcome(params, this.settings.autoAccept);
        throw new RpcError(method, { code: METHOD_NOT_FOUND, message: `method not found: ${method}` });
      },
    });
  }

  get busy(): boolean {
    return this.holders > 0;
  }

  /** Waits for the runtime's turn lock; call the returned function to release it. */
  acquire(): Promise<() => void> {
    this.holders++;
    let release!: () => void;
    const turn = new Promise<void>((resolve) => { release = resolve; });
    const ready = this.queue.then(() => () => { this.holders--; release(); });
    this.queue = this.queue.then(() => turn);
    return ready;
  }

  /** `initialize`, `authenticate` when configured or asked for, then `session/new`. */
  async handshake(): Promise<void> {
    const peer = this.transport.peer;
    const init = await peer.request('initialize', {
      protocolVersion: ACP_PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'lip', version: '1' },
    }) as { authMethods?: { id?: unknown }[] } | undefined;
    const offered = (init?.authMethods ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    if (this.settings.authMethod) await peer.request('authenticate', { methodId: this.settings.authMethod });
    const open = () => peer.request('session/new', { cwd: this.settings.cwd, mcpServers: [] });
    let session: unknown;
    try {
      session = await open();
    } catch (error) {
      if (!(error instanceof RpcError) || error.error.code !== AUTH_REQUIRED || this.settings.authMethod || offered.length === 0) throw error;
      await peer.request('authenticate', { methodId: offered[0] });
      session = await open();
    }
    const id = (session as { sessionId?: unknown } | undefined)?.sessionId;
    if (typeof id !== 'string' || id === '') throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `acp ${this.settings.backend}: session/new answered without a sessionId`);
    this.sessionId = id;
  }

  /** Pushes a reasoning effort to agents that take it; agents that do not are left alone. */
  async setEffort(effort: string): Promise<void> {
    await this.transport.peer.request('session/set_config_option', { sessionId: this.sessionId, configId: 'reasoning_effort', value: effort })
      .catch((error: unknown) => { if (!(error instanceof RpcError)) throw error; });
  }

  /**
   * One prompt turn; updates go to `onUpdate` until the turn's answer (its stop reason).
   * `onHeard` is told of every message the agent starts meanwhile (an update, a request), so
   * that the caller can bound the agent's silence.
   */
  async prompt(text: string, onUpdate: UpdateSink, onHeard?: () => void): Promise<unknown> {
    this.sink = onUpdate;
    this.heard = onHeard;
    try {
      const result = await this.transport.peer.request('session/prompt', { sessionId: this.sessionId, prompt: [{ type: 'text', text }] });
      return (result as { stopReason?: unknown } | undefined)?.stopReason;
    } finally {
      this.sink = undefined;
      this.heard = undefined;
    }
  }

  /** Asks the agent to stop the current turn (a notification: no answer is awaited). */
  cancel(): void {
    this.sink = undefined;
    this.heard = undefined;
    this.transport.peer.notify('session/cancel', { sessionId: this.sessionId }).catch(() => undefined);
  }
}
