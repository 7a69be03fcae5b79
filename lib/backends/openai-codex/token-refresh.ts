import { LipError } from '../../errors/index.js';
import { parseJsonOrUndefined, readBodyText, type UpstreamClient } from '../http/index.js';

/** How long one refresh may take. */
export const REFRESH_TIMEOUT_MS = 30_000;

/** How long a refresh that failed for a passing reason (the token endpoint's 5xx, unreachable) is not tried again. */
export const REFRESH_RETRY_MS = 30_000;

export interface RefreshSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** The clock of the refresh cool-down (the backend's scheduler; Date.now when absent). */
  readonly now?: () => number;
}

/** Why the last refresh failed, and until when that answer stands (Infinity: the refresh token is refused for good). */
interface RefreshFailure {
  readonly reason: string;
  /** The status the upstream refused the access token with. */
  readonly status: number;
  readonly until: number;
}

/**
 * What refreshes produced in this process, by the refresh token the login started from: a
 * backend rebuilt by a reload (which reads auth.json again) carries on with the renewed token
 * and the rotated refresh token instead of a spent one. Bounded; memory only.
 */
const RENEWED = new Map<string, { readonly token: string; readonly refreshToken: string }>();
const RENEWED_MAX = 64;

/**
 * The live access tokens of one backend. Each key of the pool is the token it was configured
 * with; after a refresh the key stands for the new token, kept in memory only. Refreshing is
 * reactive (after the upstream refused a token with 401/403), at most one at a time per token
 * (concurrent attempts wait for the same one), and only for the token the refresh token
 * belongs to: `POST {oauth_token_url}` with `{client_id, grant_type: "refresh_token",
 * refresh_token, scope: "openid profile email"}`; a rotated refresh token replaces the old one,
 * and both outlive a reload of the backend (RENEWED). A failed refresh is remembered, so that
 * later calls fail at once (`refused`) instead of sending a dead token and refreshing again: a
 * refresh token the endpoint refused (400, 401: spent or revoked) until the backend is rebuilt
 * (a reload, which reads the login again), any other failure for REFRESH_RETRY_MS, as the
 * renewed token refused again at once (refusedAgain: the token is never retired as a dead key).
 *
 * ```ts
 * const tokens = new CodexTokens({ token: 'at-1', refreshToken: 'rt-1' }, settings);
 * await tokens.renew('codex', 'at-1', 401, client) // true; tokens.current('at-1') is the new token
 * ```
 * @see spec/backends/openai-codex/token-refresh.spec.ts
 */
export class CodexTokens {
  private readonly live = new Map<string, string>();
  private refreshToken: string | undefined;
  private pending: Promise<boolean> | undefined;
  private readonly issued: string[] = [];
  /** The last refresh's failure; undefined after a success. */
  private failure: RefreshFailure | undefined;

  constructor(private readonly refreshable: { readonly token: string; readonly refreshToken: string } | undefined, private readonly settings: RefreshSettings) {
    this.refreshToken = refreshable?.refreshToken;
    const earlier = refreshable ? RENEWED.get(refreshable.refreshToken) : undefined;
    if (refreshable && earlier) {
      this.live.set(refreshable.token, earlier.token);
      this.issued.push(earlier.token);
      this.refreshToken = earlier.refreshToken;
    }
  }

  /** The token to send for a pool key. */
  current(key: string): string {
    return this.live.get(key) ?? key;
  }

  /** Refreshed tokens and the refresh tokens, to mask out of upstream messages. */
  get secrets(): readonly string[] {
    return this.refreshToken ? [...this.issued, this.refreshToken, ...(this.refreshable ? [this.refreshable.refreshToken] : [])] : this.issued;
  }

  /**
   * Refreshes the token behind `key` after the upstream refused it with `status`: true when a
   * new one is in place, the retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS saying why the refresh
   * failed (now or in a failure still remembered), undefined when `key` has no refresh token.
   * Never throws.
   */
  async renew(backendId: string, key: string | undefined, status: number, client: UpstreamClient, sent?: string): Promise<true | LipError | undefined> {
    if (key === undefined || this.refreshable?.token !== key || this.refreshToken === undefined) return undefined;
    // Refused with a token a refresh has replaced since the request went out (two attempts sent
    // the old one at once; the other's refresh finished first): go again with the new one.
    if (sent !== undefined && sent !== this.current(key)) return true;
    const remembered = this.refused(backendId);
    if (remembered) return remembered;
    // Shared by every attempt waiting for it, so one client's disconnect does not cancel it for
    // the others: it runs to its own timeout, and the caller drops the result when it is gone.
    this.pending ??= this.refresh(key, status, client).finally(() => { this.pending = undefined; });
    if (await this.pending) return true;
    return this.failedRefresh(backendId, this.failure!);
  }

