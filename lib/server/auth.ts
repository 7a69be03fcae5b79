import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyConfig } from '../config/index.js';
import { LipError } from '../errors/index.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/** The client key from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `api-key`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim() || undefined;
  for (const name of ['x-api-key', 'x-goog-api-key', 'api-key'] as const) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim()) return value.trim().replace(/^bearer\s+/i, '');
  }
  return undefined;
}

/** Where a request's protocol takes the client key besides the headers, and how its clients are told to send one. */
export interface KeySources {
  /** A key from the URL (Gemini's `?key=`), used when no header carries one. */
  readonly queryKey?: string;
  /** How to send a key, for the 401 of a request without one (Frontend.keyHint); absent: a bearer token. */
  readonly hint?: string;
  /** The caller a URL grant names (a Gemini upload's chunk, lib/server/url-grants.ts): the request's when it carries no key. */
  readonly granted?: Caller;
}

/** The client key a request carries: in a header, else where its protocol takes one (`sources.queryKey`). */
export function carriedKey(headers: IncomingHttpHeaders, sources: KeySources = {}): string | undefined {
  return presentedKey(headers) ?? (sources.queryKey?.trim() || undefined);
}

/** Who a request is: its principal, and the key it presented (absent without auth). */
export interface Caller {
  readonly principal: string;
  readonly key?: ApiKeyConfig;
}

/** The caller when no keys are configured (single-user on loopback). */
export const LOCAL_CALLER: Caller = Object.freeze({ principal: 'local' });

/**
 * Client authentication against `auth.api_keys`. With no keys configured (single-user on
 * loopback) every request is the local user. Keys are compared as SHA-256 digests in constant
 * time (every key is compared, whichever matches), and never logged.
 */
export class Authenticator {
  private readonly keys: { digest: Buffer; config: ApiKeyConfig }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((k) => ({ digest: digest(k.key), config: k }));
  }

  get required(): boolean {
    return this.keys.length > 0;
  }

  /** The principal of the request; throws a 401 LipError when a required key is missing or wrong. */
  authenticate(headers: IncomingHttpHeaders, sources: KeySources = {}): string {
    return this.caller(headers, sources).principal;
  }

  /**
   * The caller of the request; throws a 401 LipError when a required key is missing (saying how
   * the protocol's clients send one, `sources.hint`) or wrong. A request without a key is the
   * caller its URL grant names (`sources.granted`), if it names one.
   */
  caller(headers: IncomingHttpHeaders, sources: KeySources = {}): Caller {
    if (!this.required) return LOCAL_CALLER;
    const key = carriedKey(headers, sources);
    if (key === undefined && sources.granted !== undefined) return sources.granted;
    if (key === undefined) throw new LipError('LIP_ERR_AUTH_MISSING_KEY', `missing API key: send ${sources.hint ?? 'Authorization: Bearer <key> (or x-api-key)'}`);
    const presented = digest(key);
    let found: ApiKeyConfig | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.digest, presented)) found = k.config;
    if (found === undefined) throw new LipError('LIP_ERR_AUTH_INVALID_KEY', 'invalid API key');
    return { principal: found.principal, key: found };
  }

  /** The caller of the key `id` while it is configured for `principal` (what a URL grant names); undefined otherwise. */
  keyCaller(id: string, principal: string): Caller | undefined {
    const found = this.keys.find((k) => k.config.id === id && k.config.principal === principal)?.config;
    return found === undefined ? undefined : { principal: found.principal, key: found };
  }
}

/** The header every 401 carries (RFC 6750), whatever the protocol's envelope. */
export const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="lip"' } as const;
