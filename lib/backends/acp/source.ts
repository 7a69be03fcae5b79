import { Observable } from 'rxjs/internal/Observable';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Call, LipEvent } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import type { Backend, BackendDeps, BackendRow, HttpClientSettings, Target } from '../backend.js';
import { BodyIdleTimer, DEFAULT_HTTP_SETTINGS, UpstreamClient, endpointUrl } from '../http/index.js';
import { reportAcp } from './acp-channel.js';
import { AgentPool } from './agent-pool.js';
import { AgentRuntime } from './agent-runtime.js';
import { classifyError, sessionGone } from './classify-error.js';
import { UpdateDecoder } from './decode-stream.js';
import { checkPromptable, planPrompt } from './encode-request.js';
import { HttpTransport } from './http-transport.js';
import { mapFinishReason } from './map-finish-reason.js';
import { acpOptions, checkAgentModel, withModel, type AcpOptions } from './options.js';
import { StdioTransport } from './stdio-transport.js';
import { refusalOf } from '../refusal-of.js';

/** Which agent serves a call: the client's session (metadata `session_id`, else `user`). */
export function sessionOf(call: Call): string {
  return call.metadata.session_id ?? call.user ?? 'default';
}

/**
 * The acp backend: coding agents spoken to over the Agent Client Protocol. Subscribing checks
 * the model (checkAgentModel), takes the pooled agent of (workspace, model, session), sends the
 * conversation (or its new tail) as one `session/prompt` and emits the agent's updates as they
 * come. Unsubscribing during a turn sends `session/cancel`; an agent that has not ended the turn
 * within `cancel_grace` is killed. A turn in which the agent sends nothing for
 * `http_client.body_timeout` fails (LIP_ERR_UPSTREAM_BODY_TIMEOUT, retryable) and the agent is
 * ended: a silent agent would otherwise hold the call, its session's lock and its pool slot.
 * While the client's socket is full (`target.flow` closed) the agent is not read, so its writes
 * back up (a slow client slows the agent, not lip's memory).
 */
export class AcpBackend implements Backend {
  readonly kind = 'acp';
  readonly id: string;
  readonly models: readonly string[];
  /** The row's `models`: when it lists any, the only models an agent is started for. */
  private readonly listed: readonly string[];
  private readonly options: AcpOptions;
  private readonly scheduler: SchedulerLike;
  private readonly pool: AgentPool;
  private readonly env: NodeJS.ProcessEnv;
  /** `http_client`: its headers_timeout bounds requests outside a turn, its body_timeout an agent's silence in one. */
  private readonly http: HttpClientSettings;
  private client: UpstreamClient | undefined;
  /** The bearer token of an HTTP agent (the row's first key), if any. */
  private readonly key: string | undefined;
  /** Agents whose handshake is running (close ends them: their pool entry has no runtime yet). */
  private readonly starting = new Set<AgentRuntime>();

  constructor(row: BackendRow, private readonly deps: BackendDeps = {}) {
    this.id = row.id;
    this.listed = row.models;
    this.models = row.models.length > 0 ? row.models : ['agent'];
    this.options = acpOptions(row);
    if (this.options.transport === 'stdio' && !this.options.command) throw new Error(`backend ${row.id}: kind acp with transport stdio needs command`);
    if (this.options.transport === 'http' && !this.options.baseUrl) throw new Error(`backend ${row.id}: kind acp with transport http needs base_url`);
    const keyed = row.api_key !== undefined || row.api_keys !== undefined || row.api_key_env !== undefined;
    if (this.options.transport === 'stdio' && keyed) throw new Error(`backend ${row.id}: an acp agent over stdio takes no api_key; pass credentials to it through env`);
    this.key = keyed ? [...(typeof row.api_key === 'string' ? [row.api_key] : []), ...((row.api_keys as string[] | undefined) ?? []),
      ...(typeof row.api_key_env === 'string' ? deps.readEnvPool?.(row.api_key_env) ?? [] : [])][0] : undefined;
    this.scheduler = deps.scheduler ?? asyncScheduler;
    this.env = deps.env ?? process.env;
    this.http = deps.http ?? DEFAULT_HTTP_SETTINGS;
    this.pool = new AgentPool(
      { backend: this.id, maxProcesses: this.options.maxProcesses, idleTimeoutMs: this.options.idleTimeoutMs, scheduler: this.scheduler },
      (key) => this.spawn(key.split('\u0000')[1]!),
    );
  }

