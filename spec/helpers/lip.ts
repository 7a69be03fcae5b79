import { PassThrough } from 'node:stream';
import type { Config } from '../../lib/config/index.js';
import { createRuntime, type RuntimeDeps } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer, type LipServerOptions } from '../../lib/server/lip-server.js';

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
  const server = new LipServer(createRuntime(config, deps), logger, options);
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
