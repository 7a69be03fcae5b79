/** One credential shape: a global, linear regex and what replaces a match. */
export interface CredentialPattern {
  readonly id: string;
  readonly pattern: RegExp;
  /** What replaces a match (a string with `$n` references, or a function of the match and its groups). */
  readonly replacement: string | ((match: string, ...groups: string[]) => string);
  /**
   * A literal that every match contains: text without it skips the regex. Only where the regex
   * is slow on ordinary text (one that backtracks at every word, as a URL scheme does).
   */
  readonly requires?: string;
}

/** The names whose value is a secret (`password=…`, `"authorization_token": "…"`), as a regex alternation. */
const SECRET_NAMES = 'password|passwd|pwd|passphrase|secret|client_secret|secret_key|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id_token|auth[_-]?token|authorization[_-]?token|session[_-]?token|token|aws_secret_access_key|aws_session_token|private[_-]?key';

/** Whether a field's name says its value is a secret (the names `secret_assignment` masks after). */
export const SECRET_NAME = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

/** What a masked value reads as. */
export const MASK = '***';

/** A JSON number, whole (what a bare secret value that is a number looks like). */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
/** JSON's literals, which hold no secret. */
const JSON_LITERAL = /^(?:null|true|false)$/;

/**
 * The one list of credential-shaped strings that lip masks wherever text leaves its hands:
 * upstream error messages passed to clients, log lines that carry free text, recordings. Each
 * regex is anchored on a distinctive prefix (or a `name=` key) and has no nested quantifier,
 * so scrubbing is a few linear passes. Value classes stop at a quote or a backslash (a private
 * key's body takes escape pairs whole), so scrubbing serialised JSON keeps it valid JSON of the
 * same shape: only string contents change, and a secret's bare number becomes 0.
 */
