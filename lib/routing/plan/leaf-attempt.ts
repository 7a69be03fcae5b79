import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { tap } from 'rxjs/internal/operators/tap';
import type { Observable } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { holdUntilOutput } from '../operators/hold-until-output.js';
import type { Leaf } from '../selector/ast.js';
import { candidateKey } from '../selector/candidate-key.js';
import type { AttemptRole, Candidate, RouteContext, Skip } from './route-context.js';

export function candidateOf(leaf: Leaf): Candidate {
  return { backend: leaf.backend!, model: leaf.model, key: candidateKey(leaf), leaf };
}

/**
 * Why a leaf is not eligible before any attempt: it already failed in this request, the
 * context-size filters, then the circuit.
 */
export function ineligibility(candidate: Candidate, ctx: RouteContext): Skip | undefined {
  if (ctx.journal.entries.some((e) => e.key === candidate.key && e.outcome === 'failed')) return { reason: 'already failed in this request' };
  const { maxContext, minContext } = candidate.leaf;
  const tokens = ctx.estimatedTokens;
  if (tokens !== undefined && maxContext !== undefined && tokens > maxContext) return { reason: `context: about ${tokens} tokens > max_context ${maxContext}`, overflow: { tokens, limit: maxContext } };
  if (tokens !== undefined && minContext !== undefined && tokens <= minContext) return { reason: `context: about ${tokens} tokens <= min_context ${minContext}` };
  return ctx.eligibility?.(candidate);
}

/**
 * One leaf as an Observable: skipped (a retryable failure that tries nothing) when it is not
 * eligible (its circuit is open, its backend's keys all cool down, ...), refused (and journalled as
 * skipped) when `routing.max_attempts` is spent (LIP_ERR_ROUTE_RATE_LIMITED instead when every
 * candidate tried was rate-limited), otherwise the backend attempt, with
 * its fate written to the journal. Outside a race, its first output event commits it (its
 * completion, when it had none), and its lifecycle events are held until then (holdUntilOutput);
 * a race holds its legs itself. How
 * many may wait (a race leg's whitespace included) is bounded by `ctx.open` (limitHeldEvents, in the attempt itself, so that its
 * circuit and its row count an attempt that overflows as failed, not as cancelled).
 */
export function leafAttempt(leaf: Leaf, ctx: RouteContext, role: AttemptRole = { inRace: false }): Observable<LipEvent> {
  const { inRace } = role;
  return defer(() => {
    const candidate = candidateOf(leaf);
    const skip = ineligibility(candidate, ctx);
    if (skip) {
      ctx.journal.skip(candidate.key, skip.reason, skip.retryAfterMs, skip.overflow);
      return throwError(() => new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `${candidate.key} skipped: ${skip.reason}`, { retryable: true }));
    }
    if (ctx.budget.remaining <= 0) {
      // Every candidate tried was rate-limited: the client waits for the earliest Retry-After
      // (a race leg is refused while its rivals may still run: the race decides, armFailed).
      const spent = (inRace ? undefined : ctx.journal.rateLimited()) ?? new LipError('LIP_ERR_ROUTE_MAX_ATTEMPTS', `routing.max_attempts (${ctx.maxAttempts}) spent before ${candidate.key} (${ctx.journal.summary()})`);
      // Listed (/admin/routes) as the candidate the budget left out.
      ctx.journal.skip(candidate.key, `routing.max_attempts (${ctx.maxAttempts}) spent`);
      return throwError(() => spent);
    }
    const refused = ctx.admit?.(candidate, role);
    if (refused) {
      ctx.journal.skip(candidate.key, refused.reason, refused.retryAfterMs);
      return throwError(() => new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `${candidate.key} skipped: ${refused.reason}`, { retryable: true }));
    }
    ctx.budget.remaining--;
    const entry = ctx.journal.start(candidate.key);
    let output = false;
    const attempt = ctx.open(candidate, role).pipe(tap({
      next(event) {
        if (output || !isOutputEvent(event)) return;
        output = true;
        entry.ttftMs = ctx.journal.elapsed();
        if (!inRace) {
          entry.outcome = 'served';
          ctx.commit(candidate, role);
        }
      },
      error: (err: unknown) => ctx.journal.fail(entry, err),
      complete: () => {
        if (entry.outcome !== 'running') return;
        entry.outcome = 'served';
        // An answer with no output (an empty completion, a content filter, a length finish at
        // zero tokens) served too: commit it as its first output would have (a race's win commits).
        if (!inRace) ctx.commit(candidate, role);
      },
      unsubscribe: () => {
        if (entry.outcome === 'running') {
          entry.outcome = 'cancelled';
          entry.reason ??= role.cancelReason ?? ctx.cancelReason ?? 'cancelled';
        }
      },
    }));
    // The commits above run before the held lifecycle events are released downstream.
    return inRace ? attempt : attempt.pipe(holdUntilOutput());
  });
}
