import { createRequire } from 'node:module';

/** The product name lip presents: the `Server` header and the first token of its `User-Agent`. */
export const PRODUCT_NAME = 'lip';

/** lip's version (package.json). */
export const PRODUCT_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The `User-Agent` lip sends upstream by default (RFC 9110 product token). */
export const PRODUCT_USER_AGENT = `${PRODUCT_NAME}/${PRODUCT_VERSION}`;

/** The most characters of an identity value (a `User-Agent`, a `Server`, an app title or URL). */
export const MAX_IDENTITY_VALUE = 512;

/** Control characters (C0, DEL, C1): never in a header value lip sends or forwards. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * A client-sent identity value (its `User-Agent`, an app title) that may be forwarded upstream:
 * trimmed, not empty, at most `max` characters and free of control characters; undefined
 * otherwise (then nothing is forwarded). Never throws.
 */
export function acceptIdentityValue(raw: unknown, max = MAX_IDENTITY_VALUE): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  return value.length === 0 || value.length > max || CONTROL.test(value) || !isLatin1(value) ? undefined : value;
}

/** A client-sent app URL that may be forwarded: an absolute http(s) URL with a host, without credentials or fragment. */
export function acceptIdentityUrl(raw: unknown, max = 2048): string | undefined {
  const value = acceptIdentityValue(raw, max);
  if (value === undefined || value.includes('#')) return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '' ? value : undefined;
  } catch {
    return undefined;
  }
}

function isLatin1(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  return true;
}
