import { collectEvents } from '../canonical/index.js';
import type { ContinuityStore } from '../continuity/index.js';
import { LipError } from '../errors/index.js';
import type { ResourceRoute, UrlGrants } from '../frontends/protocol.js';
import { derivedId } from '../wire/ids.js';
import type { Authenticator, Caller } from './auth.js';

/**
 * The principal grants are kept under: they are found by their token alone, before anyone is
 * known. Their ids are derived from the route and the token, so no caller's own records (ids
 * lip made, or derived with other prefixes) are ever one of them.
 */
const GRANTS = 'lip:url-grants';
const GRANT = 'lip_url_grant';
/** A token that may authorize: at least 32 characters, made at random (Gemini's upload_id: 32 of [a-z0-9], about 165 bits). */
const TOKEN = /^[A-Za-z0-9_-]{32,128}$/;
const NOTHING = collectEvents([]);

/** Whose a token is: the principal and the key that were given it. */
interface Grant {
  readonly principal: string;
  readonly keyId: string;
  /** The key's secret as it was, hashed with the token (never kept with the grant): a key given another secret since holds no grant. */
  readonly keyCheck: string;
  readonly expires: number;
}

/**
 * The grants a request of `route` by `caller` (and its key) gives out (UrlGrants): kept in the
 * continuity store by the token, for every instance sharing it (a Gemini upload's chunks may
 * reach any), until they expire or are revoked.
 * @see spec/e2e/regression-gemini-upload-url-without-key.spec.ts
 */
export function urlGrants(continuity: ContinuityStore, route: ResourceRoute, caller: Required<Caller>): UrlGrants {
  return {
    give(token, expires) {
      if (!TOKEN.test(token)) throw new LipError('LIP_ERR_SERVER_INTERNAL', 'a URL grant needs a token of at least 32 random characters');
      const grant: Grant = { principal: caller.principal, keyId: caller.key.id, keyCheck: keyCheck(token, caller.key.key), expires };
      continuity.saveResponse({ id: grantId(route, token), principal: GRANTS, input: [], output: NOTHING, echo: { [GRANT]: grant } });
    },
    revoke: (token) => continuity.deleteResponse(grantId(route, token), GRANTS).catch(() => undefined),
  };
}

/** The token a request of `route` names in its `grantedBy` parameter, if it names one that could be a grant's. */
export function grantToken(route: ResourceRoute, query: URLSearchParams): string | undefined {
  const token = route.grantedBy === undefined ? null : query.get(route.grantedBy);
  return token !== null && TOKEN.test(token) ? token : undefined;
}

/**
 * The caller `token` was given to on `route`: the key it was given with, as `auth` has it now;
 * undefined when no such grant is kept (never given, revoked, expired, evicted), or its key is
 * no longer one of `auth.api_keys` as it was (a reload removed it, gave it another secret or
 * moved it to another principal).
 */
export async function grantedCaller(continuity: ContinuityStore, route: ResourceRoute, token: string, auth: Authenticator): Promise<Caller | undefined> {
  const stored = await continuity.loadResponse(grantId(route, token), GRANTS).catch(() => undefined);
  const grant = stored?.echo?.[GRANT] as Grant | undefined;
  if (grant === undefined || typeof grant.expires !== 'number' || grant.expires <= Date.now()) return undefined;
  const caller = auth.keyCaller(grant.keyId, grant.principal);
  return caller?.key !== undefined && keyCheck(token, caller.key.key) === grant.keyCheck ? caller : undefined;
}

function grantId(route: ResourceRoute, token: string): string {
  return derivedId('url-grant-', `${route.method} ${route.path}\n${token}`, 32);
}

function keyCheck(token: string, key: string): string {
  return derivedId('', `${token}\n${key}`, 32);
}
