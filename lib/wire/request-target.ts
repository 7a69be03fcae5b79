import { LipError } from '../errors/index.js';

const ORIGIN = 'http://lip.invalid';

/**
 * The request target of an HTTP request line as a URL (RFC 9112 section 3.2): the usual
 * origin form (`/v1/models?x=1`) is a path and a query, and stays one when it begins with `//`
 * (`new URL('//x/v1/models', base)` would take `x` for a host and route `/v1/models`); the
 * absolute form (`http://host/v1/models`, sent by clients that talk to lip as a forward proxy)
 * keeps its own path. Anything else, or an absolute target that is not a URL, is the client's
 * error (400), never an exception of the server.
 */
export function requestTarget(target: string | undefined): URL {
  const text = target ?? '/';
  try {
    if (text.startsWith('/')) return new URL(`${ORIGIN}${text}`);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return new URL(text);
  } catch {
    // reported below
  }
  throw new LipError('LIP_ERR_REQUEST_INVALID', `the request target ${JSON.stringify(text.slice(0, 200))} is not a path (/...) or an absolute URL`);
}
