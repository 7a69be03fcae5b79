import type { ConfigStatus, ReloadOutcome, WorkerOutcome } from '../../server/config-control.js';

/** One worker's answer to a `run` (the value, or why there is none). */
export interface WorkerAnswer<T> {
  readonly worker: number;
  readonly pid: number;
  readonly value?: T;
  readonly error?: string;
}

const union = (lists: readonly (readonly string[])[]) => [...new Set(lists.flat())];

/**
 * The cluster's reload outcome from each worker's: `failed` when any worker failed or did not
 * answer (the others may have applied the change: `workers` says which), else `reloaded` when
 * any applied a change, else `unchanged`.
 */
export function mergeReloads(answers: readonly WorkerAnswer<ReloadOutcome>[], at: Date): ReloadOutcome {
  const outcomes = answers.flatMap((a) => (a.value ? [a.value] : []));
  const workers: WorkerOutcome[] = answers.map((a) => ({
    worker: a.worker, pid: a.pid, status: a.value?.status ?? 'no_answer',
    ...(a.value?.error ?? a.error ? { error: a.value?.error ?? a.error } : {}),
  }));
  const failed = workers.find((w) => w.status === 'failed' || w.status === 'no_answer');
  const status = answers.length === 0 || failed ? 'failed' : outcomes.some((o) => o.status === 'reloaded') ? 'reloaded' : 'unchanged';
  return {
    status,
    trigger: outcomes[0]?.trigger ?? 'api',
    at: at.toISOString(),
    config: outcomes[0]?.config ?? '',
    changed: union(outcomes.map((o) => o.changed)),
    restart_required: union(outcomes.map((o) => o.restart_required)),
    ...(status === 'failed' ? { error: answers.length === 0 ? 'no worker is running' : `worker ${failed!.worker}: ${failed!.error ?? 'no answer'}` } : {}),
    workers,
  };
}

/** The cluster's config status: the most recent reload of any worker, and every worker's own. */
export function mergeStatus(answers: readonly WorkerAnswer<ConfigStatus>[], startedAt: Date): ConfigStatus {
  const statuses = answers.flatMap((a) => (a.value ? [{ ...a.value, worker: a.worker, pid: a.pid }] : []));
  const last = statuses.map((s) => s.last_reload).filter((r): r is ReloadOutcome => r !== null).sort((a, b) => a.at.localeCompare(b.at)).at(-1) ?? null;
  return {
    config: statuses[0]?.config ?? '',
    started_at: startedAt.toISOString(),
    last_reload: last,
    pending_restart: union(statuses.map((s) => s.pending_restart)),
    workers: statuses,
  };
}
