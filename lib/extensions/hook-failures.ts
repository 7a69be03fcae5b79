import { LipError } from '../errors/index.js';
import type { Registered } from './hook-set.js';
import type { ExtensionLogger } from './sdk.js';
import type { StageId } from './stages.js';

/**
 * Fail-open skips per stage since the process started; the metrics module reads it as
 * `lip_extension_stage_fail_open_skips_total{stage}`.
 */
export const FAIL_OPEN_SKIPS = new Map<StageId, number>();

const LOG_INTERVAL_MS = 60_000;

/**
 * What happens when a hook fails (throws, rejects, or leaves the call or stream canonically
 * invalid): a `fail_open` hook is skipped and counted; a `fail_closed` hook stops the request
 * with `LIP_ERR_EXTENSION_FAILED`, retryable so that a failure before output still fails over.
 * Either way the failure is logged, with the feature, hook and stage, at most once per minute per
 * hook and mode.
 */
export class HookFailures {
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly logger: ExtensionLogger | undefined, private readonly now: () => number = Date.now) {}

  /** Undefined for a skipped fail-open hook; otherwise the error that ends the request or attempt. */
  failed(hook: Registered, cause: unknown): LipError | undefined {
    const detail = describe(cause);
    this.log(hook, detail);
    if (hook.mode === 'fail_closed') return closedFailure(hook, cause, detail);
    FAIL_OPEN_SKIPS.set(hook.stage, (FAIL_OPEN_SKIPS.get(hook.stage) ?? 0) + 1);
    return undefined;
  }

  /**
   * What a hook whose answer nobody waits for (an observer: `StreamObserver`, `TrafficObserver`)
   * answered: a promise (an `async` hook) that rejects is that hook's failure when it rejects, as a
   * throw would have been, never a process-level unhandled rejection. `stop` ends what a
   * fail_closed hook belongs to with the failure and says whether it still could (false: it is
   * over, the failure is then skipped, counted and logged as a fail_open one's). Without `stop`
   * every such failure is a fail_open one's.
   */
  settle(hook: Registered, answer: unknown, stop?: (err: LipError) => boolean): void {
    if (!isThenable(answer)) return;
    Promise.resolve(answer).then(undefined, (cause: unknown) => {
      const detail = describe(cause);
      if (stop && hook.mode === 'fail_closed' && stop(closedFailure(hook, cause, detail))) this.log(hook, detail);
      else this.failed({ ...hook, mode: 'fail_open' }, cause);
    });
  }

  /** One warning per hook and mode a minute: `extension hook failed; skipped (fail_open)` or `extension hook failed (fail_closed)`. */
  private log(hook: Registered, detail: string): void {
    const at = this.now();
    const key = `${hook.key} ${hook.mode}`;
    const last = this.lastLogged.get(key);
    if (last !== undefined && at - last < LOG_INTERVAL_MS) return;
    this.lastLogged.set(key, at);
    const message = hook.mode === 'fail_closed' ? 'extension hook failed (fail_closed)' : 'extension hook failed; skipped (fail_open)';
    this.logger?.warn(message, { feature: hook.feature, hook: hook.hook.id, stage: hook.stage, error: detail });
  }
}

/** The error a fail_closed hook's failure ends its request or attempt with. */
function closedFailure(hook: Registered, cause: unknown, detail: string): LipError {
  return new LipError('LIP_ERR_EXTENSION_FAILED', `extension hook ${hook.key} (${hook.stage}) failed: ${detail}`, {
    retryable: true, cause, detail: { feature: hook.feature, hook: hook.hook.id, stage: hook.stage },
  });
}

/**
 * Whether a hook answered a promise (anything with a `then` method). Never throws: an answer
 * whose `then` cannot be read (a Proxy, a getter that throws) is no promise, and what reads the
 * rest of it finds it broken (the hook's failure).
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
  } catch {
    return false;
  }
}

/**
 * The answer of a hook in a synchronous stage (request parts, attempt transforms, mutators, tool
 * finalizers, policies and reactors, traffic redactors), which must be a value: a promise (an
 * `async` hook) is thrown as the hook's failure, and its own rejection, if it comes, is dropped
 * there (the failure is counted once, and nothing reaches the process as an unhandled rejection).
 */
export function synchronous<T>(answer: T): T {
  if (!isThenable(answer)) return answer;
  Promise.resolve(answer).then(undefined, () => undefined);
  throw new TypeError('answered a promise; hooks of this stage are synchronous');
}

/**
 * A rejection a hook answered on purpose (not a failure: the failure mode does not apply). Its
 * status is the hook's when that is an error status (an integer from 400 to 599), else 403: a
 * success, redirect or informational status would send the error as an answer (101 never ends,
 * 204 and 304 have no body), and one outside 100-599 is no HTTP status at all.
 */
export function rejection(hook: Registered, message: string, status?: unknown): LipError {
  return new LipError('LIP_ERR_EXTENSION_REJECTED', `${message} (${hook.key}, ${hook.stage})`, {
    status: Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599 ? (status as number) : 403,
    detail: { feature: hook.feature, hook: hook.hook.id, stage: hook.stage },
  });
}

/** What a hook threw, as text: an error's message, anything else as a string; never a throw of its own. */
function describe(cause: unknown): string {
  try {
    return cause instanceof Error ? String(cause.message) : String(cause);
  } catch {
    return 'a value that cannot be made text';
  }
}
