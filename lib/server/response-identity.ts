import type { Config } from '../config/index.js';
import { PRODUCT_NAME } from '../wire/index.js';

/** The headers every response of a config carries, computed once per config (a reload brings its own). */
const byConfig = new WeakMap<Config, readonly (readonly [string, string])[]>();

/**
 * What every response says about lip (docs/security.md, "Response headers"): the `Server`
 * header by `identity.downstream.server` (`proxy`: `lip`; `custom`: the value; `drop`: none),
 * the security headers (`server.security_headers`: lip's answers are JSON and event streams,
 * never pages, so nothing may sniff, frame or load from them) and `Strict-Transport-Security` when
 * configured. Set before any handler runs, so errors, refusals and not-found answers carry them too.
 */
export function responseIdentity(config: Config): readonly (readonly [string, string])[] {
  let headers = byConfig.get(config);
  if (headers === undefined) byConfig.set(config, (headers = headersOf(config)));
  return headers;
}

function headersOf(config: Config): (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  const server = config.identity.downstream.server;
  if (server.mode === 'proxy') out.push(['server', PRODUCT_NAME]);
  else if (server.mode === 'custom' && server.value !== undefined) out.push(['server', server.value]);
  if (config.server.security_headers) {
    out.push(
      ['x-content-type-options', 'nosniff'],
      ['x-frame-options', 'DENY'],
      ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
      ['referrer-policy', 'no-referrer'],
    );
  }
  const hsts = config.server.strict_transport_security;
  if (hsts !== undefined) out.push(['strict-transport-security', hsts.trim()]);
  return out;
}
