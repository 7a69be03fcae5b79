import cluster from 'node:cluster';
import type { Renewal, RenewalResult, Renewed } from '../../backends/credentials/index.js';

/**
 * The IPC messages between the primary of `lip serve --workers` and its workers (node:cluster
 * channel). A worker asks the primary for its configuration as it starts, and for something that
 * concerns every worker (a reload from the API, the config status, the metrics, the response
 * cache in memory); the primary runs each on every worker and answers. A worker also asks to
 * renew a credential (`renew`: the primary answers with a renewal, or lets this worker renew it
 * and hear what it gave: `renewed`), and the primary announces each renewal to every worker.
 */
export type ClusterOp = 'config' | 'reload' | 'status' | 'metrics' | 'cache-status' | 'cache-clear' | 'renew' | 'renewed';
export type WorkerOp = 'reload' | 'status' | 'metrics' | 'cache-status' | 'cache-clear';

/**
 * The answer to a starting worker's `config` ask: the config text the workers run (the one the
 * primary read and checked at start, or the last one a reload applied), and, when a reload
 * changed it, the start text, whose restart-only fields (logging, metrics, tracing) every other
 * worker still runs with. Both are absent when the config is the embedded default.
 */
export interface StartConfig { readonly text?: string; readonly start?: string }

/**
 * What a worker says of a credential it renews (ops `renew` and `renewed`): its name, the
 * generation it holds, and, once it renewed it, what renewing gave.
 */
export interface RenewalNote { readonly login: string; readonly generation: number; readonly result?: RenewalResult<unknown> }

/** The primary's answer to `renew`: a renewal to adopt, or the turn to renew the credential here (then `renewed`). */
export type RenewalTurn = Renewal<unknown> | { readonly renewHere: true };

/** worker -> primary: do `op` for the whole cluster. */
export interface AskMessage { readonly lip: 'ask'; readonly id: number; readonly op: ClusterOp; readonly renewal?: RenewalNote }
/** primary -> worker: the answer to an ask. */
export interface AnswerMessage { readonly lip: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: string }
/**
 * primary -> worker: run `op` in this worker. A reload carries what asked for it and the config
 * file's text, read once by the primary so that every worker applies the same configuration (a
 * file caught mid-write would otherwise leave workers on different ones).
 */
export interface RunMessage { readonly lip: 'run'; readonly id: number; readonly op: WorkerOp; readonly trigger?: 'signal' | 'api'; readonly text?: string }
/** worker -> primary: what `run` gave. */
export interface RanMessage { readonly lip: 'ran'; readonly id: number; readonly value?: unknown; readonly error?: string }

/** primary -> every worker: a worker renewed the credential `login` (no answer). */
export interface RenewedMessage extends Renewed<unknown> { readonly lip: 'renewed'; readonly login: string }

export type ClusterMessage = AskMessage | AnswerMessage | RunMessage | RanMessage | RenewedMessage;

export function isClusterMessage(message: unknown): message is ClusterMessage {
  if (typeof message !== 'object' || message === null) return false;
  const { lip, id, login } = message as { lip?: unknown; id?: unknown; login?: unknown };
  return lip === 'renewed' ? typeof login === 'string' : ['ask', 'answer', 'run', 'ran'].includes(lip as string) && typeof id === 'number';
}

/**
 * Set by the primary in its workers' environment: this process is a lip worker, in the slot
 * given (1 to N; a restarted worker takes the slot of the one it replaces).
 */
export const WORKER_ENV = 'LIP_CLUSTER_WORKER';

/** This worker's slot (1 to N), or undefined outside `lip serve --workers`. */
export function workerSlot(env: NodeJS.ProcessEnv = process.env, isWorker = cluster.isWorker): number | undefined {
  const slot = Number(env[WORKER_ENV]);
  return isWorker && Number.isInteger(slot) && slot >= 1 ? slot : undefined;
}

/**
 * The recording file of a worker: `traffic.jsonl` becomes `traffic.w2.jsonl`. Each worker
 * writes and rotates its own files; workers appending to one file would each rotate it by their
 * own count and move or delete each other's lines.
 */
export function workerRecordingPath(path: string, slot: number): string {
  const m = /^(.*?[^/])(\.[^./]+)?$/.exec(path);
  return m ? `${m[1]}.w${slot}${m[2] ?? ''}` : `${path}.w${slot}`;
}

/** How long the primary waits for every worker to answer a reload or a status read. */
export const WORKER_ANSWER_MS = 30_000;

/** How long a scrape waits for the workers' metrics (a worker that misses it is left out). */
export const METRICS_ANSWER_MS = 5_000;

/**
 * How long the primary waits for the worker renewing a credential (a Codex refresh takes at most
 * 30 s) before failing the workers waiting for it; less than a worker waits for any answer.
 */
export const RENEWAL_ANSWER_MS = 45_000;
