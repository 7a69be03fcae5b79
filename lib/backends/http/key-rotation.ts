import { channel } from 'node:diagnostics_channel';
import { LipError } from '../../errors/index.js';
import type { KeyLease, KeyPool } from '../credentials/index.js';
import type { UpstreamRequest } from './upstream-client.js';

/**
 * Key pool changes on the `lip:upstream-key` diagnostics channel (metrics count them): a key
 * `retired` after a 401, `cooled_down` after a 429. Published only while someone listens.
 */
export const upstreamKeyChannel = channel('lip:upstream-key');

export interface UpstreamKeyEvent {
  readonly backendId: string;
  readonly action: 'retired' | 'cooled_down';
}

export interface CredentialOptions {
  /** The backend's keys; undefined or empty with `required: false` sends no key. */
  readonly pool: KeyPool | undefined;
  readonly required: boolean;
  /** Where keys come from, for the "no key" message (`OPENAI_API_KEY`, ...). */
  readonly hint: string;
  readonly now: () => number;
}

/** What the kind says about a refusal of the key sent. */
export interface KeyRefusals {
  readonly backendId: string;
  /** Whether an answer other than a 401 refuses the key sent (the pool retires it as after a 401). */
  keyRejected?(status: number, error: LipError): boolean;
  /**
   * A credential that can be renewed (an OAuth access token): asked once per call after a 401
   * or 403 for the key that was sent. True: a fresh token is in place and the same request goes
   * out again with the same key; a LipError: renewing failed, the call fails with it; undefined:
   * nothing to renew, the answer is handled as it would have been.
   */
  renew?(key: string | undefined, status: number, signal: AbortSignal, sent: UpstreamRequest): Promise<true | LipError | undefined>;
  /**
   * A renewable credential is never retired: refused again (a 401, or the kind's own refusal)
   * after this call renewed it, the call fails with the error this answers, and a later call
   * renews it again. Undefined: `key` is not renewable, the pool retires it.
   */
  refusedAfterRenewal?(key: string, status: number): LipError | undefined;
}

/** A non-2xx answer to the request sent with `lease`. */
export interface RefusedAnswer {
  readonly lease: KeyLease | undefined;
  readonly sent: UpstreamRequest;
  readonly status: number;
  /** The answer as the kind classifies it. */
  readonly error: LipError;
  /** The answer's Retry-After in milliseconds, if it had one. */
  readonly wait: number | undefined;
}

/**
 * The keys one upstream call goes through (a generation's attempt, a token count, an embeddings
 * call, a model list): every kind of call rotates, retires and cools its keys alike (CONTRACT
 * section 6). `next()` hands out the next usable key not tried yet in this call; `retry()` is
 * told each non-2xx answer and says whether the same call goes out again: after a 401 (or the
 * kind's own refusal of a key) the key is retired, after a 429 it cools down (Retry-After, else
 * the body's retry delay, else 60 s; an hour when the 429 says the quota is spent,
 * LIP_ERR_UPSTREAM_QUOTA_EXCEEDED), and either way the next key is tried; a renewable
 * credential is renewed once after a 401 or 403 and the same key goes out again, and is never
 * retired (refused again, the call fails with the kind's error). When no key is left, `next()`
 * throws the retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS.
 *
 * ```ts
 * const keys = new KeyRotation(credentials, refusals);
 * for (;;) {
 *   const lease = keys.next();                       // k1, then k2 after k1's 401
 *   const answer = await send(lease?.key);
 *   if (ok(answer)) return answer;
 *   if (!await keys.retry({ lease, sent, status, error, wait }, signal)) throw error;
 * }
 * ```
 * @see spec/backends/http/upstream-source.spec.ts, spec/e2e/regression-unary-key-rotation.spec.ts
 */
export class KeyRotation {
  private readonly tried = new Set<number>();
  private rateLimited: LipError | undefined;
  private rejected = 0;
  private renewed = false;
  /** The lease to send again (its credential was renewed). */
  private again: KeyLease | undefined;

  constructor(private readonly credentials: CredentialOptions, private readonly refusals: KeyRefusals) {}

