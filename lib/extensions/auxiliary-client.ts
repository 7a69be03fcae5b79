import { firstValueFrom } from 'rxjs/internal/firstValueFrom';
import { Observable } from 'rxjs/internal/Observable';
import { timer } from 'rxjs/internal/observable/timer';
import { takeUntil } from 'rxjs/internal/operators/takeUntil';
import type { SchedulerLike } from 'rxjs';
import { collect, validateCall, type Call, type CollectedResponse, type LipEvent } from '../canonical/index.js';
import { formatDuration } from '../config/index.js';
import { LipError } from '../errors/index.js';
import { MAX_DURATION_MS } from '../routing/selector/parse-values.js';

/** A nested model call made by a plugin. */
export interface AuxiliaryRequest {
  /** What the call is for (`judge`, `summarise`, ...): part of its request id and its A-leg's session id. */
  readonly role: string;
  readonly call: Call;
  /** Whole-call deadline, more than 0 and at most 2^31-1 ms (a timer's limit); default 60 s. */
  readonly timeoutMs?: number;
  /** Features to disable inside the call, besides the caller (always disabled). */
  readonly disable?: readonly string[];
  /**
   * The call outlives the request that made it (a background job whose answer later requests
   * use). Otherwise it is cancelled, its upstream attempts aborted, when that request (or, from
   * a stream stage, that attempt) is cancelled: the client went away, a race lost, a budget expired.
   */
  readonly detached?: boolean;
}

export interface AuxiliaryResult {
  readonly response: CollectedResponse;
  /** `<parent request id>.aux-<role>-<n>`. */
  readonly requestId: string;
  /** The auxiliary A-leg whose B-legs are this call's attempts (when the parent has an A-leg). */
  readonly aLegId?: string;
}

/** `collect` gathers the whole response; `stream` hands over the events (cold; unsubscribe cancels). */
export interface AuxiliaryClient {
  collect(request: AuxiliaryRequest): Promise<AuxiliaryResult>;
  stream(request: AuxiliaryRequest): Observable<LipEvent>;
}

/** The auxiliary client as the extension host holds it: it also cancels the calls still running when their request is cancelled. */
export interface BoundAuxiliaryClient extends AuxiliaryClient {
  /** Ends every call not `detached` that is running, and refuses the ones made after, with a cancellation error. */
  cancel(): void;
}

/** Whether `err` is an auxiliary call's end because its request was cancelled (nobody waits for the answer: nothing to log). */
export function auxiliaryCancelled(err: unknown): boolean {
  return err instanceof LipError && err.detail?.['cancelled'] === true;
}

export const MAX_AUXILIARY_DEPTH = 2;
export const DEFAULT_AUXILIARY_TIMEOUT_MS = 60_000;
/** The longest deadline a feature's config may give its auxiliary calls (a `timeout` key). */
export const MAX_AUXILIARY_TIMEOUT_MS = 24 * 3_600_000;

/**
 * Why a feature's configured auxiliary deadline (milliseconds, from a `lipDuration` key) is not
 * one, or undefined: it must be more than 0 and at most 24h. For a factory's `check`.
 */
export function auxiliaryTimeoutProblem(ms: number): string | undefined {
  if (!(ms > 0)) return 'must be more than 0';
  if (ms > MAX_AUXILIARY_TIMEOUT_MS) return `must be at most ${formatDuration(MAX_AUXILIARY_TIMEOUT_MS)} (got ${formatDuration(ms)})`;
  return undefined;
}

/** Where an auxiliary call runs: the runtime's own executor, with the nested call's context. */
export interface AuxiliaryTarget {
  run(call: Call, nested: NestedCall): Observable<LipEvent>;
}

/** What the executor needs to know about a nested call. */
export interface NestedCall {
  readonly requestId: string;
  readonly principal: string;
  readonly parentRequestId: string;
  readonly parentALegId?: string;
  readonly role: string;
  readonly depth: number;
  readonly disabled: ReadonlySet<string>;
  /** Receives the auxiliary A-leg id once the call resolved one. */
  readonly onALeg: (aLegId: string) => void;
}

export interface AuxiliaryParent {
  readonly requestId: string;
  readonly principal: string;
  readonly aLegId?: string;
  readonly depth: number;
  readonly disabled?: ReadonlySet<string>;
}

