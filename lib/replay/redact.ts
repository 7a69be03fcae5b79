import { maskSecretQuery, scrubCredentials } from '../wire/index.js';
import { mayDeclareMcpServer, maskMcpHeaders, maskMcpHeadersText } from './mask-mcp-headers.js';

/** Headers whose values never reach a recording, whatever the configuration says. */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie', 'proxy-authorization', 'set-cookie', 'x-lip-resume-token'];

export const REDACTED = '[REDACTED]';

/** A header name already in lower case (the usual case: node lower-cases what it parses). */
const LOWER = /^[^A-Z]*$/;

/**
 * Redaction of a record before it is serialised: header values by name (case-insensitive,
 * always including `ALWAYS_REDACTED_HEADERS`), the values of a remote MCP server's headers
 * that a body or a call declares (`serialise`, `unparsed`), configured substrings anywhere in
 * the serialised line (bodies, calls, events, headers), matched in their JSON-escaped form, and
 * credential-shaped strings (the list shared with error messages and logs).
 */
export class Redactor {
  private readonly headers: ReadonlySet<string>;
  private readonly substrings: readonly string[];

  constructor(headers: readonly string[], substrings: readonly string[], private readonly raw = false) {
    this.headers = new Set([...ALWAYS_REDACTED_HEADERS, ...headers.map((h) => h.toLowerCase())]);
    // Longest first, so that a substring of another one cannot leave part of it behind.
    this.substrings = [...new Set(substrings.filter((s) => s.length > 0))]
      .sort((a, b) => b.length - a.length)
      .map((s) => JSON.stringify(s).slice(1, -1));
  }

  /**
   * A copy with string values, redacted names replaced; list values are joined with `, `. With
   * `raw`, which leaves the line as it is, the values are redacted here as the line's redaction
   * would (configured substrings, credential shapes): `raw` spares bodies, calls and events only.
   */
  headersOf(headers: Readonly<Record<string, unknown>>): Record<string, string> {
    const out: Record<string, string> = {};
    // for-in: node's header objects (request headers, getHeaders()) have a null prototype and are
    // already lower-case; Object.entries would copy every pair first.
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      const lower = LOWER.test(name) ? name : name.toLowerCase();
      out[lower] = this.headers.has(lower) ? REDACTED : typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(', ') : String(value);
    }
    if (!this.raw) return out;
    // The values redacted as one JSON text, exactly as in a line; parsed again only when something changed.
    const text = JSON.stringify(out);
    const redacted = this.redact(text);
    return redacted === text ? out : JSON.parse(redacted) as Record<string, string>;
  }

  /**
   * `JSON.stringify(value)` (a record's head with the request body, an attempt with its call),
   * with every value of the HTTP headers of the MCP servers it declares masked (maskMcpHeaders:
   * their names say nothing, so the line's redaction cannot know them); as it is with `raw`.
   * Only text that may declare one is serialised twice.
   */
  serialise(value: unknown): string {
    const text = JSON.stringify(value);
    return this.raw || !mayDeclareMcpServer(text) ? text : JSON.stringify(maskMcpHeaders(value));
  }

  /** A body lip could not parse (its text; with `bytes`, its bytes one character per byte), MCP servers' headers masked as in `serialise`. */
  unparsed(text: string, bytes = false): string {
    return this.raw ? text : maskMcpHeadersText(text, bytes);
  }

  /** A request path with credential query parameters (`key`, `api_key`, ...) redacted. */
  path(path: string): string {
    return maskSecretQuery(path, REDACTED);
  }

  /**
   * The serialised line with every configured substring replaced, and every credential-shaped
   * string masked (the shared list of scrubCredentials). With `raw` (privileged, opt-in) only
   * the headers are redacted and the line is returned as it is.
   */
  line(serialised: string): string {
    return this.raw ? serialised : this.redact(serialised);
  }

  /** `line`'s redaction, whatever `raw` says. */
  private redact(serialised: string): string {
    let out = serialised;
    for (const s of this.substrings) if (out.includes(s)) out = replaceUnescaped(out, s, REDACTED);
    return scrubCredentials(out);
  }

  /**
   * `line` for many pieces at once, in one pass: pieces are serialised JSON values (which never
   * hold a raw newline), joined by newlines, redacted and, when anything changed, split again.
   * Should a redaction ever remove a newline (a match spanning two pieces), each piece is
   * redacted on its own instead.
   */
  pieces(texts: readonly string[]): readonly string[] {
    if (this.raw || texts.length === 0) return texts;
    if (texts.length === 1) return [this.line(texts[0]!)];
    const joined = texts.join('\n');
    const redacted = this.line(joined);
    // Nothing matched (the usual case): the pieces as they are, without splitting a copy.
    if (redacted === joined) return texts;
    const out = redacted.split('\n');
    return out.length === texts.length ? out : texts.map((t) => this.line(t));
  }
}

/**
 * `text` (serialised JSON) with every occurrence of `find` replaced, except one that starts
 * right after an escaping backslash: that one is not the text it looks like (`\nSecret` is a
 * line break and `Secret`), and replacing it would cut the escape in half and break the JSON.
 */
export function replaceUnescaped(text: string, find: string, replacement: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(find); at >= 0; at = text.indexOf(find, at + 1)) {
    if (at < from) continue;
    let slashes = 0;
    while (at - slashes - 1 >= 0 && text.charCodeAt(at - slashes - 1) === 0x5c) slashes++;
    if (slashes % 2 === 1) continue;
    out += text.slice(from, at) + replacement;
    from = at + find.length;
  }
  return from === 0 ? text : out + text.slice(from);
}
