import type { IncomingHttpHeaders } from 'node:http';
import type { ResourceRoute } from '../frontends/protocol.js';
import { allowedPage } from './browser-guard.js';

/** How long a browser may keep a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE = '600';
/** The methods lip serves (a preflight asks for one of them); a method a route takes that is not here fails to compile. */
const SERVED = { GET: true, POST: true, PATCH: true, DELETE: true } as const satisfies Record<ResourceRoute['method'], true>;
const METHODS = Object.keys(SERVED).join(', ');
/** A header list as a preflight may name it (field names, commas, spaces): echoed only when it is one. */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * CORS for the browser pages lip lets use it: a loopback page (a local UI on
 * `http://localhost:3000`) or one of `server.allowed_origins`. Their requests' answers (errors
 * included) carry `Access-Control-Allow-Origin` with the page's origin and expose every header
 * (request id, rate limits, `Retry-After`), so the page can read them; their preflights
 * (`OPTIONS` with `Access-Control-Request-Method`) get 204 allowing the headers they ask for
 * (`Authorization` and the SDKs' own are never covered by a wildcard, so they are named back).
 * A page of any other origin gets no CORS header, so its browser lets it read nothing.
 * @see spec/server/cors.spec.ts
 */
export function corsHeaders(headers: IncomingHttpHeaders, origins: readonly string[]): Record<string, string> | undefined {
  const origin = headers.origin;
  if (origin === undefined || !allowedPage(origin, origins)) return undefined;
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': '*', vary: 'Origin' };
}

/** Whether a request is a CORS preflight (not an `OPTIONS` request of its own). */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** What a preflight of an allowed page is answered with (besides `corsHeaders`). */
export function preflightHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const asked = headers['access-control-request-headers']?.trim();
  return {
    'access-control-allow-methods': METHODS,
    ...(asked !== undefined && asked !== '' && asked.length <= 4096 && HEADER_LIST.test(asked) ? { 'access-control-allow-headers': asked } : {}),
    // A public page calling a lip on this machine or a private network (Chrome's Private Network Access).
    ...(headers['access-control-request-private-network'] === 'true' ? { 'access-control-allow-private-network': 'true' } : {}),
    'access-control-max-age': PREFLIGHT_MAX_AGE,
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
}
