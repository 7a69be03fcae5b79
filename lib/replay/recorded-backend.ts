import { Observable } from 'rxjs/internal/Observable';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { EmbeddingResult, LipEvent } from '../canonical/index.js';
import type { Backend, Target } from '../backends/backend.js';
import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { LipError, isErrorCode } from '../errors/index.js';
import type { AttemptRecord, ExchangeRecord, SkippedCandidate } from './record-format.js';

/** Attempts that were cut by lip itself: what the upstream would have done next is not known. */
const CUT_CODES = new Set(['LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', 'LIP_ERR_ROUTE_TTFT_TIMEOUT']);

/** Why an attempt was cancelled when the client left (its other attempts, its judge's, were cut with it). */
const CLIENT_ABORT = 'client abort';

/**
 * How much later than its recorded end an attempt may be stopped and still count as stopped at
 * that end: a record keeps whole milliseconds, so an attempt's start and end are each up to one
 * off, and a real timer (a budget, a handicap) may fire a millisecond either way of the clock
 * that stamped them.
 */
const RESOLUTION_MS = 1;

/**
 * What a recorded event is ahead of lip's own timers due at the same virtual millisecond, and
 * the served attempt's events ahead of the others': a recording keeps whole milliseconds, and
 * what it shows settles a tie. An event it kept came before whatever cut its attempt (a budget,
 * a race won elsewhere), and a handicapped leg it never attempted started after the winner's
 * output; the served attempt's output won the race. Binary fractions, so sums stay exact.
 */
const AHEAD = 1 / 1024;
const SERVED_AHEAD = 2 / 1024;

/** A candidate the replay waited on past its recorded end, and how its recorded attempt ended there. */
export interface WaitedPast {
  readonly candidate_key: string;
  /** The recorded end: `cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT`, `cancelled: race loser`. */
  readonly reason: string;
}

export interface RecordedAttemptsOptions {
  /** Called when an attempt the client's leaving cut (`client abort`) reaches its recorded end: the client leaves there. */
  readonly onClientLeft?: () => void;
  /**
   * The replay runs under the config the exchange ran with (its `config_digest`), so the routing
   * decides as recorded: an attempt stopped by its recorded end on the exchange's clock was
   * stopped by the recorded cut, whatever its own clock says (see `source`).
   */
  readonly recordedConfig?: boolean;
}

/**
 * The recorded attempts of one exchange, handed out by candidate key in their recorded order:
 * the n-th time the replayed routing opens a candidate, it gets that candidate's n-th attempt.
 * Opening a candidate the recording never attempted (or more often than recorded) is noted
 * in `unrecorded` and the source stays silent: the replay never guesses an answer. So is
 * waiting on an attempt past its recorded end (`exhausted`), unless the client left there.
 */
export class RecordedAttempts {
  readonly unrecorded: string[] = [];
  /**
   * Of those, the ones opened after a delay (a handicapped race leg) and stopped again without
   * ever being needed (the race was won elsewhere). Under the config the exchange ran with, such
   * a leg is a real timer that fired late: the recording shows it had not started when the race
   * was won, where virtual time starts it exactly on its handicap.
   */
  readonly openedLate = new Set<string>();
  /**
   * Candidates whose recording ran out while the replay still waited on them: an attempt that was
   * cut (a race it lost, a budget, a cancel) and that the replay stopped more than RESOLUTION_MS
   * after its recorded end, or a cancelled embeddings attempt; each with how its recorded
   * attempt ended (WaitedPast.reason). See also `waitedPast()`.
   */
  readonly exhausted = new Map<string, string>();
  readonly opened: string[] = [];
  private readonly byKey = new Map<string, AttemptRecord[]>();
  /** Cut attempts past their recorded end and not stopped yet, with their candidate keys. */
  private readonly runningOut = new Map<AttemptRecord, string>();

  /** `attempts`: an exchange's, or one auxiliary call's. */
  constructor(attempts: readonly AttemptRecord[], private readonly options: RecordedAttemptsOptions = {}) {
    for (const attempt of [...attempts].sort((a, b) => a.seq - b.seq)) {
      const list = this.byKey.get(attempt.candidate_key) ?? [];
      list.push(attempt);
      this.byKey.set(attempt.candidate_key, list);
    }
  }

