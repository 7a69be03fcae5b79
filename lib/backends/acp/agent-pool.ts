import type { SchedulerLike, Subscription } from 'rxjs';
import { LipError } from '../../errors/index.js';
import { reportAcp } from './acp-channel.js';
import type { AgentRuntime } from './agent-runtime.js';

interface Entry {
  /** The runtime once its handshake finished (single flight: every caller awaits `ready`). */
  readonly ready: Promise<AgentRuntime>;
  runtime?: AgentRuntime;
  lastUsed: number;
  idle?: Subscription;
}

export interface PoolSettings {
  readonly backend: string;
  readonly maxProcesses: number;
  readonly idleTimeoutMs: number;
  readonly scheduler: SchedulerLike;
}

/**
 * Agents by key (workspace, model, client session). One spawn per key at a time; a dead agent
 * is dropped and the next call spawns a new one; an agent idle for `idle_timeout` is ended; at
 * `max_processes` the least recently used idle agent makes room, and when every agent is in a
 * turn the call fails over (LIP_ERR_UPSTREAM_AGENT_BUSY, retryable).
 */
export class AgentPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly settings: PoolSettings, private readonly start: (key: string) => Promise<AgentRuntime>) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The live agent for `key` (spawned when needed), with its turn lock held. A call that waited
   * for the lock behind one that ended the agent (its history diverged, it misbehaved) looks the
   * key up again, and so gets the agent that replaced it.
   */
  async acquire(key: string): Promise<{ runtime: AgentRuntime; release: () => void }> {
    let entry = this.entries.get(key);
    if (entry?.runtime && !entry.runtime.transport.alive) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      this.makeRoom();
      const created: Entry = { ready: this.start(key), lastUsed: this.settings.scheduler.now() };
      entry = created;
      this.entries.set(key, created);
      created.ready.then((runtime) => {
        created.runtime = runtime;
        runtime.transport.exited.then(() => { if (this.entries.get(key) === created) this.entries.delete(key); created.idle?.unsubscribe(); });
      }, () => { if (this.entries.get(key) === created) this.entries.delete(key); });
    }
    const current = entry;
    const runtime = await current.ready;
    current.idle?.unsubscribe();
    current.idle = undefined;
    const unlock = await runtime.acquire();
    if (!runtime.transport.alive) {
      unlock();
      return this.acquire(key);
    }
    return {
      runtime,
      release: () => {
        unlock();
        current.lastUsed = this.settings.scheduler.now();
        if (!runtime.busy && runtime.transport.alive) this.armIdle(key, current, runtime);
      },
    };
  }

  /** Ends the agent of `key` (its history diverged or it misbehaved); the next acquire spawns anew. */
  discard(key: string, runtime: AgentRuntime): void {
    const entry = this.entries.get(key);
    if (entry?.runtime === runtime) {
      entry.idle?.unsubscribe();
      this.entries.delete(key);
    }
    if (runtime.transport.alive) reportAcp({ backend: this.settings.backend, event: 'kill', ...(runtime.transport.pid ? { pid: runtime.transport.pid } : {}) });
    runtime.transport.kill();
  }

  /** Ends every agent (shutdown, reload) and waits until they are gone. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map(async (entry) => {
      entry.idle?.unsubscribe();
      const runtime = await entry.ready.catch(() => undefined);
      if (!runtime) return;
      runtime.transport.kill();
      await runtime.transport.exited;
    }));
  }

  private armIdle(key: string, entry: Entry, runtime: AgentRuntime): void {
    entry.idle?.unsubscribe();
    entry.idle = this.settings.scheduler.schedule(() => {
      if (runtime.busy || this.entries.get(key) !== entry) return;
      this.entries.delete(key);
      reportAcp({ backend: this.settings.backend, event: 'reap', ...(runtime.transport.pid ? { pid: runtime.transport.pid } : {}) });
      runtime.transport.kill();
    }, this.settings.idleTimeoutMs);
  }

  private makeRoom(): void {
    if (this.entries.size < this.settings.maxProcesses) return;
    const idle = [...this.entries.entries()]
      .filter(([, e]) => e.runtime !== undefined && !e.runtime.busy)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
    if (!idle) {
      throw new LipError('LIP_ERR_UPSTREAM_AGENT_BUSY', `acp ${this.settings.backend}: all ${this.settings.maxProcesses} agents are in a turn (max_processes)`, {
        detail: { backend: this.settings.backend },
      });
    }
    this.discard(idle[0], idle[1].runtime!);
  }
}
