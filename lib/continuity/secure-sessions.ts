import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { LipError } from '../errors/index.js';
import type { AttemptTicket, ContinuityStore, PendingALeg, ResolvedALeg, SessionRecord } from './continuity-store.js';
import { checkSessionId, idTime, newALegId, newBLegId, newSessionId, SESSION_ID_PATTERN } from './ids.js';

/** A resume token: 48 random bytes in base64url (64 characters), returned once. */
export const RESUME_TOKEN_BYTES = 48;
export const RESUME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{64}$/;

export interface SessionSettings {
  /** `continuity.resume_window` in milliseconds. */
  readonly resumeWindowMs: number;
  /** `continuity.client_session_ids`: a client-chosen X-LIP-Session-Id resumes without a token. */
  readonly clientSessionIds: boolean;
  /** `continuity.resume_token_key`; absent: the store's own key (`ContinuityStore.fingerprintKey`). */
  readonly key?: string;
  /** The clock of the resume window (the store's scheduler). */
  readonly now: () => number;
  /**
   * `continuity.lineage: conversations`: a new conversation gets no record until something
   * needs one (`SessionGrant.pending`), and its token is sealed so that it can resume it anyway.
   */
  readonly lazy?: boolean;
}

/** What a request says about the conversation it belongs to. */
export interface SessionRequest {
  readonly principal: string;
  /** `X-LIP-Session-Id`. */
  readonly sessionId?: string;
  /** `X-LIP-Resume-Token`, else `lip_resume_token` in the body's metadata. */
  readonly resumeToken?: string;
  /** Where the client sent the token (`metadata.lip_resume_token`), named by an error about it; default `X-LIP-Resume-Token`. */
  readonly resumeTokenParam?: string;
  /**
   * `X-LIP-A-Leg-Id`: with a token, it must name the token's A-leg. Without one it is refused
   * like a session id, unless `client_session_ids` (then it names the principal's A-leg).
   */
  readonly aLegId?: string;
  /** The A-leg of the stored response the request continues (`previous_response_id`), if any. */
  readonly continuedALegId?: string;
}

export interface SessionGrant {
  readonly aLeg: ResolvedALeg;
  /** Set only when the request started a session: the client sees it this once. */
  readonly resumeToken?: string;
  /** Set when the new conversation has no record yet (`continuity.lineage: conversations`). */
  readonly pending?: PendingALeg;
}

/** Random bytes drawn from a pooled buffer, refilled 4 KiB at a time (one syscall per 85 tokens). */
const pool = Buffer.allocUnsafe(4096 - (4096 % RESUME_TOKEN_BYTES));
let offset = pool.length;

function newResumeToken(): string {
  if (offset + RESUME_TOKEN_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + RESUME_TOKEN_BYTES);
  offset += RESUME_TOKEN_BYTES;
  return token;
}

const denied = () => new LipError('LIP_ERR_SESSION_DENIED', 'session could not be resumed; start a new conversation by sending neither X-LIP-Session-Id nor X-LIP-Resume-Token');

/**
 * Proxy-issued sessions with resume tokens. A request that names no conversation starts one:
 * a new A-leg under a new `s_` session id, and a resume token (48 random bytes) that lip
 * returns once and never stores: the store keeps only
 * `HMAC-SHA256(key, "lip-resume-v1" \0 principal \0 token)`, so the token is bound to the
 * principal it was issued to, and neither a copy of the store nor another principal's key can
 * resume it. Resuming needs the token; the checks run in this order and stop at the first
 * failure:
 *
 * 1. the token is known (its fingerprint under this principal is stored) -> else denied;
 * 2. a session id sent along is the token's -> else denied;
 * 3. the owner is this principal (already implied by 1; checked again) -> else denied;
 * 4. an A-leg id sent along is the token's -> else denied;
 * 5. the last activity is within `resume_window` -> else expired.
 *
 * Every denial of 1-4 is the same 403 with the same message, so no answer tells whether a
 * session exists for another principal. A session id or A-leg id without a token is refused
 * (400), unless `client_session_ids` keeps the older behaviour: the client's own session id names
 * (and creates) the principal's A-leg, an A-leg id names an existing one. A `previous_response_id` continuation resumes the A-leg of that response
 * (the store already checked that the response is this principal's).
 *
 * With `lazy` (`continuity.lineage: conversations`) a new conversation gets no record: its ids
 * and a sealed token (see `seal`) go out, and `SessionGrant.pending` stores it when something
 * needs it. A token no stored fingerprint matches is then unsealed, and check 1 becomes "the seal
 * holds under this principal"; checks 2-5 are the same (the window counts from the start).
 * @see spec/continuity/secure-sessions.spec.ts, docs/continuity.md#sessions-and-resume-tokens
 */
export class SecureSessions {
  private configuredKey: Buffer | undefined;

  constructor(private readonly store: ContinuityStore, private readonly settings: SessionSettings) {}

  get clientSessionIds(): boolean {
    return this.settings.clientSessionIds;
  }

