import type { SchedulerLike } from 'rxjs';
import type { Backend } from '../backends/backend.js';
import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { readEnvPool } from '../config/secrets.js';
import { Executor } from './execute.js';

/** Everything a running config needs: built backends and the executor over them. */
export interface Runtime {
  readonly config: Config;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly executor: Executor;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  /** Time for backends (localstub delays) and routing (budgets, handicaps). */
  readonly scheduler?: SchedulerLike;
  /** Uniform in [0, 1) for weighted choices. */
  readonly rng?: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Builds the enabled backends of a validated config and the executor that routes to them. */
export function createRuntime(config: Config, deps: RuntimeDeps = {}): Runtime {
  const backends = new Map<string, Backend>();
  const env = deps.env ?? process.env;
  const backendDeps = { ...deps, env, http: config.http_client, readEnvPool: (name: string) => readEnvPool(name, env) };
  for (const row of config.backends) {
    if (!row.enabled) continue;
    const kind = BACKEND_KINDS[row.kind];
    if (!kind) throw new Error(`unknown backend kind ${row.kind}`); // the config loader rejects these first
    backends.set(row.id, kind.create(row, backendDeps));
  }
  return {
    config,
    backends,
    executor: new Executor(config, backends, deps),
    async close() {
      await Promise.all([...backends.values()].map((b) => b.close?.()));
    },
  };
}