  /** The key for the next request; undefined when there is none and none is required. */
  next(): KeyLease | undefined {
    const again = this.again;
    this.again = undefined;
    if (again !== undefined) return again;
    const { pool } = this.credentials;
    const backendId = this.refusals.backendId;
    if (pool && pool.size > 0) {
      const lease = pool.acquire(this.tried);
      if (!lease) throw noCredentials(backendId, pool, this.rateLimited, this.rejected);
      this.tried.add(lease.index);
      return lease;
    }
    if (this.credentials.required) {
      throw new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${backendId}" has no API key: set ${this.credentials.hint}`, {
        status: 503, detail: { backend: backendId, reason: 'none_configured' },
      });
    }
    return undefined;
  }

  /**
   * Whether the call goes out again after `answer` (with `next()`'s key): the key was renewed,
   * retired or cooled down. False: `answer.error` is the call's answer.
   * @throws LipError when renewing the credential failed, or its renewal was refused too.
   */
  async retry(answer: RefusedAnswer, signal: AbortSignal): Promise<boolean> {
    const { lease, status, error } = answer;
    const { pool } = this.credentials;
    const { backendId, renew } = this.refusals;
    if ((status === 401 || status === 403) && renew && !this.renewed) {
      this.renewed = true;
      const renewal = await renew(lease?.key, status, signal, answer.sent);
      if (signal.aborted) return false; // the caller is gone: nothing more is sent or said
      if (renewal === true) {
        this.again = lease;
        return true;
      }
      if (renewal) throw renewal;
    }
    if (!lease || !pool) return false;
    if (status === 401 || this.refusals.keyRejected?.(status, error) === true) {
      const kept = this.renewed ? this.refusals.refusedAfterRenewal?.(lease.key, status) : undefined;
      if (kept) throw kept;
      pool.retire(lease);
      if (upstreamKeyChannel.hasSubscribers) upstreamKeyChannel.publish({ backendId, action: 'retired' } satisfies UpstreamKeyEvent);
      this.rejected++;
      return true;
    }
    if (status === 429) {
      // A spent quota sits out an hour; a rate limit its Retry-After, else what the body said
      // (Gemini RetryInfo), else the default cooldown.
      if (error.code === 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED') pool.spend(lease);
      else pool.coolDown(lease, answer.wait ?? (error.retryAfter !== undefined ? error.retryAfter * 1000 : undefined));
      if (upstreamKeyChannel.hasSubscribers) upstreamKeyChannel.publish({ backendId, action: 'cooled_down' } satisfies UpstreamKeyEvent);
      this.rateLimited = error;
      return true;
    }
    return false;
  }
}

/**
 * The refusal when no key of `pool` is usable: every one rejected (503), or rate-limited (429 with
 * Retry-After), or out because its quota is spent (429 LIP_ERR_UPSTREAM_QUOTA_EXCEEDED without
 * Retry-After: no wait of seconds helps, see QUOTA_COOLDOWN_MS).
 */
export function noCredentials(backendId: string, pool: KeyPool, rateLimited: LipError | undefined, rejected: number): LipError {
  const recovery = pool.recoveryMs();
  const detail = { backend: backendId, keys: pool.state() };
  if (pool.quotaSpent()) {
    return new LipError('LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', `backend "${backendId}": the quota of every API key is spent; the first is tried again in ${Math.ceil((recovery ?? 0) / 60_000)} min${rateLimited ? ` (upstream: ${rateLimited.message})` : ''}`, {
      status: 429, detail: { ...detail, reason: rateLimited ? 'quota_exceeded' : 'cooling_down' },
    });
  }
  if (recovery === undefined) {
    return new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${backendId}": every API key was rejected by the upstream (401)${rejected ? '' : ' earlier'}`, {
      status: 503, detail: { ...detail, reason: 'rejected' },
    });
  }
  const seconds = Math.max(1, Math.ceil(recovery / 1000));
  // `rate_limited`: the upstream answered this call 429; `cooling_down`: every key was still
  // cooling from an earlier one and nothing was sent (not news of the candidate: see outcomeOf).
  return new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${backendId}": every API key is rate-limited; the first recovers in ${seconds}s${rateLimited ? ` (upstream: ${rateLimited.message})` : ''}`, {
    status: 429, retryAfter: seconds, detail: { ...detail, reason: rateLimited ? 'rate_limited' : 'cooling_down' },
  });
}
