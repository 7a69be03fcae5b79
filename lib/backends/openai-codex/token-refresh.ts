import { LipError } from '../../errors/index.js';
import { deadline } from '../../wire/deadline.js';
import { LOCAL_RENEWALS, type RenewalResult, type SharedRenewals } from '../credentials/index.js';
import { parseJsonOrUndefined, readBodyText, type UpstreamClient } from '../http/index.js';
import { codexLogin, type CodexGrant, type CodexLogin } from './codex-login.js';

/** How long one refresh may take. */
export const REFRESH_TIMEOUT_MS = 30_000;

/** How long a refresh that failed for a passing reason (the token endpoint's 5xx, unreachable) is not tried again. */
export const REFRESH_RETRY_MS = 30_000;

export interface RefreshSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** The clock of the refresh cool-down (the backend's scheduler; Date.now when absent). */
  readonly now?: () => number;
  /** Where the other processes that hold the login renew it (`lip serve --workers`); this process alone when absent. */
  readonly renewals?: SharedRenewals;
}

/** Why the last refresh failed, and until when that answer stands (Infinity: the refresh token is refused for good). */
interface RefreshFailure {
  readonly reason: string;
  /** The status the upstream refused the access token with. */
  readonly status: number;
  readonly until: number;
}

/**
 * The live access tokens of one backend. Each key of the pool is the token it was configured
 * with; the key the refresh token belongs to stands for its login's latest token (CodexLogin:
 * shared by every backend of this process that reads the login, and renewed once for all the
 * workers of `lip serve --workers`), kept in memory only. Refreshing is reactive (after the
 * upstream refused a token with 401/403), at most one at a time per login (concurrent attempts,
 * of any backend of the login, wait for the same one), and only for the token the refresh
 * token belongs to: `POST {oauth_token_url}` with `{client_id, grant_type: "refresh_token",
 * refresh_token, scope: "openid profile email"}`; a rotated refresh token replaces the old one,
 * and both outlive a reload of the backend. A failed refresh is remembered, so that later calls
 * fail at once (`refused`) instead of sending a dead token and refreshing again: a refresh token
 * the endpoint refused (400, 401: spent or revoked) until the backend is rebuilt (a reload, which
 * reads the login again), any other failure for REFRESH_RETRY_MS, as the renewed token refused
 * again at once (refusedAgain: the token is never retired as a dead key).
 *
 * ```ts
 * const tokens = new CodexTokens({ token: 'at-1', refreshToken: 'rt-1' }, settings);
 * await tokens.renew('codex', 'at-1', 401, client) // true; tokens.current('at-1') is the new token
 * ```
 * @see spec/backends/openai-codex/token-refresh.spec.ts
 */
export class CodexTokens {
  private readonly login: CodexLogin | undefined;
  private readonly renewals: SharedRenewals;
  /** Stops taking the renewals other processes make of the login. */
  private readonly unfollow: () => void;
  /** The last refresh's failure; undefined after a success. */
  private failure: RefreshFailure | undefined;

  constructor(private readonly refreshable: { readonly token: string; readonly refreshToken: string } | undefined, private readonly settings: RefreshSettings) {
    this.renewals = settings.renewals ?? LOCAL_RENEWALS;
    const login = refreshable ? codexLogin(refreshable.refreshToken) : undefined;
    this.login = login;
    this.unfollow = login ? this.renewals.follow<CodexGrant>(login.id, (renewed) => login.adopt(renewed)) : () => undefined;
  }

  /** The token to send for a pool key. */
  current(key: string): string {
    return (key === this.refreshable?.token ? this.login?.token : undefined) ?? key;
  }

  /** Refreshed tokens and the refresh tokens, to mask out of upstream messages. */
  get secrets(): readonly string[] {
    return this.login?.secrets ?? [];
  }

  /**
   * Refreshes the token behind `key` after the upstream refused it with `status`: true when a
   * new one is in place, the retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS saying why the refresh
   * failed (now or in a failure still remembered), undefined when `key` has no refresh token.
   * Never throws.
   */
  async renew(backendId: string, key: string | undefined, status: number, client: UpstreamClient, sent?: string): Promise<true | LipError | undefined> {
    const login = this.login;
    if (key === undefined || login === undefined || this.refreshable?.token !== key) return undefined;
    // Refused with a token a refresh has replaced since the request went out (two attempts sent
    // the old one at once; the other's refresh finished first): go again with the new one.
    if (sent !== undefined && sent !== this.current(key)) return true;
    const remembered = this.refused(backendId);
    if (remembered) return remembered;
    // Shared by every attempt waiting for it, so one client's disconnect does not cancel it for
    // the others: it runs to its own timeout, and the caller drops the result when it is gone.
    const renewal = await login.renew(this.renewals, (refreshToken) => this.refresh(refreshToken, client));
    if ('generation' in renewal) {
      this.failure = undefined;
      return true;
    }
    this.failure = { reason: renewal.failure, status, until: renewal.forGood ? Infinity : this.now() + REFRESH_RETRY_MS };
    return this.failedRefresh(backendId, this.failure);
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

  /** Stops following the renewals other processes make of the login (the backend closes). */
  close(): void {
    this.unfollow();
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

  /** One refresh with `refreshToken`: the grant, or why there is none. Never throws. */
  private async refresh(refreshToken: string, client: UpstreamClient): Promise<RenewalResult<CodexGrant>> {
    const body = JSON.stringify({ client_id: this.settings.clientId, grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'openid profile email' });
    const bound = deadline(REFRESH_TIMEOUT_MS);
    try {
      const response = await client.open({
        method: 'POST', url: this.settings.tokenUrl, headers: { 'content-type': 'application/json', accept: 'application/json' }, body,
      }, bound.signal);
      const text = await readBodyText(response.body, 64 * 1024);
      const answer = parseJsonOrUndefined(text) as Record<string, unknown> | undefined;
      const token = stringOf(answer, 'access_token', 'accessToken');
      if (response.statusCode < 200 || response.statusCode >= 300 || token === undefined) {
        // 400 (invalid_grant) and 401: this refresh token is spent or revoked; anything else may pass.
        return response.statusCode >= 300
          ? { failure: `the token endpoint answered ${response.statusCode}`, forGood: response.statusCode === 400 || response.statusCode === 401 }
          : { failure: 'the token endpoint sent no access_token', forGood: false };
      }
      return { value: { token, refreshToken: stringOf(answer, 'refresh_token', 'refreshToken') ?? refreshToken } };
    } catch (err) {
      return { failure: `the token endpoint could not be reached (${(err as Error)?.message ?? String(err)})`, forGood: false };
    } finally {
      bound.clear();
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
