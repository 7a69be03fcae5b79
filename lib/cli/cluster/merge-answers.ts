import type { ClusterCache } from '../../server/admin.js';
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

/**
 * The cluster's response-cache clear (`cache.store: memory`): the sum of what each worker
 * cleared. A worker that failed or did not answer makes it an error (the others are cleared).
 */
export function mergeCacheClears(answers: readonly WorkerAnswer<number>[]): Awaited<ReturnType<ClusterCache['clear']>> {
  const failed = answers.find((a) => a.value === undefined);
  if (failed) throw new Error(`worker ${failed.worker}: ${failed.error ?? 'no answer'} (${answers.filter((a) => a.value !== undefined).length} other workers were cleared)`);
  const workers = answers.map((a) => ({ worker: a.worker, pid: a.pid, cleared: a.value! }));
  return { cleared: workers.reduce((sum, w) => sum + w.cleared, 0), workers };
}

/** The cluster's response cache (`cache.store: memory`): the settings, entries and bytes summed, and each worker's own. */
export function mergeCacheStatus(answers: readonly WorkerAnswer<Record<string, unknown>>[]): Record<string, unknown> {
  const first = answers.find((a) => a.value !== undefined)?.value;
  if (first === undefined) throw new Error(answers.length === 0 ? 'no worker is serving' : `no worker answered (${answers[0]!.error ?? 'no answer'})`);
  const { entries: _entries, bytes: _bytes, ...settings } = first;
  const count = (a: WorkerAnswer<Record<string, unknown>>, field: string) => Number(a.value?.[field] ?? 0);
  return {
    ...settings,
    entries: answers.reduce((sum, a) => sum + count(a, 'entries'), 0),
    bytes: answers.reduce((sum, a) => sum + count(a, 'bytes'), 0),
    workers: answers.map((a) => (a.value !== undefined
      ? { worker: a.worker, pid: a.pid, entries: count(a, 'entries'), bytes: count(a, 'bytes') }
      : { worker: a.worker, pid: a.pid, error: a.error ?? 'no answer' })),
  };
}
