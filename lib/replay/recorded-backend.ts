import { Observable } from 'rxjs/internal/Observable';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { EmbeddingResult, LipEvent } from '../canonical/index.js';
import type { Backend, Target } from '../backends/backend.js';
import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { LipError, isErrorCode } from '../errors/index.js';
import type { AttemptRecord, ExchangeRecord } from './record-format.js';

/** Attempts that were cut by lip itself: what the upstream would have done next is not known. */
const CUT_CODES = new Set(['LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', 'LIP_ERR_ROUTE_TTFT_TIMEOUT']);

/**
 * What a recorded event is ahead of lip's own timers due at the same virtual millisecond, and
 * the served attempt's events ahead of the others': a recording keeps whole milliseconds, and
 * what it shows settles a tie. An event it kept came before whatever cut its attempt (a budget,
 * a race won elsewhere), and a handicapped leg it never attempted started after the winner's
 * output; the served attempt's output won the race. Binary fractions, so sums stay exact.
 */
const AHEAD = 1 / 1024;
const SERVED_AHEAD = 2 / 1024;

/**
 * The recorded attempts of one exchange, handed out by candidate key in their recorded order:
 * the n-th time the replayed routing opens a candidate, it gets that candidate's n-th attempt.
 * Opening a candidate the recording never attempted (or more often than recorded) is noted
 * in `unrecorded` and the source stays silent: the replay never guesses an answer.
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
  /** Candidates whose recording ran out while the replay still waited on them. */
  readonly exhausted = new Set<string>();
  readonly opened: string[] = [];
  private readonly byKey = new Map<string, AttemptRecord[]>();

  /** `attempts`: an exchange's, or one auxiliary call's. */
  constructor(attempts: readonly AttemptRecord[]) {
    for (const attempt of [...attempts].sort((a, b) => a.seq - b.seq)) {
      const list = this.byKey.get(attempt.candidate_key) ?? [];
      list.push(attempt);
      this.byKey.set(attempt.candidate_key, list);
    }
  }

  /** Backends that answer from the recording, one per configured backend id. */
  backends(config: Config, scheduler: SchedulerLike): Map<string, Backend> {
    const map = new Map<string, Backend>();
    for (const row of config.backends) {
      if (!row.enabled) continue;
      // A kind that takes a prefill keeps saying so: a resumed answer (routing.resume_after_output) replays as one.
      const prefill = BACKEND_KINDS[row.kind]?.prefill === true;
      // A kind that can embed answers embeddings requests from their recorded attempts.
      const embeds = BACKEND_KINDS[row.kind]?.embeds === true;
      map.set(row.id, {
        id: row.id, kind: 'recorded', models: row.models ?? [], ...(prefill ? { prefill } : {}), stream: (_call, target) => this.source(target, scheduler),
        ...(embeds ? { embed: (_request, model) => this.embedding(`${row.id}:${model}`) } : {}),
      });
    }
    return map;
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
    else this.exhausted.add(key);
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
      if (attempt.outcome === 'success') {
        at(finished, () => subscriber.complete());
      } else if (attempt.outcome === 'failure' && !CUT_CODES.has(attempt.reason ?? '')) {
        at(finished, () => subscriber.error(recordedError(attempt)));
      } else {
        // Cancelled or cut by a budget: past its last event the recording knows nothing more.
        at(finished, () => this.exhausted.add(key));
      }
      return () => {
        this.exhausted.delete(key);
        for (const t of timers) t.unsubscribe();
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
