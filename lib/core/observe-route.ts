import { channel } from 'node:diagnostics_channel';
import type { SchedulerLike } from 'rxjs';
import type { ContextOverflow } from '../routing/plan/route-context.js';
import { RouteJournal, type JournalEntry } from '../routing/plan/route-journal.js';
import type { RequestTrace } from '../observability/tracing.js';

/**
 * Routing decisions as they are taken, on the `lip:route` diagnostics channel (the server logs
 * them at `debug`): the plan of the request (arms, race handicaps, budgets), every candidate
 * skipped and why (an open circuit, a context filter), every attempt started with the budget
 * left, every failure routing moves past. Published only while someone listens.
 */
export const routeChannel = channel('lip:route');

export type RouteDecision =
  | { readonly type: 'plan'; readonly requestId: string; readonly selector: string; readonly source: string; readonly maxAttempts: number; readonly plan: unknown }
  | { readonly type: 'skip'; readonly requestId: string; readonly candidateKey: string; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly type: 'start'; readonly requestId: string; readonly candidateKey: string; readonly budgetLeft: number; readonly atMs: number }
  | { readonly type: 'fail'; readonly requestId: string; readonly candidateKey: string; readonly reason: string; readonly status?: number };

/**
 * The route journal of a request someone watches (debug logging, a recorded trace): each
 * decision is also published on `lip:route` and, for skips, added to the request span as an
 * event (`lip.circuit.skip` for an open circuit, `lip.route.skip` otherwise). A request nobody
 * watches gets the plain RouteJournal.
 */
export class ObservedJournal extends RouteJournal {
  /** Read by `start` for the budget arithmetic of the debug line. */
  budget: { remaining: number } | undefined;

  constructor(scheduler: SchedulerLike, private readonly requestId: string, private readonly trace: RequestTrace | undefined) {
    super(scheduler);
  }

  override skip(key: string, reason: string, retryAfterMs?: number, overflow?: ContextOverflow): void {
    super.skip(key, reason, retryAfterMs, overflow);
    if (this.trace?.recording) {
      this.trace.event(reason.startsWith('circuit') ? 'lip.circuit.skip' : 'lip.route.skip', { 'lip.candidate_key': key, 'lip.reason': reason });
    }
    if (routeChannel.hasSubscribers) {
      routeChannel.publish({ type: 'skip', requestId: this.requestId, candidateKey: key, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } satisfies RouteDecision);
    }
  }

  override start(key: string): JournalEntry {
    const entry = super.start(key);
    if (routeChannel.hasSubscribers) {
      routeChannel.publish({ type: 'start', requestId: this.requestId, candidateKey: key, budgetLeft: this.budget?.remaining ?? 0, atMs: entry.startedAtMs ?? 0 } satisfies RouteDecision);
    }
    return entry;
  }

  override fail(entry: JournalEntry, err: unknown): void {
    super.fail(entry, err);
    if (routeChannel.hasSubscribers) {
      routeChannel.publish({ type: 'fail', requestId: this.requestId, candidateKey: entry.key, reason: entry.reason ?? '', ...(entry.status !== undefined ? { status: entry.status } : {}) } satisfies RouteDecision);
    }
  }
}