  /** What a prompt turn refuses before the agent is asked: a model it cannot be given, tools (checkPromptable). */
  refusal(call: Call, model: string): LipError | undefined {
    return refusalOf(() => {
      checkAgentModel(model, this.listed, this.id);
      checkPromptable(call, this.id);
    });
  }

  stream(call: Call, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const key = [this.options.cwd, target.model, sessionOf(call)].join('\u0000');
      let runtime: AgentRuntime | undefined;
      let inTurn = false;
      let killTimer: Subscription | undefined;
      /** The turn's bound on the agent's silence (http_client.body_timeout). */
      let silence: BodyIdleTimer | undefined;
      /** Set while the client's backpressure pauses the agent: cancels the wait for the gate. */
      let unpause: (() => void) | undefined;
      /** Stops waiting for the client (the turn is over, the client left): the agent is read again. */
      const unblock = () => {
        if (!unpause) return;
        unpause();
        unpause = undefined;
        runtime?.transport.resume();
      };

      const run = async (): Promise<void> => {
        checkAgentModel(target.model, this.listed, this.id);
        const prompted = checkPromptable(call, this.id);
        let lease = await this.pool.acquire(key);
        try {
          if (subscriber.closed) return;
          let plan = planPrompt(prompted, lease.runtime.mark);
          if (plan.reset) {
            reportAcp({ backend: this.id, event: 'respawn', ...(lease.runtime.transport.pid ? { pid: lease.runtime.transport.pid } : {}) });
            this.pool.discard(key, lease.runtime);
            lease.release();
            lease = await this.pool.acquire(key);
            if (subscriber.closed) return;
            plan = planPrompt(prompted, undefined);
          }
          runtime = lease.runtime;
          const effort = call.options.reasoning?.effort;
          if (effort) await this.answered(runtime.setEffort(effort), 'answer session/set_config_option', () => this.pool.discard(key, runtime!));
          if (subscriber.closed) return;
          subscriber.next({ type: 'response_started', model: target.model });
          subscriber.next({ type: 'message_started' });
          const decoder = new UpdateDecoder(this.options.thoughts, this.id);
          runtime.mark = plan.mark;
          inTurn = true;
          const agent = runtime;
          const limit = this.http.body_timeout;
          let stopReason: unknown;
          try {
            stopReason = await new Promise<unknown>((resolve, reject) => {
              // Counted from the prompt and from every message the agent sends: an agent silent
              // for body_timeout is let go, and with it its session's lock and its pool slot.
              const timer = new BodyIdleTimer(this.scheduler, limit, () => {
                this.pool.discard(key, agent);
                reject(new LipError('LIP_ERR_UPSTREAM_BODY_TIMEOUT', `acp ${this.id}: the agent sent nothing for ${limit} ms of its turn (http_client.body_timeout)`, {
                  detail: { backend: this.id },
                }));
              });
              silence = timer;
              timer.start();
              agent.prompt(plan.text, (update) => {
                let events: LipEvent[];
                try {
                  events = decoder.decode(update);
                } catch (error) {
                  // The agent broke a limit: this attempt fails with that error (the teardown cancels the turn).
                  subscriber.error(classifyError(error, this.id));
                  return;
                }
                for (const event of events) subscriber.next(event);
                // The client's socket is full: stop reading the agent (its writes back up) until it
                // drains. The wait is the client's, not the agent's silence.
                const flow = target.flow;
                if (flow?.closed && unpause === undefined && !subscriber.closed) {
                  timer.stop();
                  agent.transport.pause();
                  unpause = flow.onOpen(() => {
                    unpause = undefined;
                    timer.start();
                    agent.transport.resume();
                  });
                }
              }, () => timer.touch()).then(resolve, reject);
            });
          } catch (error) {
            // A dead agent, or one that no longer holds the session: the next call starts afresh with the whole history.
            if (!runtime.transport.alive || sessionGone(error)) this.pool.discard(key, runtime);
            throw error;
          } finally {
            inTurn = false;
            silence?.stop();
            unblock();
            killTimer?.unsubscribe();
          }
          for (const event of decoder.flush()) subscriber.next(event);
          const finish = mapFinishReason(stopReason);
          subscriber.next({ type: 'response_finished', reason: finish.reason, ...(finish.raw ? { raw: finish.raw } : {}) });
          subscriber.complete();
        } finally {
          lease.release();
        }
      };
      run().catch((error: unknown) => {
        if (!subscriber.closed) subscriber.error(classifyError(error, this.id));
      });

      return () => {
        silence?.stop(); // a cancelled turn is bounded by cancel_grace
        unblock(); // the agent's answer to the cancel must be read
        if (!inTurn || !runtime) return;
        const agent = runtime;
        reportAcp({ backend: this.id, event: 'cancel', sessionId: agent.sessionId, ...(agent.transport.pid ? { pid: agent.transport.pid } : {}) });
        agent.cancel();
        killTimer = this.scheduler.schedule(() => { if (inTurn) this.pool.discard(key, agent); }, this.options.cancelGraceMs);
      };
    });
  }

  /**
   * `work` (the handshake, a request to the agent outside a turn), bounded by
   * `http_client.headers_timeout`: an agent that never answers would otherwise hold its pool
   * entry or its session's lock, and every later call for it, for ever. On expiry the agent is let
   * go (`giveUp`) and the attempt fails, retryable; `what` says what the agent did not do.
   */
  private answered<T>(work: Promise<T>, what: string, giveUp: () => void): Promise<T> {
    const limit = this.http.headers_timeout;
    return new Promise<T>((resolve, reject) => {
      const timer = this.scheduler.schedule(() => {
        giveUp();
        reject(new LipError('LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', `acp ${this.id}: the agent did not ${what} within http_client.headers_timeout (${limit} ms)`, { detail: { backend: this.id } }));
      }, limit);
      work.then((value) => { timer.unsubscribe(); resolve(value); }, (error: unknown) => { timer.unsubscribe(); reject(error); });
    });
  }

  close(): Promise<void> {
    for (const runtime of this.starting) runtime.transport.kill();
    return Promise.all([this.pool.close(), this.client?.close()]).then(() => undefined);
  }

  /**
   * Starts an agent for `model` and runs its handshake, bounded by `http_client.headers_timeout`
   * (over either transport): an agent that never answers `initialize` or `session/new` would
   * otherwise hold its pool entry, and every later call for its key, forever.
   */
  private async spawn(model: string): Promise<AgentRuntime> {
    const o = this.options;
    const settings = { backend: this.id, cwd: o.cwd, autoAccept: o.autoAccept, ...(o.authMethod ? { authMethod: o.authMethod } : {}) };
    const runtime = new AgentRuntime(settings, (handlers) => {
      if (o.transport === 'http') {
        this.client ??= new UpstreamClient(this.http, this.env);
        return new HttpTransport({ url: endpointUrl(o.baseUrl!, '/v1/acp'), headers: this.key ? { authorization: `Bearer ${this.key}`, ...o.headers } : o.headers, backend: this.id }, this.client, handlers);
      }
      const env = { ...this.env, ...Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, withModel(v, model)])) };
      return new StdioTransport({ command: o.command!, args: o.args.map((a) => withModel(a, model)), env, cwd: o.cwd, backend: this.id }, handlers);
    });
    const pid = runtime.transport.pid;
    reportAcp({ backend: this.id, event: 'spawn', ...(pid ? { pid } : {}) });
    runtime.transport.exited.then((code) => reportAcp({ backend: this.id, event: 'exit', code, ...(pid ? { pid } : {}) }));
    this.starting.add(runtime);
    try {
      await this.answered(runtime.handshake(), 'finish its handshake', () => runtime.transport.kill());
    } catch (error) {
      runtime.transport.kill();
      throw error;
    } finally {
      this.starting.delete(runtime);
    }
    reportAcp({ backend: this.id, event: 'ready', sessionId: runtime.sessionId, ...(pid ? { pid } : {}) });
    return runtime;
  }
}

export function createAcp(row: BackendRow, deps: BackendDeps): Backend {
  return new AcpBackend(row, deps);
}