export const CREDENTIAL_PATTERNS: readonly CredentialPattern[] = [
  // A private key is masked first, by maskPrivateKeys (a scan, not one of these regexes).
  // Anchored on `://` itself, not on the scheme before it: a scheme-first regex starts at every word of the text
  // (16 µs on a 3 KiB record line holding a URL, against under 1).
  { id: 'url_userinfo', pattern: /:\/\/[^\s/@"'\\:]{1,256}:[^\s/@"'\\]{1,256}@/g, replacement: `://${MASK}@`, requires: '://' },
  { id: 'provider_key', pattern: /\b(sk|pk|rk|sess)-[A-Za-z0-9_-]{8,}/g, replacement: `$1-${MASK}` },
  { id: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{20,}/g, replacement: MASK },
  { id: 'hf_nvapi_token', pattern: /\b(hf|nvapi)[-_][A-Za-z0-9_-]{8,}/g, replacement: `$1-${MASK}` },
  { id: 'aws_access_key_id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replacement: MASK },
  { id: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replacement: MASK },
  { id: 'slack_token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, replacement: MASK },
  { id: 'slack_webhook', pattern: /\bhooks\.slack\.com\/services\/[A-Za-z0-9/_-]{8,}/g, replacement: `hooks.slack.com/services/${MASK}` },
  { id: 'stripe_key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g, replacement: MASK },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, replacement: MASK },
  // A scheme written as in a header (`Bearer`, `BASIC`) takes any value; one in lower case only a
  // value that is not a lower-case word, so that prose stays readable ("The security token
  // included in the request is invalid." was "The security token *** in the request ...").
  { id: 'auth_scheme', pattern: /\b(?:(Bearer|Basic|Token|BEARER|BASIC|TOKEN)\s+|(bearer|basic|token)\s+(?![a-z]+(?![A-Za-z0-9._~+/=-])))[A-Za-z0-9._~+/=-]{8,}/g, replacement: `$1$2 ${MASK}` },
  // A JSON key named `authorization` holds a credential whatever the value looks like (OpenAI's MCP tool: the server's
  // OAuth token, any string): a string value is masked whole, in serialised JSON and in JSON inside a JSON string
  // (escaped quotes). A value that is already a mask (a redacted header's `[REDACTED]`) stays as it is. The key is
  // matched from its letters, not its opening quote (a quote-first or case-insensitive regex starts at every `"`:
  // 2-3 µs on a 3 KiB line, against 0.4-1), so `"proxy-authorization"` is masked too.
  { id: 'json_authorization', pattern: /([Aa]uthorization\\?"\s*:\s*\\?")(?!(?:\[REDACTED\]|\*\*\*)\\?")[^"\\]+/g, replacement: `$1${MASK}` },
  {
    id: 'secret_assignment',
    pattern: new RegExp(`\\b(${SECRET_NAMES})((?:\\\\?["'])?\\s*[:=]\\s*(?:\\\\?["'])?)([^\\s"'\\\\&,;})\\][*]+)`, 'gi'),
    // A bare value after a JSON key keeps its JSON type, so that the JSON stays valid and of the same shape (a body
    // refused for a number where a string belongs is refused again when a recording replays): a number becomes 0
    // (`"password": 0`); null, true and false hold no secret and stay, as does an object (`"token": {"type":
    // "string"}`, a tool's schema; an array never matches: `[` ends the value). Any other bare word (text that only
    // looks like JSON) becomes the string `"***"`.
    replacement: (match, name: string, separator: string, value: string) => {
      const bare = /^\\?["']/.test(separator) && !/["']$/.test(separator); // a JSON key's value that is no string
      if (!bare) return `${name}${separator}${MASK}`;
      if (value.startsWith('{') || JSON_LITERAL.test(value)) return match;
      if (JSON_NUMBER.test(value)) return `${name}${separator}0`;
      return separator.startsWith('"') ? `${name}${separator}"${MASK}"` : `${name}${separator}${MASK}`;
    },
  },
];

/** What a private key reads as, masked. */
const PRIVATE_KEY_MASK = '[PRIVATE KEY]';
const PRIVATE_KEY_BEGIN = /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----/g;
/** The end marker, tried where `-----END` starts (sticky). */
const PRIVATE_KEY_END = /-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----/y;

/**
 * `text` with every private key (`-----BEGIN … PRIVATE KEY-----` to its `-----END … PRIVATE
 * KEY-----`) masked. The body is read a character or an escape pair (`\\` and what follows) at a
 * time and never across an unescaped quote: in serialised JSON a key stays inside its string (it
 * neither eats the JSON between two strings nor ends between a backslash and the quote it
 * escapes). Without an end marker before that quote, the key is masked to it (to the end of the
 * text, in plain text).
 *
 * A scan with `indexOf`, linear in the text: a regex that takes the body unit by unit
 * (`(?:[^"\\]|\\[\s\S])*?`) keeps a backtrack entry per character, and overflowed the stack on a
 * string of 8 million characters after a begin marker (the exchange went unrecorded).
 *
 * ```ts
 * maskPrivateKeys('{"k":"-----BEGIN RSA PRIVATE KEY-----\\nMIIE","b":1}') // '{"k":"[PRIVATE KEY]","b":1}'
 * ```
 * @see spec/wire/scrub-credentials.spec.ts
 */
export function maskPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  // Where the body of the previous key ends (its string's closing quote), and the first end
  // marker at or after a position: both only move forward, so the text is scanned once.
  let stringEnd = -1;
  let end: { readonly at: number; readonly to: number } | undefined;
  let searched = false;
  PRIVATE_KEY_BEGIN.lastIndex = 0;
  for (let begin = PRIVATE_KEY_BEGIN.exec(text); begin !== null; begin = PRIVATE_KEY_BEGIN.exec(text)) {
    const body = begin.index + begin[0].length;
    // The text before a begin marker ends in `-`: what is escaped from `body` on is the same
    // whichever earlier body the limit was found from, so it holds for every key up to it.
    if (body > stringEnd) stringEnd = bodyLimit(text, body);
    // The first end marker from an earlier body on is the first from this one on unless it lies before it.
    if (!searched || (end !== undefined && end.at < body)) {
      end = endMarker(text, body);
      searched = true;
    }
    const to = end !== undefined && end.at < stringEnd ? end.to : stringEnd;
    out += `${text.slice(from, begin.index)}${PRIVATE_KEY_MASK}`;
    from = to;
    PRIVATE_KEY_BEGIN.lastIndex = to;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Backslashes right before `at`, back to `floor`. */
function backslashesBefore(text: string, at: number, floor: number): number {
  let n = 0;
  while (at - n - 1 >= floor && text.charCodeAt(at - n - 1) === 0x5c) n++;
  return n;
}

/**
 * Where a body read from `from` (a character or an escape pair at a time) stops: at the first
 * quote that no backslash escapes, before a lone backslash that ends the text, else at the end.
 */
function bodyLimit(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q >= 0; q = text.indexOf('"', q + 1)) {
    if (backslashesBefore(text, q, from) % 2 === 0) return q;
  }
  return backslashesBefore(text, text.length, from) % 2 === 1 ? text.length - 1 : text.length;
}

/** The first end marker from `from` on that starts a unit (not the second character of an escape pair). */
function endMarker(text: string, from: number): { at: number; to: number } | undefined {
  for (let at = text.indexOf('-----END', from); at >= 0; at = text.indexOf('-----END', at + 1)) {
    PRIVATE_KEY_END.lastIndex = at;
    if (PRIVATE_KEY_END.test(text) && backslashesBefore(text, at, from) % 2 === 0) return { at, to: PRIVATE_KEY_END.lastIndex };
  }
  return undefined;
}

/**
 * `text` with every credential-shaped string masked, and every exact `secrets` string (a
 * backend's own keys) replaced, longest first.
 *
 * ```ts
 * scrubCredentials('db password=hunter22 token ghp_0123456789abcdefghij0123')
 * // 'db password=*** token ***'
 * ```
 * @see spec/wire/scrub-credentials.spec.ts
 */
export function scrubCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  if (secrets.length > 0) {
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
      if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(MASK);
    }
  }
  out = maskPrivateKeys(out);
  for (const { pattern, replacement, requires } of CREDENTIAL_PATTERNS) {
    if (requires !== undefined && !out.includes(requires)) continue;
    // Two calls alike: TypeScript picks `replace`'s overload by the replacement's type.
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
}

/** Query parameters whose values are credentials (matched without regard to case); `upload_id`: a Gemini upload URL's, which authorizes its chunks. */
export const SECRET_QUERY_PARAMS: readonly string[] = [
  'key', 'api_key', 'api-key', 'apikey', 'x-goog-api-key', 'access_token', 'token', 'auth', 'password', 'secret', 'sig', 'signature', 'code', 'resume_token', 'lip_resume_token',
  'upload_id',
];
const SECRET_QUERY_NAMES = SECRET_QUERY_PARAMS.map((p) => p.replace(/[-_]/g, '[-_]')).join('|');
const SECRET_QUERY = new RegExp(`([?&;](?:${SECRET_QUERY_NAMES})=)[^&#;]*`, 'gi');
const SECRET_QUERY_NAME = new RegExp(`^(?:${SECRET_QUERY_NAMES})$`, 'i');
/** Any parameter: its separator, its name as written, its value. */
const QUERY_PARAM = /([?&;])([^=&#;?]*)=[^&#;]*/g;

/**
 * A request path (or URL) with the values of credential query parameters masked:
 * `/v1beta/models/m:generateContent?key=AIza...&alt=sse` -> `...?key=***&alt=sse`.
 * A name is matched as the server reads it, percent-decoded (`?k%65y=` is `?key=`); a path
 * without `%` takes the one regex, and one without `=` is returned as it is.
 */
export function maskSecretQuery(path: string, mask = MASK): string {
  if (!path.includes('=')) return path;
  if (!path.includes('%')) return path.replace(SECRET_QUERY, `$1${mask}`);
  return path.replace(QUERY_PARAM, (param: string, separator: string, name: string) => (SECRET_QUERY_NAME.test(decodedName(name)) ? `${separator}${name}=${mask}` : param));
}

/** A query parameter's name as URLSearchParams reads it (`+` is a space); as written when it does not decode. */
function decodedName(name: string): string {
  const spaced = name.includes('+') ? name.replace(/\+/g, ' ') : name;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
