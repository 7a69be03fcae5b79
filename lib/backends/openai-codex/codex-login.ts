import { keyFingerprint, type Renewal, type RenewalResult, type Renewed, type SharedRenewals } from '../credentials/index.js';

/** What a refresh grants: the access token, and the refresh token for the next refresh (rotated, or the same one). */
export interface CodexGrant {
  readonly token: string;
  readonly refreshToken: string;
}

/** How many renewed tokens a login keeps to mask out of upstream messages. */
const ISSUED_MAX = 16;

/**
 * One Codex login as this process holds it, shared by every backend that reads it (two rows of
 * one auth.json, the backend a reload builds): the grant of its last renewal and the one renewal
 * under way. The holders of a login renew it together, so that a provider that rotates refresh
 * tokens never sees a spent one from a holder that kept its own copy: concurrent renewals join
 * the one under way, and a renewal goes through `SharedRenewals` (the other workers of `lip serve
 * --workers`, which hand back a newer grant one of them got instead of letting this process
 * refresh with the refresh token it rotated away).
 *
 * ```ts
 * const login = codexLogin('rt-1');
 * await login.renew(LOCAL_RENEWALS, (refreshToken) => post(refreshToken)); // login.token: the new token
 * ```
 * @see spec/backends/openai-codex/token-refresh.spec.ts
 */
export class CodexLogin {
  /** The login's name among processes (the refresh token never names itself). */
  readonly id: string;
  private grant: CodexGrant | undefined;
  /** The generation of `grant` (0: the login as configured). */
  private generation = 0;
  private pending: Promise<Renewal<CodexGrant>> | undefined;
  private readonly issued: string[] = [];

  constructor(private readonly origin: string) {
    this.id = keyFingerprint(origin);
  }

  /** The access token of the last renewal; undefined before the first (the configured token stands). */
  get token(): string | undefined {
    return this.grant?.token;
  }

  /** The renewed tokens and the refresh tokens, to mask out of upstream messages. */
  get secrets(): readonly string[] {
    return [...this.issued, ...(this.grant ? [this.grant.refreshToken] : []), this.origin];
  }

  /**
   * Renews the login for every holder: the renewal under way in this process, else one through
   * `renewals`, where `refresh` posts the refresh token held. Never rejects.
   */
  renew(renewals: SharedRenewals, refresh: (refreshToken: string) => Promise<RenewalResult<CodexGrant>>): Promise<Renewal<CodexGrant>> {
    this.pending ??= renewals.renew(this.id, this.generation, () => refresh(this.grant?.refreshToken ?? this.origin))
      .then((renewal) => {
        if ('generation' in renewal) this.adopt(renewal);
        return renewal;
      })
      .finally(() => { this.pending = undefined; });
    return this.pending;
  }

  /** Takes a renewal newer than the grant held (another process's, or this one's). */
  adopt(renewed: Renewed<CodexGrant>): void {
    if (renewed.generation <= this.generation) return;
    this.generation = renewed.generation;
    this.grant = renewed.value;
    this.issued.push(renewed.value.token);
    if (this.issued.length > ISSUED_MAX) this.issued.shift();
  }
}

/**
 * The logins of this process, by the refresh token each started from: a backend rebuilt by a
 * reload (which reads auth.json again) carries on with the renewed token and the rotated refresh
 * token instead of a spent one. Bounded; memory only.
 */
const LOGINS = new Map<string, CodexLogin>();
const LOGINS_MAX = 64;

/** The login that started from `refreshToken` (a new one the first time it is read). */
export function codexLogin(refreshToken: string): CodexLogin {
  const known = LOGINS.get(refreshToken);
  if (known) return known;
  if (LOGINS.size >= LOGINS_MAX) LOGINS.delete(LOGINS.keys().next().value!);
  const login = new CodexLogin(refreshToken);
  LOGINS.set(refreshToken, login);
  return login;
}
