import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../config/loopback.js';
import { LipError } from '../errors/index.js';

/** What a keyless single-user lip lets a request name beyond this machine's own names. */
export interface BrowserAllowance {
  /** `server.allowed_hosts`: Host names (lower case) besides the loopback ones. */
  readonly hosts: readonly string[];
  /** `server.allowed_origins`: browser origins (lower case, `scheme://host[:port]`) besides loopback pages. */
  readonly origins: readonly string[];
}

/** A loopback name, or a name under `.localhost`, which browsers resolve to loopback themselves (RFC 6761). */
function isLocalName(hostname: string): boolean {
  return isLoopbackHost(hostname) || hostname.endsWith('.localhost');
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower case. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * Whether a request to a single-user lip without API keys comes from a browser page of another
 * site, which lip refuses (403 LIP_ERR_AUTH_FOREIGN_ORIGIN) before any work:
 * - an `Origin` that is not a loopback page or one of `server.allowed_origins` (a page anywhere
 *   on the web can POST to `http://127.0.0.1:8080` without a preflight, spending the upstream
 *   credentials lip holds);
 * - a `Host` that is not a name of this machine or one of `server.allowed_hosts` (DNS
 *   rebinding: a page whose own name was made to resolve to 127.0.0.1 sends its own name, and
 *   could read the answers).
 * Clients that are not browsers send no Origin and name the host they connect to.
 *
 * ```ts
 * foreignBrowser({ host: '127.0.0.1:8080', origin: 'https://evil.example' }, { hosts: [], origins: [] }) // LipError (403)
 * ```
 * @see spec/server/browser-guard.spec.ts
 */
export function foreignBrowser(headers: IncomingHttpHeaders, allow: BrowserAllowance): LipError | undefined {
  const host = headers.host;
  if (host !== undefined) {
    const name = hostnameOf(host);
    if (!isLocalName(name) && !allow.hosts.includes(name)) {
      return refusal(`the Host ${JSON.stringify(host.slice(0, 256))} is not a name of this machine (a DNS-rebinding page names its own); allow it with server.allowed_hosts`);
    }
  }
  const origin = headers.origin;
  if (origin === undefined || allowedPage(origin, allow.origins)) return undefined;
  return refusal(`a browser page of ${JSON.stringify(origin.slice(0, 256))} may not use this proxy (it has no API keys); allow it with server.allowed_origins, or set auth.api_keys`);
}

/**
 * Whether a browser page of `origin` (an `Origin` header) may use lip: a loopback page, or one
 * of `origins` (`server.allowed_origins`, lower case). `null` (a sandboxed page, a file) never is.
 */
export function allowedPage(origin: string, origins: readonly string[]): boolean {
  let page: URL;
  try {
    if (origin === 'null') return false;
    page = new URL(origin);
  } catch {
    return false;
  }
  return isLocalName(page.hostname.toLowerCase()) || origins.includes(page.origin.toLowerCase());
}

function refusal(message: string): LipError {
  return new LipError('LIP_ERR_AUTH_FOREIGN_ORIGIN', message);
}
