import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { defer } from 'rxjs/internal/observable/defer';
import { tap } from 'rxjs/internal/operators/tap';
import type { Observable } from 'rxjs';
import type { LipEvent, Usage } from '../canonical/index.js';
import { charTokens, isOutputEvent, mergeUsage } from '../canonical/index.js';
import { toLipError, type LipError } from '../errors/index.js';
import type { AttemptSpan } from '../observability/tracing.js';

export type AttemptOutcome = 'success' | 'failure' | 'cancelled';

/** Published on `lip:attempt` when an attempt starts, when it wins a race, and when it ends. */
export interface AttemptReport {
  readonly phase: 'start' | 'win' | 'end';
  readonly requestId: string;
  readonly candidateKey: string;
  readonly backendId: string;
  /** The model asked of the upstream, and the GenAI provider name of the backend's kind. */
  readonly model?: string;
  readonly provider?: string;
  readonly outcome?: AttemptOutcome;
  /** Milliseconds from the attempt's start to its first output event. */
  readonly ttftMs?: number;
  readonly durationMs?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** Why a cancelled attempt was stopped: `race loser`, `global ttft_timeout`, `client abort`, ... */
  readonly cancelReason?: string;
  /** The upstream's HTTP status and its own request id (when it answered). */
  readonly upstreamStatus?: number;
  readonly upstreamRequestId?: string;
  readonly usage?: Usage;
  readonly cost?: number;
  /** Hosted web searches the upstream ran in the attempt (completed ones; absent: none). */
  readonly webSearches?: number;
  readonly responseModel?: string;
  readonly finishReason?: string;
  /** Set on a start routing moved on to because an attempt of the same request failed: routing failed over from it (its candidate key and error code); not on a race leg that merely started later. */
  readonly failoverFrom?: string;
  readonly failoverReason?: string;
}

export const attemptChannel = channel('lip:attempt');

/**
 * Published on `lip:attempt-failed` with the `end` report of an attempt that failed or was
 * cancelled, and only then. The info log's `attempt failed` / `attempt cancelled` lines listen
 * here: a successful attempt then builds no report at all for them (no start, no end).
 */
export const attemptFailedChannel = channel('lip:attempt-failed');

/**
 * The status the upstream itself answered with, kept by an error made from it
 * (`detail.upstream_status`); none for a failure no upstream answered (a reset, no usable key, a
 * TTFT expiry before the headers), whose own status is lip's, not the upstream's.
 */
export function upstreamStatusOf(error: LipError | undefined): number | undefined {
  const status = error?.detail?.upstream_status;
  return typeof status === 'number' ? status : undefined;
}

/** The usage of an attempt that reported none (AttemptStats starts with it; merging nothing keeps it). */
export const NO_USAGE: Usage = Object.freeze({});

/**
 * What one attempt reported while it ran: usage (merged snapshots), the model the upstream says
 * it used, the finish reason, and the upstream's status and request id (set by the backend).
 * Read by the attempt's report, its continuity row and its span when it ends.
 */
export class AttemptStats {
  usage: Usage = NO_USAGE;
  responseModel: string | undefined;
  finishReason: string | undefined;
  upstreamStatus: number | undefined;
  upstreamRequestId: string | undefined;
  /** Hosted web searches that ran (a `completed` web_search event each; providers bill them apart from tokens). */
  webSearches = 0;

  constructor(private readonly price?: (usage: Usage, webSearches: number) => number | undefined) {}

  /** The attempt's cost by the `pricing:` table (undefined: not priced, or no usage reported). */
  get cost(): number | undefined {
    return this.price?.(this.usage, this.webSearches);
  }

  observe(event: LipEvent): void {
    if (event.type === 'usage') this.usage = mergeUsage(this.usage, event.usage);
    else if (event.type === 'web_search') { if (event.status === 'completed') this.webSearches++; }
    else if (event.type === 'response_started') { if (event.model !== undefined) this.responseModel = event.model; }
    else if (event.type === 'response_finished') this.finishReason = event.reason;
  }
}

/**
 * AttemptStats of an attempt whose tokens a key's budget or `tokens_per_minute` is charged: they
 * also count the characters of the output it streamed (text, reasoning, tool arguments), so
 * that an answer cut after it began can be charged what its upstream had not reported yet
 * (`estimateMissing`). Other attempts use AttemptStats and pay nothing for the count.
 */
export class EstimatingAttemptStats extends AttemptStats {
  private outputChars = 0;

  /** `estimateInput`: lip's estimate of the call's input tokens (estimateTokens), read only when the upstream reported none. */
  constructor(price: ((usage: Usage, webSearches: number) => number | undefined) | undefined, private readonly estimateInput: () => number) {
    super(price);
  }

  override observe(event: LipEvent): void {
    if (event.type === 'text_delta' || event.type === 'reasoning_delta') this.outputChars += event.text.length;
    else if (event.type === 'tool_call_delta') this.outputChars += event.args.length;
    else super.observe(event);
  }

  /**
   * Completes the usage of an answer cut after it began with lip's estimate (about four
   * characters a token): the input tokens when the upstream reported none, and as output at
   * least what was streamed (an upstream reports its output at the end, or a running count that
   * lags: Anthropic's `message_start` says 1). Answers whether any of it is now an estimate.
   */
  estimateMissing(): boolean {
    const { inputTokens, outputTokens } = this.usage;
    const streamed = charTokens(this.outputChars);
    if (inputTokens !== undefined && (outputTokens ?? 0) >= streamed) return false;
    const input = inputTokens ?? this.estimateInput();
    const output = Math.max(outputTokens ?? 0, streamed);
    this.usage = { ...this.usage, inputTokens: input, outputTokens: output, ...(this.usage.totalTokens !== undefined ? { totalTokens: input + output } : {}) };
    return true;
  }
}

