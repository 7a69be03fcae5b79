import type { Observable, SchedulerLike } from 'rxjs';
import type { Backend } from '../../../lib/backends/backend.js';
import { SequenceValidator, type LipEvent } from '../../../lib/canonical/index.js';
import { createRuntime, type Runtime } from '../../../lib/core/runtime.js';
import { toLipError, type LipError } from '../../../lib/errors/index.js';
import { configFrom } from '../config.js';
import type { Emulator } from './emulator-server.js';

export interface Drained {
  readonly events: LipEvent[];
  readonly error: LipError | undefined;
  /** Canonical sequence violations (SequenceValidator); a failed stream is only checked up to its error. */
  readonly violations: string[];
}

/** Subscribes, collects every event and the error, and checks the canonical event order. */
export function drain(source: Observable<LipEvent>): Promise<Drained> {
  return new Promise((resolve) => {
    const events: LipEvent[] = [];
    const violations: string[] = [];
    const validator = new SequenceValidator();
    source.subscribe({
      next(event) {
        events.push(event);
        const v = validator.push(event);
        if (v) violations.push(`event ${events.length - 1}: ${v}`);
      },
      error(err) { resolve({ events, error: toLipError(err), violations }); },
      complete() {
        const v = validator.end();
        if (v) violations.push(v);
        resolve({ events, error: undefined, violations });
      },
    });
  });
}

/**
 * A runtime over backend rows (YAML list items) through the real config loader and registry,
 * with the given environment (keys, proxies). Close it after the test.
 */
export function runtimeFor(backendsYaml: string, env: NodeJS.ProcessEnv = {}, extra = '', scheduler?: SchedulerLike): Runtime {
  const config = configFrom(`${extra}\nbackends:\n${backendsYaml}`, env);
  return createRuntime(config, { env, ...(scheduler ? { scheduler } : {}) });
}

/** The backend with this id from a runtime. */
export function backendOf(runtime: Runtime, id: string): Backend {
  const backend = runtime.backends.get(id);
  if (!backend) throw new Error(`no backend ${id}`);
  return backend;
}

/**
 * Mocha hooks for a spec of one backend against its emulator: the emulator started and a runtime
 * with the backend `id` (`row(url)`: its YAML row) before the suite, both closed after it.
 */
export function useEmulatedBackend(start: () => Promise<Emulator>, row: (url: string) => string, id: string): { emulator(): Emulator; backend(): Backend } {
  let emulator: Emulator | undefined;
  let runtime: Runtime | undefined;
  before(async () => {
    emulator = await start();
    runtime = runtimeFor(row(emulator.url));
  });
  after(async () => {
    await runtime?.close();
    await emulator?.close();
  });
  return { emulator: () => emulator!, backend: () => backendOf(runtime!, id) };
}
