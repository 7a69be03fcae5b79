import type { Observable, SchedulerLike } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import type { Leaf } from '../selector/ast.js';
import type { RouteJournal } from './route-journal.js';

/** A leaf ready to be tried: its backend, model and candidate key. */
export interface Candidate {
  readonly backend: string;
  readonly model: string;
  /** `backend:model[?query]`: keys circuits, lineage and diagnostics. */
  readonly key: string;
  readonly leaf: Leaf;
}

/** Why a candidate is not tried right now. */
export interface Skip {
  readonly reason: string;
  /** When it may be eligible again (an open circuit's next probe), in milliseconds from now. */
  readonly retryAfterMs?: number;
  /** The request is too long for it: its estimated size over the candidate's context limit. */
  readonly overflow?: ContextOverflow;
}

/** A request's estimated size in tokens over a context limit (`max_context`, a model's known window). */
export interface ContextOverflow {
  readonly tokens: number;
  readonly limit: number;
}

/** What an attempt is told by the operator that runs it (one object per attempt). */
export interface AttemptRole {
  /** Part of a race: its output commits only if it wins. */
  readonly inRace: boolean;
  /** A `[first]` weighted branch. */
  readonly first?: boolean;
  /** Set by the operator just before it cancels the attempt (`race loser`). */
  cancelReason?: string;
  /** What `admit` granted (a circuit decision), handed back when the attempt ends. */
  admission?: unknown;
}

/**
 * Everything the plan needs from the rest of the system for one request. The core supplies
 * it; routing stays free of backends, clocks and randomness of its own.
 */
export interface RouteContext {
  readonly scheduler: SchedulerLike;
  /** Uniform in [0, 1). */
  readonly rng: () => number;
  /** The request's estimated input tokens, for `max_context` / `min_context` (undefined: filters pass). */
  readonly estimatedTokens: number | undefined;
  /** An A-leg's first request: `[first]` branches are taken without a roll. */
  readonly firstRequest: boolean;
  /** Backend opens left (`routing.max_attempts`, race legs count one each). */
  readonly budget: { remaining: number };
  readonly maxAttempts: number;
  readonly journal: RouteJournal;
  /** `{affinity=...}`: the candidate key this conversation or client is bound to, tried first. */
  readonly sticky?: string;
  /** Set when the plan itself cancels its running attempts (the global TTFT budget). */
  cancelReason?: string;
  /**
   * Opens one backend attempt: overrides merged, leaf budget applied, the events it may send
   * before its first output bounded (`server.max_pending_wire_events`), attempt reported.
   */
  open(candidate: Candidate, role: AttemptRole): Observable<LipEvent>;
  /**
   * Routing moves on because an attempt failed (to the next failover arm, or a weighted arm
   * re-rolled among the branches left): the next attempt it opens is a failover. A race leg that
   * starts later (a handicap) is not.
   */
  failingOver?(): void;
  /** A reason to skip the candidate now (an open circuit), or undefined. No side effects. */
  eligibility?(candidate: Candidate): Skip | undefined;
  /**
   * Admits an attempt that is about to start (a half-open circuit hands out a probe slot,
   * kept in `role.admission`), or answers why not.
   */
  admit?(candidate: Candidate, role: AttemptRole): Skip | undefined;
  /** The candidate whose output reached the client first (the one that serves). */
  commit(candidate: Candidate, role: AttemptRole): void;
}
