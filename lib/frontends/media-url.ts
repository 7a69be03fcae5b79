import type { FileStore } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/** The schemes of a client's media URL: the web's, and inline `data:`. */
const MEDIA_URL = /^(?:https?|data):/i;

/** A URL's scheme as it is written, for a refusal (none for a URL without one). */
const SCHEME = /^[a-z][a-z0-9+.-]{0,31}:/i;

/**
 * A client's image or document URL, as it is: an `https:`, `http:` or `data:` URL, or a
 * reference of `store` (Gemini's `fileData`: a Cloud Storage or Files API URI, a file name),
 * else a 400 LIP_ERR_REQUEST_INVALID naming the field. lip fetches no media URL, but the
 * provider that gets one may, and a self-hosted server fetches what its network reaches:
 * `file:`, `gopher:` or a URL without a scheme never leaves lip. The scheme is the URL's first
 * characters (a URL that starts with white space is refused: a reader may strip it, or not).
 *
 * ```ts
 * mediaUrl('file:///etc/passwd', 'messages[0].content[1].image_url.url')
 * // throws: messages[0].content[1].image_url.url: must be an https:, http: or data: URL (got "file:")
 * ```
 * @see spec/e2e/regression-client-media-urls.spec.ts
 */
export function mediaUrl(url: string, param: string, store?: FileStore): string {
  if (MEDIA_URL.test(url) || store?.holds(url) === true) return url;
  const scheme = SCHEME.exec(url)?.[0];
  const wanted = store === undefined ? 'an https:, http: or data: URL' : `an https:, http: or data: URL, or a reference to a file in ${store.name}`;
  throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: must be ${wanted} (got ${scheme === undefined ? 'no scheme' : JSON.stringify(scheme)})`, { param });
}
