/** Printable ASCII: what every HTTP client accepts in a header value as it is. */
const PLAIN = /^[\x20-\x7e]*$/;
const UNSAFE = /[^\x20-\x7e]+|%/g;

/** The longest value lip echoes into a response header (model names, selectors, session ids). */
export const MAX_ECHOED_HEADER = 256;

/**
 * A string made safe for a response header that lip writes from input (a model name in
 * `X-LIP-Backend`, a session id): printable ASCII passes unchanged; anything else (non-ASCII,
 * control characters, CR/LF) is percent-encoded as UTF-8 (and `%` with it, so the value
 * decodes with `decodeURIComponent`), and the result is capped at `max` characters. It never
 * throws (a lone surrogate encodes as U+FFFD) and can never inject a header.
 */
export function headerValue(value: string, max = MAX_ECHOED_HEADER): string {
  let out = PLAIN.test(value) && !value.includes('%') ? value : value.replace(UNSAFE, percentEncode);
  if (out.length > max) {
    out = out.slice(0, max);
    // Never cut a %XX escape in half.
    const cut = out.lastIndexOf('%');
    if (cut > max - 3) out = out.slice(0, cut);
  }
  return out;
}

function percentEncode(run: string): string {
  let out = '';
  for (const byte of Buffer.from(run, 'utf8')) out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
  return out;
}