  /**
   * The upstream refused `key` with `status` again right after this call renewed it (a renewed
   * token not accepted yet, a login the upstream refuses whatever the token): the refreshable
   * token is kept (never retired as a dead key), and the failure is remembered for
   * REFRESH_RETRY_MS, after which a call that is refused refreshes again. The retryable
   * LIP_ERR_UPSTREAM_NO_CREDENTIALS the call fails with; undefined when `key` has no refresh token.
   */
  refusedAgain(backendId: string, key: string, status: number): LipError | undefined {
    if (this.refreshable?.token !== key) return undefined;
    this.failure = { reason: 'the upstream refused the renewed token too', status, until: this.now() + REFRESH_RETRY_MS };
    return this.failedRefresh(backendId, this.failure);
  }

  /**
   * The retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS of a failed refresh while it is remembered
   * (the refreshable token is refused and cannot be renewed now), else undefined.
   */
  refused(backendId: string): LipError | undefined {
    const failure = this.failure;
    return failure === undefined || failure.until <= this.now() ? undefined : this.failedRefresh(backendId, failure);
  }

  private failedRefresh(backendId: string, failure: RefreshFailure): LipError {
    const retry = failure.until === Infinity
      ? 'lip does not try that refresh token again until the backend is reloaded (after `codex login`, say)'
      : `the refresh is tried again in ${Math.max(1, Math.ceil((failure.until - this.now()) / 1000))}s`;
    return new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${backendId}": the upstream refused the access token (${failure.status}) and refreshing it failed: ${failure.reason}; ${retry}`, {
      status: 503, retryable: true, detail: { backend: backendId, reason: 'refresh_failed' },
    });
  }

  private now(): number {
    return this.settings.now?.() ?? Date.now();
  }

  private async refresh(key: string, status: number, client: UpstreamClient): Promise<boolean> {
    const failed = (reason: string, forGood = false) => {
      this.failure = { reason, status, until: forGood ? Infinity : this.now() + REFRESH_RETRY_MS };
      return false;
    };
    const body = JSON.stringify({ client_id: this.settings.clientId, grant_type: 'refresh_token', refresh_token: this.refreshToken, scope: 'openid profile email' });
    try {
      const response = await client.open({
        method: 'POST', url: this.settings.tokenUrl, headers: { 'content-type': 'application/json', accept: 'application/json' }, body,
      }, AbortSignal.timeout(REFRESH_TIMEOUT_MS));
      const text = await readBodyText(response.body, 64 * 1024);
      const answer = parseJsonOrUndefined(text) as Record<string, unknown> | undefined;
      const token = stringOf(answer, 'access_token', 'accessToken');
      if (response.statusCode < 200 || response.statusCode >= 300 || token === undefined) {
        // 400 (invalid_grant) and 401: this refresh token is spent or revoked; anything else may pass.
        return response.statusCode >= 300
          ? failed(`the token endpoint answered ${response.statusCode}`, response.statusCode === 400 || response.statusCode === 401)
          : failed('the token endpoint sent no access_token');
      }
      this.live.set(key, token);
      this.issued.push(token);
      if (this.issued.length > 16) this.issued.shift();
      this.refreshToken = stringOf(answer, 'refresh_token', 'refreshToken') ?? this.refreshToken;
      const origin = this.refreshable!.refreshToken;
      RENEWED.delete(origin);
      if (RENEWED.size >= RENEWED_MAX) RENEWED.delete(RENEWED.keys().next().value!);
      RENEWED.set(origin, { token, refreshToken: this.refreshToken! });
      this.failure = undefined;
      return true;
    } catch (err) {
      return failed(`the token endpoint could not be reached (${(err as Error)?.message ?? String(err)})`);
    }
  }
}

function stringOf(object: Record<string, unknown> | undefined, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = object?.[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}