/**
 * The auxiliary client of one feature within one request: nested calls go through the same
 * executor (routing, circuits, continuity, extensions), one level deeper, with the calling
 * feature disabled so that a plugin never re-enters itself. Deeper than `MAX_AUXILIARY_DEPTH`
 * is refused, and so is a deadline that is not more than 0 and at most 2^31-1 ms (a longer timer
 * fires at once); a call slower than its deadline fails with `LIP_ERR_EXTENSION_FAILED`
 * (retryable, so the caller's failure mode decides).
 * @see spec/extensions/auxiliary-client.spec.ts
 */
export function auxiliaryClient(target: AuxiliaryTarget, feature: string, parent: AuxiliaryParent, scheduler?: SchedulerLike): BoundAuxiliaryClient {
  let count = 0;
  /** Set once the request (or attempt) that makes the calls was cancelled. */
  let cancelled = false;
  /** The calls running that end with their request: each one's way to end it. */
  const bound = new Set<() => void>();
  const prepare = (request: AuxiliaryRequest) => {
    const depth = parent.depth + 1;
    if (depth > MAX_AUXILIARY_DEPTH) throw new LipError('LIP_ERR_EXTENSION_FAILED', `auxiliary call from ${feature} refused: nesting deeper than ${MAX_AUXILIARY_DEPTH}`, { retryable: false });
    const issues = validateCall(request.call);
    if (issues.length > 0) throw new LipError('LIP_ERR_EXTENSION_FAILED', `auxiliary call from ${feature} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { retryable: false });
    const role = /^[A-Za-z0-9_-]{1,32}$/.test(request.role) ? request.role : 'auxiliary';
    const disabled = new Set([...(parent.disabled ?? []), feature, ...(request.disable ?? [])]);
    const ms = request.timeoutMs ?? DEFAULT_AUXILIARY_TIMEOUT_MS;
    if (!(typeof ms === 'number' && ms > 0 && ms <= MAX_DURATION_MS)) {
      throw new LipError('LIP_ERR_EXTENSION_FAILED', `auxiliary call from ${feature} refused: timeoutMs must be more than 0 and at most ${MAX_DURATION_MS} (got ${String(ms)})`, { retryable: false });
    }
    let aLegId: string | undefined;
    const nested: NestedCall = {
      requestId: `${parent.requestId}.aux-${role}-${++count}`,
      principal: parent.principal,
      parentRequestId: parent.requestId,
      ...(parent.aLegId !== undefined ? { parentALegId: parent.aLegId } : {}),
      role, depth, disabled,
      onALeg: (id) => { aLegId = id; },
    };
    const events = new Observable<LipEvent>((subscriber) => {
      const cancel = () => subscriber.error(new LipError('LIP_ERR_EXTENSION_FAILED', `auxiliary call ${nested.requestId} cancelled: the request that made it was cancelled`, {
        retryable: false, detail: { cancelled: true },
      }));
      if (request.detached !== true) {
        if (cancelled) return cancel();
        bound.add(cancel);
      }
      let timedOut = false;
      const deadline = timer(ms, scheduler);
      const sub = target.run(request.call, nested).pipe(takeUntil(new Observable<void>((s) => deadline.subscribe(() => { timedOut = true; s.next(); })))).subscribe({
        next: (e) => subscriber.next(e),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (timedOut) subscriber.error(new LipError('LIP_ERR_EXTENSION_FAILED', `auxiliary call ${nested.requestId} took longer than ${ms} ms`));
          else subscriber.complete();
        },
      });
      return () => {
        bound.delete(cancel);
        sub.unsubscribe();
      };
    });
    return { events, nested, aLeg: () => aLegId };
  };
  return {
    cancel() {
      cancelled = true;
      for (const end of [...bound]) end();
    },
    stream(request) {
      return new Observable<LipEvent>((subscriber) => prepare(request).events.subscribe(subscriber));
    },
    async collect(request) {
      const { events, nested, aLeg } = prepare(request);
      const response = await firstValueFrom(events.pipe(collect()));
      const aLegId = aLeg();
      return { response, requestId: nested.requestId, ...(aLegId !== undefined ? { aLegId } : {}) };
    },
  };
}
