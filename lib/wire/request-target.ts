import { LipError } from '../errors/index.js';

const ORIGIN = 'http://lip.invalid';

/** What the server reads of a request target: its path and its query. A URL is one. */
export interface RequestTarget {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/**
 * A path the URL parser returns as it is: `/`-separated segments of RFC 3986 path characters
 * without `%` (nothing to percent-encode or decode), none empty (`//`) nor a dot segment (`.`,
 * `..`), and no query or fragment. The usual request target (`/v1/chat/completions`).
 */
const PLAIN_PATH = /^(?:(?:\/(?!\.\.?(?:\/|$))[\w\-.~!$&'()*+,;=:@]+)+\/?|\/)$/;

/**
 * The request target of an HTTP request line as a URL (RFC 9112 section 3.2): the usual
 * origin form (`/v1/models?x=1`) is a path and a query, and stays one when it begins with `//`
 * (`new URL('//x/v1/models', base)` would take `x` for a host and route `/v1/models`); the
 * absolute form (`http://host/v1/models`, sent by clients that talk to lip as a forward proxy)
 * keeps its own path. Anything else, or an absolute target that is not a URL, is the client's
 * error (400), never an exception of the server. A plain path (PLAIN_PATH) is taken as it is,
 * without the URL parser (the same answer, for a fraction of the cost on every request).
 *
 * @see spec/wire/request-target.spec.ts
 */
export function requestTarget(target: string | undefined): RequestTarget {
  const text = target ?? '/';
  if (PLAIN_PATH.test(text)) return { pathname: text, searchParams: new URLSearchParams() };
  try {
    if (text.startsWith('/')) return new URL(`${ORIGIN}${text}`);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return new URL(text);
  } catch {
    // reported below
  }
  throw new LipError('LIP_ERR_REQUEST_INVALID', `the request target ${JSON.stringify(text.slice(0, 200))} is not a path (/...) or an absolute URL`);
}