  /**
   * For a store that reads asynchronously (redis): loads what `open` (or `identify`) will look
   * up for this request (the token's session, the session id, the A-legs named) fresh from the
   * shared store. Undefined for memory and SQLite, whose lookups read in place: nothing to await.
   */
  prepare(request: SessionRequest): Promise<void> | undefined {
    if (this.store.preload === undefined) return undefined;
    const { principal, sessionId, resumeToken, aLegId, continuedALegId } = request;
    const token = resumeToken !== undefined && RESUME_TOKEN_PATTERN.test(resumeToken) ? resumeToken : undefined;
    return this.store.preload({
      principal,
      ...(sessionId !== undefined && SESSION_ID_PATTERN.test(sessionId) ? { sessionId } : {}),
      ...(token !== undefined ? { fingerprint: () => this.fingerprint(principal, token) } : {}),
      aLegIds: [aLegId, continuedALegId].filter((id): id is string => id !== undefined),
    });
  }

  /** The conversation of a request: resumed, or started (with its new token). */
  open(request: SessionRequest): SessionGrant {
    const { principal, sessionId, resumeToken } = request;
    if (sessionId !== undefined) checkSessionId(sessionId);
    if (resumeToken !== undefined) return { aLeg: this.resume(request, resumeToken) };
    if (sessionId !== undefined || request.aLegId !== undefined) return { aLeg: this.named(request) };
    if (request.continuedALegId !== undefined) {
      const aLeg = this.store.resumeALeg(request.continuedALegId, principal);
      if (aLeg) return { aLeg };
    }
    return this.begin(principal);
  }

  /**
   * The conversation a request names without a token, by its session id or A-leg id: refused
   * (400) unless `client_session_ids`. Then a session id names (and creates) the principal's
   * A-leg; an A-leg id names one that exists, and must be the session id's and the continued
   * response's when those come along (else denied, as with a token).
   */
  private named(request: SessionRequest): ResolvedALeg {
    const { principal, sessionId, aLegId, continuedALegId } = request;
    if (!this.settings.clientSessionIds) {
      const header = sessionId !== undefined ? 'X-LIP-Session-Id' : 'X-LIP-A-Leg-Id';
      throw new LipError('LIP_ERR_SESSION_TOKEN_REQUIRED', `${header} alone does not resume a conversation: send the X-LIP-Resume-Token that lip returned when the conversation started (or send neither to start a new one)`, { param: 'X-LIP-Resume-Token' });
    }
    if (aLegId === undefined) return this.store.resolveALeg(principal, sessionId!);
    if (continuedALegId !== undefined && continuedALegId !== aLegId) throw denied();
    const aLeg = this.store.resumeALeg(aLegId, principal);
    if (aLeg === undefined || (sessionId !== undefined && aLeg.sessionId !== sessionId)) throw denied();
    return aLeg;
  }

  /** Starts a conversation: a new A-leg and session id, and the token that resumes them. */
  begin(principal: string): SessionGrant {
    if (this.settings.lazy) return this.beginPending(principal);
    const resumeToken = newResumeToken();
    return { aLeg: this.store.createSession(principal, this.fingerprint(principal, resumeToken)), resumeToken };
  }