  /**
   * The candidates the replay waited on past their recorded end: `exhausted`, and the attempts
   * still open past theirs. Asked when the replay stops waiting, before its own unsubscribe
   * (which stops every attempt still open then).
   */
  waitedPast(): WaitedPast[] {
    const past = new Map(this.exhausted);
    for (const [attempt, key] of this.runningOut) if (!past.has(key)) past.set(key, recordedEnd(attempt));
    return [...past].map(([key, reason]) => ({ candidate_key: key, reason }));
  }

  /**
   * Backends that answer from the recording, one per configured backend id. A backend of which
   * `skipped` (the exchange's) shows a candidate passed over because every API key was still out
   * (`keys cooling`, `quota spent`) says its keys are out again, for the time recorded, once the
   * attempts the recording made on it are used up: the keys' state came from other traffic, as a
   * circuit's.
   */
  backends(config: Config, scheduler: SchedulerLike, skipped: readonly SkippedCandidate[] = []): Map<string, Backend> {
    const map = new Map<string, Backend>();
    for (const row of config.backends) {
      if (!row.enabled) continue;
      const cooling = skipped.find((s) => s.candidate_key.startsWith(`${row.id}:`) && (s.reason.startsWith('keys cooling') || s.reason.startsWith('quota spent')));
      const quotaSpent = cooling?.reason.startsWith('quota spent') === true;
      const coolingMs = cooling === undefined ? undefined
        : quotaSpent ? Number(/again in (\d+) min/.exec(cooling.reason)?.[1] ?? 60) * 60_000 : Number(/recovers in (\d+)s/.exec(cooling.reason)?.[1] ?? 1) * 1000;
      // A kind that takes a prefill keeps saying so: a resumed answer (routing.resume_after_output) replays as one.
      const prefill = BACKEND_KINDS[row.kind]?.prefill === true;
      // A kind that can embed answers embeddings requests from their recorded attempts.
      const embeds = BACKEND_KINDS[row.kind]?.embeds === true;
      map.set(row.id, {
        id: row.id, kind: 'recorded', models: row.models ?? [], ...(prefill ? { prefill } : {}), stream: (_call, target) => this.source(target, scheduler),
        ...(embeds ? { embed: (_request, model) => this.embedding(`${row.id}:${model}`) } : {}),
        ...(coolingMs !== undefined ? { keysCoolingMs: () => (this.attemptsLeft(row.id) > 0 ? undefined : coolingMs), keysQuotaSpent: () => quotaSpent } : {}),
      });
    }
    return map;
  }

  /** The recorded attempts not handed out yet on the candidates of backend `id`. */
  private attemptsLeft(id: string): number {
    let left = 0;
    for (const [key, list] of this.byKey) if (key.startsWith(`${id}:`)) left += list.length;
    return left;
  }

  /**
   * An embeddings request's attempt of candidate `key`: its recorded result, or its recorded
   * failure. One the recording never made (or made fewer times), or one that was cancelled (the
   * recording knows nothing past it), rejects with UnrecordedAttempt and is noted as such.
   */
  private embedding(key: string): Promise<EmbeddingResult> {
    this.opened.push(key);
    const attempt = this.byKey.get(key)?.shift();
    if (attempt === undefined) this.unrecorded.push(key);
    else if (attempt.outcome === 'success' && attempt.embedding !== undefined) return Promise.resolve(attempt.embedding);
    else if (attempt.outcome === 'failure') return Promise.reject(recordedError(attempt));
    else this.exhausted.set(key, recordedEnd(attempt));
    return Promise.reject(new UnrecordedAttempt(key));
  }

