import type { Renewal, RenewalResult, Renewed, SharedRenewals } from '../../backends/credentials/index.js';
import type { ClusterCache } from '../../server/admin.js';
import type { ConfigControl, ConfigStatus, ReloadOutcome, ReloadTrigger } from '../../server/config-control.js';
import { isClusterMessage, WORKER_ANSWER_MS, type AskMessage, type ClusterOp, type RanMessage, type RenewalNote, type RenewalTurn, type RunMessage, type StartConfig } from './messages.js';

/**
 * A worker's side of `lip serve --workers`. It asks the primary for the config text to start
 * with (a worker never reads the config file itself), runs what the primary asks of this worker
 * (a reload, a status read) with the worker's own reload function, and it hands what concerns
 * every worker to the primary: `POST /admin/config/reload` on any worker reloads all of them,
 * the config status lists all of them, the metrics path answers with the sum over all, and the
 * response cache endpoints (memory store) clear and count every worker's cache. Its backends
 * renew the credentials the workers share through the primary (`renewals`, ClusterRenewals).
 */
export class WorkerLink {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
  private local: ConfigControl | undefined;
  private localMetrics: (() => Promise<unknown[]> | undefined) | undefined;
  private localCache: LocalCache | undefined;
  /** What follows each credential's renewals (the backends holding it). */
  private readonly followers = new Map<string, Set<(renewed: Renewed<unknown>) => void>>();
  private readonly onMessage = (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.lip === 'renewed') {
      const renewed = { generation: message.generation, value: message.value };
      for (const apply of this.followers.get(message.login) ?? []) apply(renewed);
    } else if (message.lip === 'answer') {
      const entry = this.waiting.get(message.id);
      if (!entry) return;
      this.waiting.delete(message.id);
      clearTimeout(entry.timer);
      if (message.error !== undefined) entry.reject(new Error(message.error));
      else entry.resolve(message.value);
    } else if (message.lip === 'run') {
      void this.run(message);
    }
  };

  constructor() {
    process.on('message', this.onMessage);
  }

  /** The worker's own reload function, metrics and response cache, which the primary's `run` messages call. */
  attach(local: ConfigControl, metrics: () => Promise<unknown[]> | undefined, cache: LocalCache): void {
    this.local = local;
    this.localMetrics = metrics;
    this.localCache = cache;
  }

  /** What `/admin/config/*` calls in a worker: the whole cluster. */
  readonly control: ConfigControl = {
    reload: (_trigger: ReloadTrigger) => this.ask('reload') as Promise<ReloadOutcome>,
    status: () => this.ask('status') as Promise<ConfigStatus>,
  };

  /** The config text this worker starts with (`StartConfig`). */
  startConfig(): Promise<StartConfig> {
    return this.ask('config') as Promise<StartConfig>;
  }

  /** The metrics of every worker, summed by the primary. */
  readonly metrics = (): Promise<string> => this.ask('metrics') as Promise<string>;

  /** What `/admin/cache` and `/admin/cache/clear` call in a worker (memory store): every worker's cache. */
  readonly cache: ClusterCache = {
    clear: () => this.ask('cache-clear') as ReturnType<ClusterCache['clear']>,
    status: () => this.ask('cache-status') as ReturnType<ClusterCache['status']>,
  };

  /**
   * Renewals with the other workers: the primary hands back the renewal another worker made or
   * is making, or lets this worker renew and hands what it got to the others. A primary that
   * does not answer is a passing failure (tried again later); a renewal made here that the
   * primary did not hear of is still this worker's.
   */
  readonly renewals: SharedRenewals = {
    renew: async <T>(login: string, generation: number, renew: () => Promise<RenewalResult<T>>): Promise<Renewal<T>> => {
      let turn: RenewalTurn;
      try {
        turn = await this.ask('renew', { login, generation }) as RenewalTurn;
      } catch (err) {
        return { failure: `asking the primary failed: ${(err as Error).message}`, forGood: false };
      }
      if (!('renewHere' in turn)) return turn as Renewal<T>;
      const result = await renew();
      try {
        return await this.ask('renewed', { login, generation, result }) as Renewal<T>;
      } catch {
        return 'value' in result ? { generation: generation + 1, value: result.value } : result;
      }
    },
    follow: <T>(login: string, apply: (renewed: Renewed<T>) => void) => {
      const followers = this.followers.get(login) ?? new Set();
      const follower = apply as (renewed: Renewed<unknown>) => void;
      followers.add(follower);
      this.followers.set(login, followers);
      return () => {
        followers.delete(follower);
        if (followers.size === 0 && this.followers.get(login) === followers) this.followers.delete(login);
      };
    },
  };

  close(): void {
    process.removeListener('message', this.onMessage);
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error('the worker is stopping'));
    }
    this.waiting.clear();
  }

  private ask(op: ClusterOp, renewal?: RenewalNote): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The primary bounds each worker's answer; this only guards against a primary gone silent.
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the primary did not answer "${op}"`));
      }, WORKER_ANSWER_MS * 2);
      this.waiting.set(id, { resolve, reject, timer });
      const message: AskMessage = { lip: 'ask', id, op, ...(renewal ? { renewal } : {}) };
      process.send?.(message);
    });
  }

  private async run({ id, op, trigger, text }: RunMessage): Promise<void> {
    let reply: RanMessage;
    try {
      if (!this.local || !this.localMetrics || !this.localCache) throw new Error('the worker is not serving yet');
      const value = op === 'reload' ? await this.local.reload(trigger ?? 'api', text)
        : op === 'status' ? await this.local.status()
        : op === 'cache-clear' ? await this.localCache.clear()
        : op === 'cache-status' ? this.localCache.status()
        : await (this.localMetrics() ?? Promise.reject(new Error('observability.metrics is not enabled in this worker')));
      reply = { lip: 'ran', id, value };
    } catch (err) {
      reply = { lip: 'ran', id, error: err instanceof Error ? err.message : String(err) };
    }
    if (process.connected) process.send?.(reply);
  }
}

/** A worker's own response cache: clear it (how many answers it forgot), and its status. */
export interface LocalCache {
  clear(): Promise<number>;
  status(): Record<string, unknown>;
}
