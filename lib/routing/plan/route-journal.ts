import type { SchedulerLike } from 'rxjs';
import { LipError } from '../../errors/index.js';
import { isRetryable } from '../operators/retryable.js';
import type { ContextOverflow } from './route-context.js';

export type JournalOutcome = 'skipped' | 'failed' | 'cancelled' | 'served';

/** One candidate's fate within a request. */
export interface JournalEntry {
  readonly key: string;
  outcome: JournalOutcome | 'running';
  reason?: string;
  /** The upstream (or lip) status of a failure. */
  status?: number;
  code?: string;
  /** Seconds until a rate limit or circuit may clear. */
  retryAfter?: number;
  /** Milliseconds from the request's start to this attempt's start / first output. */
  startedAtMs?: number;
  ttftMs?: number;
  /** A failure that was not retryable (a race leg's 400: failover would have stopped at it), kept whole. */
  final?: LipError;
  /** A skip because the request is too long for the candidate: its estimate over the limit. */
  overflow?: ContextOverflow;
}

/**
 * The routing decisions of one request, in order: which candidates were skipped and why, which
 * were tried and how each ended, which one served. It decides the final error when every
 * candidate failed, and feeds `GET /admin/routes`.
 */
export class RouteJournal {
  readonly entries: JournalEntry[] = [];
  private readonly startedAt: number;

  constructor(private readonly scheduler: SchedulerLike) {
    this.startedAt = scheduler.now();
  }

  elapsed(): number {
    return this.scheduler.now() - this.startedAt;
  }

  skip(key: string, reason: string, retryAfterMs?: number, overflow?: ContextOverflow): void {
    this.entries.push({ key, outcome: 'skipped', reason, ...(retryAfterMs !== undefined ? { retryAfter: Math.ceil(retryAfterMs / 1000) } : {}), ...(overflow ? { overflow } : {}) });
  }

  start(key: string): JournalEntry {
    const entry: JournalEntry = { key, outcome: 'running', startedAtMs: this.elapsed() };
    this.entries.push(entry);
    return entry;
  }

  fail(entry: JournalEntry, err: unknown): void {
    entry.outcome = 'failed';
    const e = err as Partial<LipError> & { message?: string };
    entry.reason = e.message ?? String(err);
    if (typeof e.status === 'number') entry.status = e.status;
    if (typeof e.code === 'string') entry.code = e.code;
    if (typeof e.retryAfter === 'number') entry.retryAfter = e.retryAfter;
    if (err instanceof LipError && !isRetryable(err)) entry.final = err;
  }

