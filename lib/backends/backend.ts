import type { Observable, SchedulerLike } from 'rxjs';
import type { Call, LipEvent } from '../canonical/index.js';

/** What a backend attempt targets: the model on the wire, plus the candidate key for logs. */
export interface Target {
  /** The model id sent upstream. */
  readonly model: string;
  /** `backend:model[?query]`; keys circuits and lineage. */
  readonly candidateKey: string;
}

/**
 * A configured backend. `stream()` is cold: subscribing starts the upstream request,
 * unsubscribing aborts it (the one cancellation mechanism). Failures are error notifications
 * carrying a LipError whose `retryable` tells routing whether it may move on.
 */
export interface Backend {
  readonly id: string;
  readonly kind: string;
  /** Static model inventory (configured or the kind's defaults). */
  readonly models: readonly string[];
  stream(call: Call, target: Target): Observable<LipEvent>;
  /** Releases pooled connections (config reload, shutdown). */
  close?(): Promise<void>;
}

/** Shared services handed to backend factories. */
export interface BackendDeps {
  /** Time source for delays (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  readonly env?: NodeJS.ProcessEnv;
}

export interface BackendRow {
  readonly id: string;
  readonly kind: string;
  readonly models: readonly string[];
  readonly [key: string]: unknown;
}

/** One backend kind: how its config rows look and how to build a Backend from one. */
export interface BackendKind {
  readonly kind: string;
  /** JSON Schema properties of the kind-specific row keys. */
  readonly properties: Record<string, Record<string, unknown>>;
  /** Model used for a derived default route when the row lists none. */
  readonly defaultModel?: string;
  create(row: BackendRow, deps: BackendDeps): Backend;
}
