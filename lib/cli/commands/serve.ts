import { isLoopbackHost, type Config } from '../../config/index.js';
import { configWarnings } from '../../core/config-warnings.js';
import { createRuntime } from '../../core/runtime.js';
import { LipError, isLipError } from '../../errors/index.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { LipServer } from '../../server/lip-server.js';
import { installProcessLastResort } from '../../server/last-resort.js';
import { loadConfig } from '../config-source.js';
import type { Output } from '../output.js';

export interface ServeArgs {
  readonly configPath: string | undefined;
  readonly host?: string;
  readonly port?: number;
}

/** Applies `--host` / `--port`; a non-loopback host still needs auth keys. */
function withOverrides(config: Config, args: ServeArgs): Config {
  const server = { ...config.server, ...(args.host ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
  if (!isLoopbackHost(server.host) && config.auth.api_keys.length === 0) {
    throw new LipError('LIP_ERR_CONFIG_INVALID', `listening on the non-loopback host "${server.host}" needs auth.api_keys in the config`);
  }
  return { ...config, server };
}

/**
 * `lip serve`: listen, log one startup line with the URL, reload on SIGHUP (a bad file keeps
 * the running config), drain on SIGTERM/SIGINT within `server.shutdown_timeout`, exit 0.
 * Resolves with the exit code.
 */
export async function serveCommand(args: ServeArgs, io: Output): Promise<number> {
  let config: Config;
  try {
    config = withOverrides(loadConfig(args.configPath), args);
  } catch (err) {
    io.err(isLipError(err) ? `lip: ${err.message}` : String(err));
    return 1;
  }
  const logger: Logger = createLogger(config.logging);
  // The same warnings as `lip check-config`, once at start.
  for (const warning of configWarnings(config)) logger.warn(`config: ${warning}`, { config: config.source });
  installProcessLastResort();
  const server = new LipServer(createRuntime(config, { logger }), logger);
  try {
    await server.listen(config.server.host, config.server.port);
  } catch (err) {
    io.err(`lip: ${isLipError(err) ? err.message : String(err)}`);
    return 1;
  }
  logger.info(`lip listening on ${server.url}`, { url: server.url, config: config.source, default_route: config.routing.default_route });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal: exiting without waiting', { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info('draining', { signal, timeout_ms: server.config.server.shutdown_timeout });
      server.shutdown().then(({ cancelled }) => {
        logger.info('stopped', { cancelled });
        process.removeListener('SIGHUP', reload);
        resolve(0);
      }, (err: unknown) => {
        logger.error('shutdown failed', { error: String(err) });
        resolve(1);
      });
    };
    const reload = () => {
      try {
        const next = withOverrides(loadConfig(args.configPath), args);
        if (next.server.host !== server.config.server.host || next.server.port !== server.config.server.port) {
          logger.warn('reload: server.host and server.port changes need a restart; keeping the current listener');
        }
        // Stores whose settings did not change are handed on (one SQLite writer; circuits kept).
        const running = server.runtimeNow;
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const keepStore = same(next.continuity, running.config.continuity);
        const keepBreaker = same([next.routing.circuit_breaker, next.redis], [running.config.routing.circuit_breaker, running.config.redis]);
        const featureState = same(next.redis, running.config.redis) ? running.extensions?.state : undefined;
        void server.reload(createRuntime({ ...next, server: { ...next.server, host: server.config.server.host, port: server.config.server.port } },
          { logger, ...(keepStore ? { continuity: running.continuity } : {}), ...(keepBreaker ? { breaker: running.breaker } : {}), ...(featureState ? { featureState } : {}) }));
        logger.info('configuration reloaded', { config: next.source, default_route: next.routing.default_route });
      } catch (err) {
        logger.error('reload failed; keeping the running configuration', { error: isLipError(err) ? err.message : String(err) });
      }
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.on('SIGHUP', reload);
  });
}
