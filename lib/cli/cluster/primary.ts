import cluster, { type Worker } from 'node:cluster';
import { readConfigText, type Config } from '../../config/index.js';
import { isLipError } from '../../errors/index.js';
import type { Logger } from '../../observability/logger.js';
import { aggregateWorkerMetrics } from '../../observability/cluster-metrics.js';
import type { ConfigStatus, ReloadOutcome } from '../../server/config-control.js';
import { mergeCacheClears, mergeCacheStatus, mergeReloads, mergeStatus, type WorkerAnswer } from './merge-answers.js';
import { ClusterRenewals } from './cluster-renewals.js';
import { isClusterMessage, METRICS_ANSWER_MS, WORKER_ANSWER_MS, WORKER_ENV, type AnswerMessage, type AskMessage, type RanMessage, type RenewedMessage, type RunMessage, type StartConfig, type WorkerOp } from './messages.js';
import { RestartBackoff } from './restart-backoff.js';

/** A reload as the primary read it: `seq` orders them, `text` is the file's (none: the embedded default). */
interface Reload { readonly seq: number; readonly trigger: 'signal' | 'api'; readonly text?: string }

export interface PrimaryOptions {
  readonly workers: number;
  /** The config the primary validated (its logging and metrics settings apply here). */
  readonly config: Config;
  readonly logger: Logger;
  /** The config file (undefined: the embedded default), read once per reload for every worker. */
  readonly configPath?: string;
  /** The text of `configPath` that `config` was read from: what each worker starts with. */
  readonly configText?: string;
}

