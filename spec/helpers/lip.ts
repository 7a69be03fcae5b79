import { PassThrough } from 'node:stream';
import type { Config } from '../../lib/config/index.js';
import { createRuntime, type RuntimeDeps } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer, type LipServerOptions } from '../../lib/server/lip-server.js';
import type { KindCase } from '../backends/kinds.js';
import { testConfig } from './config.js';
import type { Emulator } from './emulators/index.js';

export interface RunningLip {
  readonly url: string;
  readonly server: LipServer;
  /** Log lines written so far (JSON objects). */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts a real lip server in this process on a free loopback port. */
export async function startLip(config: Config, deps: RuntimeDeps = {}, options: LipServerOptions = {}): Promise<RunningLip> {
  const stream = new PassThrough();
  const logs: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const logger = createLogger({ level: config.logging.level === 'debug' ? 'debug' : 'info', format: 'json', stream });
  // As `lip serve` does: the runtime (features, circuits, the recorder) logs where the server does.
  const server = new LipServer(createRuntime(config, { logger, ...deps }), logger, options);
  await server.listen('127.0.0.1', 0);
  return {
    url: server.url,
    server,
    logs,
    async close() {
      await server.shutdown(1_000);
    },
  };
}

/** A Redis key prefix for one test's lips, unique to this run. */
export const redisPrefix = (name: string) => `lip-e2e-${name}-${process.pid}-${Date.now()}:`;

/**
 * `count` lip servers sharing one Redis, as instances of one deployment: each from
 * `testConfig(backendsYaml, extraYaml)` plus a `redis:` section at `redisUrl` with `prefix`
 * (`redisPrefix(name)`: unique to this run). A server that fails to start closes those already
 * started.
 */
export async function startLipsOnRedis(redisUrl: string, prefix: string, backendsYaml: string, extraYaml: string, count = 2): Promise<RunningLip[]> {
  const lips: RunningLip[] = [];
  try {
    for (let i = 0; i < count; i++) lips.push(await startLip(testConfig(backendsYaml, `${extraYaml}\nredis: { url: "${redisUrl}", key_prefix: "${prefix}" }`)));
  } catch (err) {
    for (const lip of lips) await lip.close();
    throw err;
  }
  return lips;
}

/** A lip in front of one wire-exact emulator per backend kind (`emulators[i]` serves `kinds[i]`). */
export interface LipOverKinds {
  readonly lip: RunningLip;
  readonly emulators: readonly Emulator[];
  close(): Promise<void>;
}

/**
 * Starts each kind's emulator and one lip with a backend row per kind (id `idOf(kind)`), the
 * first kind's `model-x` as the default route, plus `routingYaml` inside `routing:`.
 */
export async function startLipOverKinds(kinds: readonly KindCase[], idOf: (k: KindCase) => string, routingYaml = ''): Promise<LipOverKinds> {
  const emulators: Emulator[] = [];
  for (const k of kinds) emulators.push(await k.start());
  const rows = kinds.map((k, i) => k.row(idOf(k), emulators[i]!)).join('\n');
  const lip = await startLip(testConfig(rows, `routing: { default_route: "${idOf(kinds[0]!)}:model-x"${routingYaml ? `, ${routingYaml}` : ''} }`));
  return {
    lip,
    emulators,
    close: async () => {
      await lip.close();
      await Promise.all(emulators.map((e) => e.close()));
    },
  };
}