  /**
   * The A-leg of an extension's auxiliary call or of an embeddings request, named by `name` (no
   * token; what a session id cannot hold, such as the `/` of a batch request's id, becomes `_`,
   * and it is cut to 128 characters): stored at once, or with `lazy`, only if its routing needs
   * session state.
   */
  auxiliary(principal: string, name: string): SessionGrant {
    const sessionId = name.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 128) || '_';
    if (!this.settings.lazy) return { aLeg: this.store.resolveALeg(principal, sessionId) };
    const aLegId = newALegId(this.settings.now());
    return {
      aLeg: { aLegId, sessionId, principal, created: true, firstConsumed: false, affinity: undefined },
      pending: pendingALeg(aLegId, () => {
        this.store.storeALeg({ principal, aLegId, sessionId, createdAt: idTime(aLegId) });
      }),
    };
  }

  /**
   * A conversation without a record: its ids now, its record when `pending.store()` is called.
   * The token is sealed (see `seal`), so it resumes the conversation whether or not the record
   * was ever made.
   */
  private beginPending(principal: string): SessionGrant {
    // The ids carry the start on the sessions' clock: the resume window of an unstored conversation counts from it.
    const now = this.settings.now();
    const aLegId = newALegId(now);
    const sessionId = newSessionId(now);
    const resumeToken = this.seal(principal, aLegId, sessionId);
    const aLeg: ResolvedALeg = { aLegId, sessionId, principal, created: true, firstConsumed: false, affinity: undefined };
    return {
      aLeg, resumeToken,
      pending: pendingALeg(aLegId, () => {
        this.store.storeALeg({ principal, aLegId, sessionId, createdAt: idTime(aLegId), fingerprint: this.fingerprint(principal, resumeToken) });
      }),
    };
  }

  /**
   * The session a token resumes, for `principal` (cancel endpoints): undefined when the token is
   * malformed, unknown, or another principal's. No window check: only in-flight work is touched.
   */
  identify(principal: string, resumeToken: string): SessionRecord | undefined {
    if (!RESUME_TOKEN_PATTERN.test(resumeToken)) return undefined;
    const record = this.store.findSession(this.fingerprint(principal, resumeToken)) ?? this.unstored(principal, resumeToken);
    return record?.principal === principal ? record : undefined;
  }

  private resume(request: SessionRequest, resumeToken: string): ResolvedALeg {
    if (!RESUME_TOKEN_PATTERN.test(resumeToken)) {
      const param = request.resumeTokenParam ?? 'X-LIP-Resume-Token';
      throw new LipError('LIP_ERR_REQUEST_INVALID', `${param} must be the 64-character token lip returned when the conversation started`, { param });
    }
    const fingerprint = this.fingerprint(request.principal, resumeToken);
    const found = this.store.findSession(fingerprint);
    const record = found ?? this.unstored(request.principal, resumeToken);
    if (record === undefined) throw denied();
    if (request.sessionId !== undefined && request.sessionId !== record.sessionId) throw denied();
    if (record.principal !== request.principal) throw denied();
    if (request.aLegId !== undefined && request.aLegId !== record.aLegId) throw denied();
    const window = this.settings.resumeWindowMs;
    if (this.settings.now() - record.lastSeenAt > window) {
      throw new LipError('LIP_ERR_SESSION_EXPIRED', `session can no longer be resumed: it was last active more than ${describeWindow(window)} ago (continuity.resume_window); start a new conversation`);
    }
    if (found === undefined) {
      // A sealed token whose conversation has no record (never needed one, or it was evicted): store it now.
      return this.store.storeALeg({ principal: record.principal, aLegId: record.aLegId, sessionId: record.sessionId, createdAt: record.createdAt, fingerprint });
    }
    return this.store.resumeALeg(record.aLegId, request.principal) ?? (() => { throw denied(); })();
  }

  /**
   * `continuity.lineage: conversations` only: the conversation a sealed token names when no
   * record holds its fingerprint. Its last activity is taken to be its start (the time in its
   * ids), so the resume window counts from there.
   */
  private unstored(principal: string, token: string): SessionRecord | undefined {
    if (!this.settings.lazy) return undefined;
    const ids = this.unseal(principal, token);
    if (ids === undefined) return undefined;
    const createdAt = idTime(ids.aLegId);
    return { ...ids, principal, createdAt, lastSeenAt: createdAt };
  }

  /**
   * A sealed resume token: the A-leg id's 16 bytes, the session id's 16 bytes and the first 16
   * bytes of `HMAC-SHA256(key, "lip-resume-seal-v1" \0 principal \0 a-leg id \0 session id)`,
   * in base64url (64 characters, like a random token). It names its conversation without a
   * record and cannot be made or altered without the key; the MAC binds it to the principal.
   */
  seal(principal: string, aLegId: string, sessionId: string): string {
    const bytes = Buffer.allocUnsafe(RESUME_TOKEN_BYTES);
    bytes.write(aLegId.slice(2), 0, 'hex');
    bytes.write(sessionId.slice(2), 16, 'hex');
    this.sealMac(principal, aLegId, sessionId).copy(bytes, 32, 0, 16);
    return bytes.toString('base64url');
  }

  /** The ids a sealed token names, when its MAC holds under this principal. */
  unseal(principal: string, token: string): { aLegId: string; sessionId: string } | undefined {
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== RESUME_TOKEN_BYTES) return undefined;
    const aLegId = `a_${bytes.toString('hex', 0, 16)}`;
    const sessionId = `s_${bytes.toString('hex', 16, 32)}`;
    const mac = this.sealMac(principal, aLegId, sessionId);
    return timingSafeEqual(bytes.subarray(32), mac.subarray(0, 16)) ? { aLegId, sessionId } : undefined;
  }

  private sealMac(principal: string, aLegId: string, sessionId: string): Buffer {
    return createHmac('sha256', this.key()).update(`lip-resume-seal-v1\u0000${principal}\u0000${aLegId}\u0000${sessionId}`).digest();
  }

  /**
   * HMAC-SHA256 over the principal and the token, base64url. The store's key is asked each time
   * (a field read): the Redis store replaces a provisional key once the shared one is known.
   */
  fingerprint(principal: string, token: string): string {
    return createHmac('sha256', this.key()).update(`lip-resume-v1\u0000${principal}\u0000${token}`).digest('base64url');
  }

  private key(): Buffer {
    return this.settings.key !== undefined ? (this.configuredKey ??= Buffer.from(this.settings.key, 'utf8')) : this.store.fingerprintKey();
  }
}

/** The A-leg of a pending conversation: stored on demand, its attempts numbered locally until then. */
function pendingALeg(aLegId: string, store: () => void): PendingALeg {
  let stored = false;
  let seq = 0;
  return {
    get stored() {
      return stored;
    },
    store() {
      if (stored) return;
      store();
      stored = true;
    },
    tickets: {
      beginAttempt: (): AttemptTicket => ({ aLegId, seq: ++seq, bLegId: newBLegId() }),
      firstOutput: () => undefined,
      finishAttempt: () => undefined,
    },
  };
}

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
