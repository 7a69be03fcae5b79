import type { AppAttributionHeaders } from './types.js';

type Segment = string | number;
type Report = (path: readonly Segment[], message: string, key?: string) => void;
type Row = Record<string, unknown>;

/** The most characters of an identity value (a `User-Agent`, a `Server`, an app title). */
const MAX_VALUE = 512;
/** The most characters of an app URL. */
const MAX_URL = 2048;
/** C0, DEL and C1 control characters: never in a header value. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
/** What `Strict-Transport-Security` holds (RFC 6797): a max-age, then the optional directives. */
const HSTS = /^max-age=[0-9]{1,10}(\s*;\s*includeSubDomains)?(\s*;\s*preload)?$/i;

/**
 * The rules of `identity:` a schema cannot say, for the global policy and each backend row's
 * override: a `value` goes with `mode: custom` and only with it, and is a header value lip can
 * send (no control characters, Latin-1, bounded; an app URL an absolute http(s) URL without
 * credentials or fragment); a row does not set one carrier both in `headers` and in `identity`.
 * Also `server.strict_transport_security`'s shape.
 */
export function checkIdentity(root: Row, attributionOf: (kind: string) => AppAttributionHeaders | undefined, report: Report): void {
  const upstream = (root.identity as { upstream: Row; downstream: Row }).upstream;
  const downstream = (root.identity as { upstream: Row; downstream: Row }).downstream;
  for (const carrier of ['user_agent', 'app_url', 'app_title']) checkCarrier(upstream[carrier] as Row, ['identity', 'upstream', carrier], carrier === 'app_url', report);
  checkCarrier(downstream.server as Row, ['identity', 'downstream', 'server'], false, report);

  (root.backends as Row[]).forEach((row, i) => {
    const identity = row.identity as Row | undefined;
    if (identity === undefined) return;
    for (const [carrier, field] of Object.entries(identity)) checkCarrier(field as Row, ['backends', i, 'identity', carrier], carrier === 'app_url', report);
    const headers = Object.keys((row.headers as Row | undefined) ?? {}).map((name) => name.toLowerCase());
    const attribution = attributionOf(String(row.kind));
    const names: Record<string, readonly string[]> = {
      user_agent: ['user-agent'],
      ...(attribution ? { app_url: [attribution.url], app_title: [attribution.title, ...(attribution.titleAliases ?? [])] } : {}),
    };
    for (const carrier of Object.keys(identity)) {
      const clash = names[carrier]?.find((name) => headers.includes(name.toLowerCase()));
      if (clash !== undefined) report(['backends', i, 'identity'], `sets ${carrier} and the row's headers set ${clash} too: keep one of them`, carrier);
    }
  });

  const server = root.server as Row;
  const hsts = server.strict_transport_security;
  if (typeof hsts === 'string' && !HSTS.test(hsts.trim())) {
    report(['server', 'strict_transport_security'], `"${hsts}" is not a Strict-Transport-Security value: write max-age=SECONDS, optionally followed by "; includeSubDomains" and "; preload"`);
  }
}

function checkCarrier(field: Row, path: readonly Segment[], url: boolean, report: Report): void {
  const { mode, value } = field as { mode: string; value?: string };
  if (mode !== 'custom') {
    if (value !== undefined) report(path, `value is only read with mode: custom (mode is ${mode})`, 'value');
    return;
  }
  if (value === undefined) {
    report(path, 'mode: custom needs a value (the header value to send)', 'mode');
    return;
  }
  const problem = valueProblem(value, url ? MAX_URL : MAX_VALUE) ?? (url ? urlProblem(value) : undefined);
  if (problem !== undefined) report([...path, 'value'], problem);
}

/** Why `value` cannot be a header value lip sends, or undefined. */
function valueProblem(value: string, max: number): string | undefined {
  if (value.trim() === '') return 'must not be empty';
  if (value.trim() !== value) return 'must not start or end with white space';
  if (value.length > max) return `must be at most ${max} characters (got ${value.length})`;
  if (CONTROL.test(value)) return 'must not contain control characters (CR, LF, tab, ...)';
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return 'must hold only Latin-1 characters, as a header value does';
  return undefined;
}

/** Why `value` is not an app URL (absolute http(s), with a host, no credentials, no fragment), or undefined. */
function urlProblem(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return `"${value}" is not an absolute URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.hostname === '') return 'must name a host';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  if (value.includes('#')) return 'must not have a fragment';
  return undefined;
}
