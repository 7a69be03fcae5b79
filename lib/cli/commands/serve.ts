import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { checkAccess, formatPath, readConfigTextAsync, reloadProblems, withRestartFieldsKept, type Config } from '../../config/index.js';
import { BACKEND_KIND_INFO } from '../../backends/registry.js';
import { PROTOCOL_PATHS } from '../../frontends/registry.js';
import { configWarnings } from '../../core/config-warnings.js';
import { createRuntime } from '../../core/runtime.js';
import { LipError, isLipError } from '../../errors/index.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import type { ConfigControl } from '../../server/config-control.js';
import { LipServer } from '../../server/lip-server.js';
import { installProcessLastResort } from '../../server/last-resort.js';
import { workerRecordingPath, workerSlot } from '../cluster/messages.js';
import { perWorkerStateWarnings } from '../cluster/per-worker-state.js';
import { runPrimary } from '../cluster/primary.js';
import { WorkerLink } from '../cluster/worker-link.js';
import { loadConfigText } from '../config-source.js';
import { takeEarlySignals, type EarlySignals } from '../early-signals.js';
import { autoWorkers } from '../parse-workers.js';
import type { Output } from '../output.js';
import { Reloader } from '../reloader.js';

export interface ServeArgs {
  readonly configPath: string | undefined;
  readonly host?: string;
  readonly port?: number;
  /** `--multi-user`: the operator's explicit consent to serve a multi_user config. */
  readonly multiUser?: boolean;
  /** `--workers`: processes serving the one listener (`auto`: one per available core). */
  readonly workers?: number | 'auto';
}

const LOCAL_KINDS = new Set(Object.entries(BACKEND_KIND_INFO).filter(([, info]) => info.local).map(([kind]) => kind));

/**
 * Applies `--host` / `--port`, then runs every access rule again on the final settings (the
 * file, its environment secrets and the flags together): a flag can never skip a rule the
 * same value in the file would trigger.
 */
