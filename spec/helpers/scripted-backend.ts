import { PassThrough } from 'node:stream';
import { Observable } from 'rxjs';
import type { Backend, Target } from '../../lib/backends/backend.js';
import type { Call, LipEvent } from '../../lib/canonical/index.js';
import type { Config } from '../../lib/config/index.js';
import { runtimeWith, type Runtime } from '../../lib/core/runtime.js';
import type { LipError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from './config.js';

/**
 * One step of a script: an event to emit, a failure that ends the stream there, or a pause of
 * `delayMs` real milliseconds (for keepalive and timing checks against a real server).
 */
export type ScriptStep = LipEvent | { readonly fail: LipError } | { readonly delayMs: number };

/**
 * A Backend that replays canonical event scripts, chosen by the target model: a request for
 * `script:<name>` plays `scripts[name]`. Emission is synchronous on subscribe up to the first
 * `delayMs` step (the pipeline, not the backend, decides the wire chunking); a `fail` step before the first output event
 * is a failure before output and one after it a failure after output. Every call it receives
 * is kept in `calls` (newest last) so tests can check what a frontend decoded.
 */
export class ScriptedBackend implements Backend {
  readonly kind = 'scripted';
  readonly calls: { call: Call; target: Target }[] = [];
  readonly models: readonly string[];

  constructor(readonly id: string, readonly scripts: Map<string, readonly ScriptStep[]>) {
    this.models = [...scripts.keys()];
  }

  stream(call: Call, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      this.calls.push({ call, target });
      const script = this.scripts.get(target.model);
      if (!script) {
        subscriber.error(new Error(`ScriptedBackend ${this.id}: no script named "${target.model}"`));
        return;
      }
      let index = 0;
      let timer: NodeJS.Timeout | undefined;
      const run = (): void => {
        while (index < script.length) {
          if (subscriber.closed) return;
          const step = script[index++]!;
          if ('delayMs' in step) {
            timer = setTimeout(run, step.delayMs);
            return;
          }
          if ('fail' in step) {
            subscriber.error(step.fail);
            return;
          }
          subscriber.next(step);
        }
        subscriber.complete();
      };
      run();
      return () => clearTimeout(timer);
    });
  }

  /** The last call received. */
  get lastCall(): Call {
    const last = this.calls[this.calls.length - 1];
    if (!last) throw new Error(`ScriptedBackend ${this.id} has not been called`);
    return last.call;
  }
}

/**
 * A Runtime ({config, backends, executor, close}) whose only backend is `backend`. The config
 * declares a localstub row under the same id (so that routing and config checks know it) and
 * the scripted backend takes its place.
 */
export function scriptedRuntime(backend: ScriptedBackend, extraYaml = ''): Runtime {
  const config: Config = testConfig(`  - { id: ${backend.id}, kind: localstub }`, [`routing: { default_route: "${backend.id}:${backend.models[0] ?? 'default'}" }`, extraYaml].join('\n'));
  const backends = new Map<string, Backend>([[backend.id, backend]]);
  return runtimeWith(config, backends);
}

export interface ScriptedLip {
  readonly url: string;
  readonly backend: ScriptedBackend;
  close(): Promise<void>;
}

/** A real lip server (node:http on a free loopback port) over a ScriptedBackend `script`. */
export async function startScriptedLip(scripts: Record<string, readonly ScriptStep[]>, extraYaml = ''): Promise<ScriptedLip> {
  const backend = new ScriptedBackend('script', new Map(Object.entries(scripts)));
  const sink = new PassThrough();
  sink.resume();
  const server = new LipServer(scriptedRuntime(backend, extraYaml), createLogger({ level: 'error', format: 'json', stream: sink }));
  await server.listen('127.0.0.1', 0);
  return { url: server.url, backend, close: async () => { await server.shutdown(1_000); } };
}