  private source(target: Target, scheduler: SchedulerLike): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const key = target.candidateKey;
      this.opened.push(key);
      const attempt = this.byKey.get(key)?.shift();
      if (!attempt) {
        this.unrecorded.push(key);
        if (scheduler.now() === 0) return undefined;
        return () => this.openedLate.add(key);
      }
      const ahead = attempt.role === 'served' ? SERVED_AHEAD : AHEAD;
      const timers: Subscription[] = [];
      const at = (offset: number, work: () => void) => timers.push(scheduler.schedule(work, Math.max(0, offset - attempt.started_ms - ahead)));
      for (const [offset, event] of attempt.events) at(offset, () => subscriber.next(event));
      const lastEvent = attempt.events.length > 0 ? attempt.events[attempt.events.length - 1]![0] : attempt.started_ms;
      const finished = Math.max(attempt.finished_ms ?? lastEvent, lastEvent);
      const stop = () => { for (const t of timers) t.unsubscribe(); };
      if (attempt.outcome === 'success') {
        at(finished, () => subscriber.complete());
        return stop;
      }
      if (attempt.outcome === 'failure' && !CUT_CODES.has(attempt.reason ?? '')) {
        at(finished, () => subscriber.error(recordedError(attempt)));
        return stop;
      }
      if (attempt.outcome === 'cancelled' && attempt.reason === CLIENT_ABORT) {
        // The client left when this attempt had run this long: it leaves the replay there too.
        at(finished, () => this.options.onClientLeft?.());
        return stop;
      }
      // Cut by a race, a budget or a cancel: past its end the recording knows nothing more. The
      // replay may stop it at that end (the same cut, as recorded), not later: then it waited on
      // what the upstream would have done next (a wider budget, a later winner). Measured on the
      // attempt's own clock, since a what-if may open it at another time. But the replay opens an
      // attempt without lip's own milliseconds before it (a race opens its legs one after the
      // other, each encoding its request: a recording may start the last one milliseconds after
      // the first), so a loser cut by the recorded winner's output can seem to have run longer
      // than recorded. Under the recorded config every decision is the recording's and the
      // replay runs no later than it did (virtual timers fire on time, real ones late): stopped
      // by its recorded end on the exchange's clock, it was stopped by the recorded cut.
      const opened = scheduler.now();
      const known = finished - attempt.started_ms;
      at(finished, () => this.runningOut.set(attempt, key));
      return () => {
        stop();
        this.runningOut.delete(attempt);
        const now = scheduler.now();
        const recordedCut = this.options.recordedConfig === true && now <= finished + RESOLUTION_MS;
        if (now - opened > known + RESOLUTION_MS && !recordedCut) this.exhausted.set(key, recordedEnd(attempt));
      };
    });
  }
}

/** An attempt the replay cannot answer from the recording (see RecordedAttempts.unrecorded and .exhausted). */
export class UnrecordedAttempt extends Error {
  constructor(readonly candidateKey: string) {
    super(`${candidateKey} has no recorded answer`);
  }
}

/** How a recorded attempt ended, where the recording of it stops: `cut by <code>`, `cancelled: <why>`. */
function recordedEnd(attempt: AttemptRecord): string {
  if (attempt.outcome === 'failure') return `cut by ${attempt.reason ?? 'an unnamed failure'}`;
  return attempt.reason ? `${attempt.outcome}: ${attempt.reason}` : attempt.outcome;
}

/**
 * The failure an attempt ended with, as a LipError (an unknown code keeps its status and
 * message), as retryable as it was: the record says so; a record without `retryable` (written
 * before it) leaves it to the code, and to the status of an upstream's (CONTRACT section 7).
 */
function recordedError(attempt: AttemptRecord): LipError {
  const message = attempt.message ?? attempt.reason ?? 'recorded failure';
  const status = attempt.http_status;
  const retryable = typeof attempt.retryable === 'boolean' ? attempt.retryable
    : attempt.reason === 'LIP_ERR_UPSTREAM_STATUS' && status !== null ? status === 408 || status === 409 || status === 429 || status >= 500 : undefined;
  const options = { ...(status === null ? {} : { status }), ...(retryable === undefined ? {} : { retryable }) };
  const code = isErrorCode(attempt.reason) ? attempt.reason : 'LIP_ERR_UPSTREAM_STATUS';
  return new LipError(code, message, options);
}
