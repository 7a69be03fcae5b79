import { checkAccess, formatPath, reloadProblems, type Config } from '../../config/index.js';
import { BACKEND_KIND_INFO } from '../../backends/registry.js';
import { PROTOCOL_PATHS } from '../../frontends/registry.js';
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
  /** `--multi-user`: the operator's explicit consent to serve a multi_user config. */
  readonly multiUser?: boolean;
}

const LOCAL_KINDS = new Set(Object.entries(BACKEND_KIND_INFO).filter(([, info]) => info.local).map(([kind]) => kind));

/**
 * Applies `--host` / `--port`, then runs every access rule again on the final settings (the
 * file, its environment secrets and the flags together): a flag can never skip a rule the
 * same value in the file would trigger.
 */
function withOverrides(config: Config, args: ServeArgs): Config {
  const server = { ...config.server, ...(args.host ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
  const final = { ...config, server };
  const problems = checkAccess(final, { localKinds: LOCAL_KINDS, protocolPaths: PROTOCOL_PATHS });
  if (problems.length > 0) {
    const flags = [args.host ? `--host ${args.host}` : '', args.port !== undefined ? `--port ${args.port}` : ''].filter(Boolean).join(' ');
    throw new LipError('LIP_ERR_CONFIG_INVALID', problems.map((p) => `${config.source}${flags ? ` with ${flags}` : ''}: ${formatPath(p.key ? [...p.path, p.key] : p.path)}: ${p.message}`).join('\n'));
  }
  return final;
}

/** `--multi-user` must match `access.mode` both ways; a mismatch is a usage error (exit 2). */
function modeMismatch(config: Config, args: ServeArgs): string | undefined {
  if (config.access.mode === 'multi_user' && !args.multiUser) return `${config.source} sets access.mode: multi_user; serving it needs lip serve --multi-user`;
  if (config.access.mode !== 'multi_user' && args.multiUser) return `--multi-user needs a config with access.mode: multi_user (${config.source} is single_user)`;
  return undefined;
}

/**
 * `lip serve`: listen, log one startup line with the URL, reload on SIGHUP (a bad file keeps
 * the running config), drain on SIGTERM/SIGINT within `server.shutdown_timeout`, exit 0.
 * Resolves with the exit code.
 */
export async function serveCommand(args: ServeArgs, io: Output): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(args.configPath);
    const mismatch = modeMismatch(config, args);
    if (mismatch) {
      io.err(`lip: ${mismatch}`);
      return 2;
    }
    config = withOverrides(config, args);
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
        const refused = reloadProblems(server.config, next);
        if (refused.length > 0) {
          logger.error('reload refused; keeping the running configuration', { error: refused.join('; ') });
          return;
        }
        // Stores whose settings did not change are handed on (one SQLite writer; circuits kept).
        const running = server.runtimeNow;
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        // The session switches (client_session_ids, resume_token_key) are not the store's: they change without reopening it.
        const storeKeys = ({ client_session_ids: _ids, resume_token_key: _key, ...store }: typeof next.continuity) => store;
        const keepStore = same(storeKeys(next.continuity), storeKeys(running.config.continuity));
        const keepBreaker = same([next.routing.circuit_breaker, next.redis], [running.config.routing.circuit_breaker, running.config.redis]);
        const featureState = same(next.redis, running.config.redis) ? running.extensions?.state : undefined;
        void server.reload(createRuntime(next,
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