/**
 * The primary of `lip serve --workers N`: forks N workers that share one listener (node:cluster
 * hands connections out round-robin), hands each worker as it starts the config text the workers
 * run (never the file as it is now: a restarted worker joins the others' configuration, and a
 * pipe is read once), forwards SIGTERM and SIGINT to every worker, reloads
 * them all on SIGHUP or a reload from the API (the file read once, its text sent to each worker),
 * restarts a worker that exits unexpectedly (with `RestartBackoff`), answers what concerns all
 * workers (reload from the API, config status, metrics summed over the workers that listen,
 * renewing a credential they share: `ClusterRenewals`) and exits once
 * every worker has stopped: 0 when all stopped cleanly. A worker that exits before every worker
 * has listened ends the start (exit 1: the port is taken, the config cannot be read ...). A
 * second stop signal kills the workers at once (exit 1).
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { workers: count, logger } = options;
  const startedAt = new Date();
  const backoff = new RestartBackoff();
  const live = new Map<number, { worker: Worker; startedAt: number; slot: number }>();
  const listened = new Set<number>();
  const restarts = new Set<NodeJS.Timeout>();
  const runs = new Map<string, (reply: RanMessage | undefined) => void>();
  let nextRun = 0;
  let announced = false;
  let stopping = false;
  let stopSignal: NodeJS.Signals | undefined;
  let exitCode = 0;
  /** The config text the workers run: the start text, then that of the last reload a worker applied. */
  let running = options.configText;
  /** Reloads read so far, and the one whose text `running` holds (0: the start). */
  let reads = 0;
  let applied = 0;
  /** The reload each worker that was still starting when it ran gets once it listens. */
  const owed = new Map<number, Reload>();
  /** Renewals of the credentials the workers share, each announced to every worker. */
  const renewals = new ClusterRenewals((login, renewed) => {
    const message: RenewedMessage = { lip: 'renewed', login, ...renewed };
    for (const { worker } of live.values()) if (worker.isConnected()) worker.send(message);
  });

  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ [WORKER_ENV]: String(slot) });
    live.set(worker.id, { worker, startedAt: Date.now(), slot });
    logger.info('worker started', { worker: worker.id, pid: worker.process.pid, slot });
    return worker;
  };

  /** Asks each of `workers` to run `op` and waits for each answer (bounded). */
  const runOn = <T>(workers: readonly Worker[], op: WorkerOp, extra: Pick<RunMessage, 'trigger' | 'text'> = {}): Promise<WorkerAnswer<T>[]> => Promise.all(workers
    .map((worker) => new Promise<WorkerAnswer<T>>((resolve) => {
      const id = nextRun++;
      const key = `${worker.id}:${id}`;
      const pid = worker.process.pid ?? 0;
      const timer = setTimeout(() => settle(undefined), op === 'metrics' ? METRICS_ANSWER_MS : WORKER_ANSWER_MS);
      const onExit = () => settle(undefined);
      function settle(reply: RanMessage | undefined) {
        clearTimeout(timer);
        runs.delete(key);
        worker.removeListener('exit', onExit);
        resolve({ worker: worker.id, pid, ...(reply?.value !== undefined ? { value: reply.value as T } : {}), ...(reply?.error !== undefined ? { error: reply.error } : reply ? {} : { error: 'no answer' }) });
      }
      runs.set(key, settle);
      worker.once('exit', onExit);
      const message: RunMessage = { lip: 'run', id, op, ...extra };
      worker.send(message);
    })));

  /** Asks every serving worker (a worker still starting is left out). */
  const runOnAll = <T>(op: WorkerOp, extra: Pick<RunMessage, 'trigger' | 'text'> = {}): Promise<WorkerAnswer<T>[]> =>
    runOn<T>([...live.values()].map(({ worker }) => worker).filter((worker) => worker.isConnected() && listened.has(worker.id)), op, extra);

  /** A worker started from now on gets the text of a reload once a worker applied it (a refused or invalid one is never handed out). */
  const adopt = (reload: Reload, answers: readonly WorkerAnswer<ReloadOutcome>[]) => {
    if (reload.seq <= applied || !answers.some((a) => a.value && a.value.status !== 'failed')) return;
    running = reload.text;
    applied = reload.seq;
  };

  /** Runs the reload a worker was owed because it was still starting; called once it listens. */
  const reloadLate = async (worker: Worker) => {
    const reload = owed.get(worker.id);
    if (!reload) return;
    owed.delete(worker.id);
    const answers = await runOn<ReloadOutcome>([worker], 'reload', { trigger: reload.trigger, ...(reload.text !== undefined ? { text: reload.text } : {}) });
    adopt(reload, answers);
    const status = answers[0]?.value?.status ?? 'no_answer';
    const error = answers[0]?.value?.error ?? answers[0]?.error;
    logger.info('reload of a worker that was starting', { worker: worker.id, trigger: reload.trigger, status, ...(error ? { error } : {}) });
  };

  /** The sum over the workers that answered in time (a worker still starting is left out). */
  const collectMetrics = async (): Promise<string> => {
    const answers = await runOnAll<unknown[]>('metrics');
    const registries = answers.flatMap((a) => (a.value ? [a.value] : []));
    if (registries.length === 0) throw new Error(answers[0]?.error ?? 'no worker is serving');
    return aggregateWorkerMetrics(registries);
  };

  /**
   * Reloads every serving worker with the file's text as read now, once: the workers apply the
   * same configuration even when the file changes while they reload. A file that cannot be read
   * reloads none of them. A worker still starting (it may have its configuration already, as at
   * a SIGHUP right after the start) gets the same reload once it listens. None once the workers
   * are being stopped: each would replace its stores and recorder under the requests its
   * shutdown is about to cancel.
   */
  const reloadAll = async (trigger: 'signal' | 'api'): Promise<ReloadOutcome> => {
    if (stopping) {
      logger.warn('reload ignored: shutting down', { trigger });
      return { status: 'failed', trigger, config: options.config.source, at: new Date().toISOString(), changed: [], restart_required: [], error: 'the server is shutting down' };
    }
    let text: string | undefined;
    try {
      text = options.configPath === undefined ? undefined : readConfigText(options.configPath, true);
    } catch (err) {
      const error = isLipError(err) ? err.message : String(err);
      logger.error('reload failed; every worker keeps its running configuration', { trigger, error });
      return { status: 'failed', trigger, config: options.config.source, at: new Date().toISOString(), changed: [], restart_required: [], error };
    }
    const reload: Reload = { seq: ++reads, trigger, ...(text !== undefined ? { text } : {}) };
    const answers = await runOnAll<ReloadOutcome>('reload', { trigger, ...(text !== undefined ? { text } : {}) });
    adopt(reload, answers);
    // Asked after the answers: a worker restarted while the others reloaded may have started from the text before.
    const late = [...live.values()].map(({ worker }) => worker).filter((worker) => !answers.some((a) => a.worker === worker.id));
    for (const worker of late) {
      owed.set(worker.id, reload);
      if (listened.has(worker.id)) void reloadLate(worker);
    }
    if (answers.length === 0 && late.length > 0) {
      logger.info('reload waits for the workers still starting', { trigger, workers: late.map((w) => w.id) });
      return { ...mergeReloads(answers, new Date()), error: 'no worker is serving yet: each reloads once it listens' };
    }
    const outcome = mergeReloads(answers, new Date());
    logger.info('reload of all workers', {
      trigger, status: outcome.status, changed: outcome.changed, restart_required: outcome.restart_required,
      ...(outcome.error ? { error: outcome.error } : {}), ...(late.length > 0 ? { starting: late.map((w) => w.id) } : {}),
    });
    return outcome;
  };

  /** What a starting worker serves: the text the others run, with the start's restart-only fields. */
  const startConfig = (): StartConfig => ({
    ...(running !== undefined ? { text: running } : {}),
    ...(running !== options.configText && options.configText !== undefined ? { start: options.configText } : {}),
  });

  /** A worker's ask about a credential it renews: the turn to renew it, or a renewal (ClusterRenewals). */
  const renewing = (worker: Worker, { op, renewal }: AskMessage) => {
    if (renewal === undefined) throw new Error(`"${op}" names no credential`);
    return op === 'renew'
      ? renewals.turn(worker.id, renewal.login, renewal.generation)
      : renewals.done(worker.id, renewal.login, renewal.generation, renewal.result ?? { failure: 'the worker said nothing of it', forGood: false });
  };

  const answer = async (worker: Worker, ask: AskMessage) => {
    let reply: AnswerMessage;
    try {
      const value: unknown = ask.op === 'config'
        ? startConfig()
        : ask.op === 'metrics'
          ? await collectMetrics()
          : ask.op === 'reload'
            ? await reloadAll('api')
            : ask.op === 'cache-clear'
              ? mergeCacheClears(await runOnAll<number>('cache-clear'))
              : ask.op === 'cache-status'
                ? mergeCacheStatus(await runOnAll<Record<string, unknown>>('cache-status'))
                : ask.op === 'renew' || ask.op === 'renewed'
                  ? await renewing(worker, ask)
                  : mergeStatus(await runOnAll<ConfigStatus>('status'), startedAt);
      reply = { lip: 'answer', id: ask.id, value };
    } catch (err) {
      reply = { lip: 'answer', id: ask.id, error: err instanceof Error ? err.message : String(err) };
    }
    if (worker.isConnected()) worker.send(reply);
  };

  return new Promise<number>((resolve) => {
    const finish = () => {
      process.removeListener('SIGTERM', onStop);
      process.removeListener('SIGINT', onStop);
      process.removeListener('SIGHUP', onReload);
      logger.info('stopped', { workers: count, exit_code: exitCode });
      resolve(exitCode);
    };
    const stop = (signal: NodeJS.Signals, reason?: string) => {
      if (stopping) {
        logger.warn('second signal: stopping the workers at once', { signal });
        for (const { worker } of live.values()) worker.process.kill('SIGKILL');
        exitCode = 1;
        return;
      }
      stopping = true;
      stopSignal = signal;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      logger.info('stopping the workers', { signal, workers: live.size, ...(reason ? { reason } : {}) });
      for (const { worker } of live.values()) worker.process.kill(signal);
      if (live.size === 0) finish();
    };
    const onStop = (signal: NodeJS.Signals) => stop(signal);
    const onReload = () => void reloadAll('signal');

    cluster.on('listening', (worker: Worker, address: { address: string; port: number; addressType: number | string }) => {
      listened.add(worker.id);
      void reloadLate(worker);
      if (announced || listened.size < count) return;
      announced = true;
      const host = address.addressType === 6 || address.addressType === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${host}:${address.port}`;
      logger.info(`lip listening on ${url}`, { url, workers: count, config: options.config.source, default_route: options.config.routing.default_route });
    });
    cluster.on('message', (worker: Worker, message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.lip === 'ask') void answer(worker, message);
      else if (message.lip === 'ran') runs.get(`${worker.id}:${message.id}`)?.(message);
    });
    cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
      const entry = live.get(worker.id);
      live.delete(worker.id);
      listened.delete(worker.id);
      owed.delete(worker.id);
      renewals.gone(worker.id);
      if (stopping) {
        // A worker still starting has no handler yet: the forwarded signal ends it, cleanly.
        if (code !== 0 && signal !== stopSignal) exitCode = 1;
        if (live.size === 0) finish();
        return;
      }
      if (!announced) {
        logger.error('a worker exited before every worker was listening; stopping', { worker: worker.id, pid: worker.process.pid, code, signal });
        exitCode = 1;
        stop('SIGTERM', 'start failed');
        return;
      }
      const delay = backoff.next(Date.now() - (entry?.startedAt ?? Date.now()));
      logger.error('worker exited; restarting it', { worker: worker.id, pid: worker.process.pid, code, signal, restart_in_ms: delay });
      const slot = entry?.slot ?? 1;
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork(slot);
      }, delay);
      restarts.add(timer);
    });
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onReload);
    for (let slot = 1; slot <= count; slot++) fork(slot);
  });
}