export interface AttemptInfo {
  readonly requestId: string;
  readonly candidateKey: string;
  readonly backendId: string;
  readonly model?: string;
  readonly provider?: string;
  /** Filled while the attempt runs (usage, upstream ids); absent: nothing is gathered. */
  readonly stats?: AttemptStats;
  /** Read when the attempt is unsubscribed before it ended. */
  readonly cancelReason?: () => string;
  /** The request's failed attempt this one follows (candidate key, error code), when routing failed over. */
  readonly failoverFrom?: string;
  readonly failoverReason?: string;
  /** The attempt's CLIENT span (tracing on and the request sampled). */
  readonly span?: AttemptSpan;
  /** Told how the attempt ended, after its report (the request's tallies). */
  readonly onEnd?: (outcome: AttemptOutcome, stats: AttemptStats | undefined, errorCode: string | undefined) => void;
}

/** What watches one attempt from its start: each event, then how it ended (once). */
export interface AttemptWatch {
  next(event: LipEvent): void;
  /** `reason`: why a cancelled attempt was stopped, when the caller knows it (the watch itself reads `AttemptInfo.cancelReason`). */
  end(outcome: AttemptOutcome, err?: unknown, reason?: string): void;
}

/**
 * Starts watching one attempt (reports its start, reads the clock): undefined when nothing
 * reads it. `observeAttempt` runs the watch as its own operator; an attempt recorded in the
 * continuity store hands it to `recordAttempt`'s operator instead (one operator, not two).
 */
export function watchAttempt(info: AttemptInfo, onFirstOutput?: (ttftMs: number) => void): AttemptWatch | undefined {
  if (!attemptChannel.hasSubscribers && !attemptFailedChannel.hasSubscribers && onFirstOutput === undefined && info.stats === undefined && info.span === undefined && info.onEnd === undefined) return undefined;
  const startedAt = performance.now();
  const { stats, span } = info;
  let ttftMs: number | undefined;
  if (attemptChannel.hasSubscribers) {
    attemptChannel.publish({
      phase: 'start', requestId: info.requestId, candidateKey: info.candidateKey, backendId: info.backendId, model: info.model, provider: info.provider,
      ...(info.failoverFrom !== undefined ? { failoverFrom: info.failoverFrom, failoverReason: info.failoverReason } : {}),
    } satisfies AttemptReport);
  }
  return {
    next(event) {
      stats?.observe(event);
      if (ttftMs === undefined && isOutputEvent(event)) {
        ttftMs = performance.now() - startedAt;
        span?.firstOutput(ttftMs);
        onFirstOutput?.(ttftMs);
      }
    },
    end(outcome, err) {
      const error = err === undefined ? undefined : toLipError(err);
      const cancelReason = outcome === 'cancelled' ? info.cancelReason?.() : undefined;
      const everyEnd = attemptChannel.hasSubscribers;
      const failedEnd = outcome !== 'success' && attemptFailedChannel.hasSubscribers;
      if (everyEnd || failedEnd) {
        const cost = stats?.cost;
        const report: AttemptReport = {
          phase: 'end', requestId: info.requestId, candidateKey: info.candidateKey, backendId: info.backendId, model: info.model, provider: info.provider,
          outcome, durationMs: performance.now() - startedAt, ttftMs,
          ...(error ? { errorCode: error.code, errorMessage: error.message } : {}), ...(cancelReason !== undefined ? { cancelReason } : {}),
          ...(stats ? { usage: stats.usage, upstreamStatus: stats.upstreamStatus ?? upstreamStatusOf(error), upstreamRequestId: stats.upstreamRequestId, responseModel: stats.responseModel, finishReason: stats.finishReason } : {}),
          ...(cost !== undefined ? { cost } : {}),
          ...(stats !== undefined && stats.webSearches > 0 ? { webSearches: stats.webSearches } : {}),
        };
        if (everyEnd) attemptChannel.publish(report);
        if (failedEnd) attemptFailedChannel.publish(report);
      }
      span?.end(outcome, stats, error, cancelReason);
      info.onEnd?.(outcome, stats, error?.code);
    },
  };
}

/**
 * Wraps one backend attempt: reports its start, its time to first output and how it ended
 * (`cancelled` when it was unsubscribed before finishing: a client abort, a race loss, a TTFT
 * expiry, with the reason). Unsubscribing passes straight through to the backend source. The
 * executor wraps an attempt only when something reads it (a `lip:attempt` listener, its span,
 * its continuity row, the request's usage); one nobody observes is not wrapped at all: no
 * operator on its events, no clock read.
 */
export function observeAttempt(source: Observable<LipEvent>, info: AttemptInfo, onFirstOutput?: (ttftMs: number) => void): Observable<LipEvent> {
  return defer(() => {
    const watch = watchAttempt(info, onFirstOutput);
    if (watch === undefined) return source;
    return source.pipe(tap({
      next: (event) => watch.next(event),
      error: (err: unknown) => watch.end('failure', err),
      complete: () => watch.end('success'),
      unsubscribe: () => watch.end('cancelled'),
    }));
  });
}
