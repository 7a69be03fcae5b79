import type { SchedulerLike } from 'rxjs';
import type { Backend } from '../backends/backend.js';
import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { Executor } from './execute.js';

/** Everything a running config needs: built backends and the executor over them. */
export interface Runtime {
  readonly config: Config;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly executor: Executor;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  readonly scheduler?: SchedulerLike;
  readonly env?: NodeJS.ProcessEnv;
}

/** Builds the enabled backends of a validated config and the executor that routes to them. */
export function createRuntime(config: Config, deps: RuntimeDeps = {}): Runtime {
  const backends = new Map<string, Backend>();
  for (const row of config.backends) {
    if (!row.enabled) continue;
    const kind = BACKEND_KINDS[row.kind];
    if (!kind) throw new Error(`unknown backend kind ${row.kind}`); // the config loader rejects these first
    backends.set(row.id, kind.create(row, deps));
  }
  return {
    config,
    backends,
    executor: new Executor(config, backends),
    async close() {
      await Promise.all([...backends.values()].map((b) => b.close?.()));
    },
  };
}