function withOverrides(config: Config, args: ServeArgs): Config {
  const server = { ...config.server, ...(args.host ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
  // Under --workers each worker records to its own file (see workerRecordingPath).
  const slot = workerSlot();
  const recording = slot !== undefined && config.recording.enabled ? { ...config.recording, path: workerRecordingPath(config.recording.path, slot) } : config.recording;
  const final = { ...config, server, recording };
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
 * the running config), drain on SIGTERM (`server.drain_delay`, then `server.shutdown_timeout`)
 * or SIGINT (no drain delay), exit 0. With `--workers N` (N > 1) this process becomes the
 * primary of N worker processes that share the listener (`cluster/primary.ts`); each worker
 * runs this same command. Resolves with the exit code.
 */
export async function serveCommand(args: ServeArgs, io: Output): Promise<number> {
  // Kept since bin/lip.js started (catchEarlySignals), or from now when run in process.
  const early = takeEarlySignals();
  try {
    return await serveWith(args, io, early);
  } finally {
    early.dispose();
  }
}

/**
 * The configuration a worker of `lip serve --workers` starts with: the text the primary hands
 * it (the file as it is now may hold a change a reload refused, or, for a pipe, nothing more),
 * with the restart-only fields of the start when a reload changed the text since.
 */
async function workerConfig(link: WorkerLink, args: ServeArgs): Promise<{ config: Config; start?: Config }> {
  const { text, start } = await link.startConfig();
  return {
    config: loadConfigText(args.configPath, text),
    ...(start !== undefined ? { start: loadConfigText(args.configPath, start) } : {}),
  };
}

/**
 * The text of the config to start with, or the stop that came first: a pipe, a FIFO or a
 * terminal keeps lip waiting as long as its writer does, and a SIGINT or SIGTERM ends the wait.
 */
async function startText(path: string, early: EarlySignals): Promise<{ text: string } | { stopped: NodeJS.Signals }> {
  const reading = new AbortController();
  const stopped = early.stopped.then((signal) => {
    reading.abort();
    return { stopped: signal };
  });
  return Promise.race([readConfigTextAsync(path, reading.signal).then((text) => ({ text })), stopped]);
}

async function serveWith(args: ServeArgs, io: Output, early: EarlySignals): Promise<number> {
  const link = workerSlot() !== undefined ? new WorkerLink() : undefined;
  let config: Config;
  let text: string | undefined;
  try {
    let start: Config | undefined;
    if (link) ({ config, start } = await workerConfig(link, args));
    else {
      // Read once: the primary of --workers hands this text to its workers.
      const read = args.configPath === undefined ? undefined : await startText(args.configPath, early);
      if (read !== undefined && 'stopped' in read) {
        // No config yet, so its logging neither: the defaults (level info, JSON lines on stdout).
        createLogger({ level: 'info', format: 'json' }).info('stopped before serving', { signal: read.stopped });
        return 0;
      }
      text = read?.text;
      config = loadConfigText(args.configPath, text);
    }
    const mismatch = modeMismatch(config, args);
    if (mismatch) {
      io.err(`lip: ${mismatch}`);
      link?.close();
      return 2;
    }
    config = withOverrides(config, args);
    if (start) config = withRestartFieldsKept(config, withOverrides(start, args));
  } catch (err) {
    io.err(isLipError(err) ? `lip: ${err.message}` : String(err));
    link?.close();
    return 1;
  }
  const workers = args.workers === 'auto' ? autoWorkers(availableParallelism(), readIfThere) : args.workers ?? 1;
  if (workers > 1 && cluster.isPrimary) {
    // The workers write to this same standard output: every process writes lines that cannot interleave.
    const logger = createLogger({ ...config.logging, shared: true });
    for (const warning of configWarnings(config)) logger.warn(`config: ${warning}`, { config: config.source });
    for (const warning of perWorkerStateWarnings(config, workers)) logger.warn(warning, { workers });
    if (early.stop) {
      logger.info('stopped before serving', { signal: early.stop });
      return 0;
    }
    early.dispose();
    return runPrimary({ workers, config, logger, configPath: args.configPath, ...(text !== undefined ? { configText: text } : {}) });
  }
  return serveProcess(config, args, io, early, link);
}

/** One serving process: the whole server, or one worker of `--workers` (`link`: its line to the primary). */
async function serveProcess(config: Config, args: ServeArgs, io: Output, early: EarlySignals, link: WorkerLink | undefined): Promise<number> {
  const clustered = link !== undefined;
  const base: Logger = createLogger({ ...config.logging, shared: clustered });
  const logger = clustered ? base.child({ worker: cluster.worker!.id }) : base;
  // The same warnings as `lip check-config`, once at start (by the primary under --workers).
  if (!clustered) for (const warning of configWarnings(config)) logger.warn(`config: ${warning}`, { config: config.source });
  installProcessLastResort();
  let reloader: Reloader | undefined;
  const local: ConfigControl = {
    reload: (trigger, text) => reloader!.reload(trigger, text),
    status: () => reloader!.status(),
  };
  const server = new LipServer(createRuntime(config, { logger, ...(link ? { renewals: link.renewals } : {}) }), logger, {
    control: link?.control ?? local,
    ...(link ? { clusterMetrics: link.metrics, clusterCache: link.cache } : {}),
  });
  reloader = new Reloader(server, (text) => withOverrides(loadConfigText(args.configPath, text), args), logger);
  // A worker whose cache was turned off by a reload has nothing to clear or count.
  link?.attach(local, () => server.metricsJson(), {
    clear: () => server.runtimeNow.cache?.store.clear() ?? Promise.resolve(0),
    status: () => server.runtimeNow.cache?.status() ?? {},
  });
  try {
    await server.listen(config.server.host, config.server.port);
  } catch (err) {
    io.err(`lip: ${isLipError(err) ? err.message : String(err)}`);
    link?.close();
    return 1;
  }
  // The operator listener's address too (diagnostics.listen), port 0 included: nothing else says which port it got.
  const operator = server.operatorUrl === undefined ? {} : { operator_url: server.operatorUrl };
  if (clustered) logger.info('worker listening', { url: server.url, pid: process.pid, ...operator });
  else logger.info(`lip listening on ${server.url}`, { url: server.url, ...operator, config: config.source, default_route: config.routing.default_route });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: NodeJS.Signals, beforeServing = false) => {
      if (stopping) {
        // Under --workers the primary forwards signals and owns the forced stop (a terminal's
        // Ctrl-C also reaches every worker directly): a repeat here is not a second request.
        if (clustered) return;
        logger.warn('second signal: exiting without waiting', { signal });
        process.exit(1);
      }
      stopping = true;
      // SIGTERM is what orchestrators send: stay reachable while probes see /readyz fail.
      // SIGINT (Ctrl-C) is a person at a terminal: no one to wait for.
      const delayMs = signal === 'SIGTERM' && !beforeServing ? server.config.server.drain_delay : 0;
      logger.info('draining', { signal, drain_delay_ms: delayMs, timeout_ms: server.config.server.shutdown_timeout });
      server.drain();
      if (delayMs > 0) {
        await new Promise((r) => setTimeout(r, delayMs));
        logger.info('closing the listener', { signal });
      }
      server.shutdown().then(({ cancelled }) => {
        logger.info('stopped', { cancelled });
        process.removeListener('SIGHUP', reload);
        process.removeListener('SIGTERM', onStop);
        process.removeListener('SIGINT', onStop);
        link?.close();
        resolve(0);
      }, (err: unknown) => {
        logger.error('shutdown failed', { error: String(err) });
        resolve(1);
      });
    };
    // Under --workers the primary reloads every worker with the text it read: a worker does not
    // read the file on a SIGHUP of its own (a hangup of the terminal reaches every process).
    // Once stopping, none: a reload would replace the stores and the recorder under the requests
    // the shutdown is about to cancel.
    const reload = () => {
      if (clustered) return;
      if (stopping) return void logger.warn('reload ignored: shutting down', { trigger: 'signal' });
      void reloader!.reload('signal');
    };
    const onStop = (signal: NodeJS.Signals) => void stop(signal);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', reload);
    early.dispose();
    if (early.stop) void stop(early.stop, true);
    else if (early.reload) reload();
  });
}

/** A small file's text, or undefined when it is not there (the cgroup files `--workers auto` reads). */
function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
