import cluster from 'node:cluster';

/**
 * The IPC messages between the primary of `lip serve --workers` and its workers (node:cluster
 * channel). A worker asks the primary for its configuration as it starts, and for something that
 * concerns every worker (a reload from the API, the config status, the metrics, the response
 * cache in memory); the primary runs each on every worker and answers.
 */
export type ClusterOp = 'config' | 'reload' | 'status' | 'metrics' | 'cache-status' | 'cache-clear';
export type WorkerOp = 'reload' | 'status' | 'metrics' | 'cache-status' | 'cache-clear';

/**
 * The answer to a starting worker's `config` ask: the config text the workers run (the one the
 * primary read and checked at start, or the last one a reload applied), and, when a reload
 * changed it, the start text, whose restart-only fields (logging, metrics, tracing) every other
 * worker still runs with. Both are absent when the config is the embedded default.
 */
export interface StartConfig { readonly text?: string; readonly start?: string }

/** worker -> primary: do `op` for the whole cluster. */
export interface AskMessage { readonly lip: 'ask'; readonly id: number; readonly op: ClusterOp }
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

export type ClusterMessage = AskMessage | AnswerMessage | RunMessage | RanMessage;

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && ['ask', 'answer', 'run', 'ran'].includes((message as { lip?: unknown }).lip as string)
    && typeof (message as { id?: unknown }).id === 'number';
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
