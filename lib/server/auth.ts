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

/**
 * Client authentication against `auth.api_keys`. With no keys configured (single-user on
 * loopback) every request is the local user. Keys are compared as SHA-256 digests in constant
 * time, and never logged.
 */
export class Authenticator {
  private readonly keys: { digest: Buffer; principal: string; id: string }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((k) => ({ digest: digest(k.key), principal: k.principal, id: k.id }));
  }

  get required(): boolean {
    return this.keys.length > 0;
  }

  /** The principal of the request; throws a 401 LipError when a required key is missing or wrong. */
  authenticate(headers: IncomingHttpHeaders): string {
    return this.identify(headers).principal;
  }

  /** The principal and the id of the key it presented (none in single-user mode without keys). */
  identify(headers: IncomingHttpHeaders): { principal: string; keyId?: string } {
    if (!this.required) return { principal: 'local' };
    const key = presentedKey(headers);
    if (key === undefined) throw new LipError('LIP_ERR_AUTH_MISSING_KEY', 'missing API key: send Authorization: Bearer <key> (or x-api-key)');
    const presented = digest(key);
    let found: { principal: string; id: string } | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.digest, presented)) found = k;
    if (found === undefined) throw new LipError('LIP_ERR_AUTH_INVALID_KEY', 'invalid API key');
    return { principal: found.principal, keyId: found.id };
  }
}