  /**
   * The error for a request whose every candidate failed or was skipped (CONTRACT section 7):
   * all tried ones rate-limited, or left out while their keys cool down -> 429 with Retry-After
   * (their quotas all spent: 429 LIP_ERR_UPSTREAM_QUOTA_EXCEEDED, without; rateLimited); none
   * eligible -> 503 (400
   * LIP_ERR_ROUTE_CONTEXT_EXCEEDED when only the context size stood in the way: with the estimate
   * over the largest limit when it is too long for some, which each protocol words as its
   * provider's context-window error; 400 LIP_ERR_REQUEST_UNSUPPORTED when the models' known
   * capabilities did, with or without it); every one tried refusing it as too long for its context window
   * -> 400 LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED; every one refusing the request as unsupported before
   * sending it -> 400 naming each refusal; one failure that was not retryable (a race leg's 400,
   * which a race outlives where failover stops) -> that failure, its own status; every one tried
   * answering overloaded or unavailable (503, 529), or turned away by lip's connection queue
   * (queue_timeout) -> 503 with the earliest Retry-After the upstreams (or the queue) gave;
   * otherwise 502 naming each failure.
   */
  finalError(): LipError {
    const tried = this.entries.filter((e) => e.outcome === 'failed');
    const skipped = this.entries.filter((e) => e.outcome === 'skipped');
    const summary = this.summary();
    const unfit = (e: JournalEntry) => e.reason?.startsWith('context') === true || e.reason?.startsWith('capability') === true;
    const limited = this.rateLimited();
    if (limited !== undefined) return limited;
    if (tried.length === 0 && skipped.length > 0) {
      if (skipped.every((e) => e.reason?.startsWith('context'))) {
        return new LipError('LIP_ERR_ROUTE_CONTEXT_EXCEEDED', `the request does not fit the context limits of any candidate (${summary})`, largestOverflow(skipped));
      }
      // Every model is known not to take what the request gives it (images, tools; model_catalog).
      if (skipped.every(unfit)) return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `no candidate can serve this request (${summary})`);
      return new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `no candidate is eligible (${summary})`, earliest(skipped));
    }
    if (tried.length > 0 && tried.every((e) => e.code === 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED') && skipped.every((e) => e.reason?.startsWith('context'))) {
      // Too long for every model tried (and for the context filters of the others): the client's
      // protocol says so in its own words, so that an agent compacts its conversation.
      return new LipError('LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED', `the prompt is too long for the context window of every candidate (${summary})`, { status: 400, retryable: false });
    }
    if (tried.length > 0 && skipped.every((e) => e.reason?.startsWith('capability')) && tried.every((e) => e.code === 'LIP_ERR_REQUEST_UNSUPPORTED')) {
      // Each candidate refused before sending (an ACP agent given tools, a provider without web search): the request's own problem.
      return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `no candidate can serve this request (${summary})`);
    }
    if (tried.length > 0 && tried.every(overloaded)) {
      return new LipError('LIP_ERR_ROUTE_OVERLOADED', `every candidate is overloaded or unavailable (${summary})`, earliest(tried));
    }
    // The request's own fault said by a provider (CONTRACT section 7: the upstream's status), not a 502 the SDKs would retry.
    const final = tried.find((e) => e.final !== undefined)?.final;
    if (final !== undefined) return final;
    return new LipError('LIP_ERR_ROUTE_ALL_FAILED', `every candidate failed (${summary})`);
  }

  /**
   * The 429 of a route whose every candidate tried was rate-limited (and one was), counting those
   * skipped because every API key of theirs is out after an earlier 429 (`keys cooling`, `quota
   * spent`): LIP_ERR_UPSTREAM_QUOTA_EXCEEDED without Retry-After when each had its quota spent
   * (no wait of seconds renews it: the client is told not to retry, x-should-retry: false), else
   * LIP_ERR_ROUTE_RATE_LIMITED with the earliest Retry-After; undefined otherwise. Also the answer
   * when `routing.max_attempts` ran out on such candidates: the client is told to wait, not a 502.
   */
  rateLimited(): LipError | undefined {
    const limited = this.entries.filter((e) => (e.outcome === 'failed' && e.status === 429) || (e.outcome === 'skipped' && (e.reason?.startsWith('keys cooling') === true || e.reason?.startsWith('quota spent') === true)));
    if (limited.length === 0 || this.entries.some((e) => e.outcome === 'failed' && e.status !== 429)) return undefined;
    if (limited.every((e) => e.code === 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED' || e.reason?.startsWith('quota spent') === true)) {
      return new LipError('LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', `the quota of every candidate is spent (${this.summary()})`, { status: 429, retryable: false });
    }
    return new LipError('LIP_ERR_ROUTE_RATE_LIMITED', `every candidate is rate-limited (${this.summary()})`, earliest(limited, 1));
  }

  /** `a:m: upstream 503 ...; b:m: skipped (circuit open)` */
  summary(): string {
    return this.entries.map((e) => `${e.key}: ${e.outcome === 'failed' ? e.reason : `${e.outcome}${e.reason ? ` (${e.reason})` : ''}`}`).join('; ');
  }
}

/**
 * The detail of a request too long for its candidates (`context_tokens`, `context_limit`: the
 * largest limit it is over, the size a compacted conversation must get under), read by the
 * frontends (contextOverflow); none when only `min_context` stood in the way.
 */
function largestOverflow(entries: readonly JournalEntry[]): { detail?: Record<string, unknown> } {
  const over = entries.map((e) => e.overflow).filter((o): o is ContextOverflow => o !== undefined);
  if (over.length === 0) return {};
  return { detail: { context_tokens: Math.max(...over.map((o) => o.tokens)), context_limit: Math.max(...over.map((o) => o.limit)) } };
}

/**
 * An upstream's answer (or in-stream error) saying it is overloaded or unavailable now: 503, 529
 * (Anthropic's overloaded_error); or lip's own connection queue for it staying full
 * (http_client.queue_timeout).
 */
function overloaded(e: JournalEntry): boolean {
  if (e.code === 'LIP_ERR_UPSTREAM_QUEUE_TIMEOUT') return true;
  return (e.status === 503 || e.status === 529) && (e.code === 'LIP_ERR_UPSTREAM_STATUS' || e.code === 'LIP_ERR_UPSTREAM_STREAM_ERROR');
}

function earliest(entries: readonly JournalEntry[], fallback?: number): { retryAfter?: number } {
  const waits = entries.map((e) => e.retryAfter).filter((s): s is number => s !== undefined);
  const seconds = waits.length > 0 ? Math.min(...waits) : fallback;
  return seconds === undefined ? {} : { retryAfter: Math.max(1, seconds) };
}
