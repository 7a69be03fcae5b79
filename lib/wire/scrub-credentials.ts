/** One credential shape: a global, linear regex and what replaces a match. */
export interface CredentialPattern {
  readonly id: string;
  readonly pattern: RegExp;
  readonly replacement: string;
  /**
   * A literal that every match contains: text without it skips the regex. Only where the regex
   * is slow on ordinary text (one that backtracks at every word, as a URL scheme does).
   */
  readonly requires?: string;
}

/** What a masked value reads as. */
export const MASK = '***';

/**
 * The one list of credential-shaped strings that lip masks wherever text leaves its hands:
 * upstream error messages passed to clients, log lines that carry free text, recordings. Each
 * regex is anchored on a distinctive prefix (or a `name=` key) and has no nested quantifier,
 * so scrubbing is a few linear passes. Value classes stop at a quote or a backslash, so
 * scrubbing the serialised JSON of a record keeps it valid JSON.
 */
export const CREDENTIAL_PATTERNS: readonly CredentialPattern[] = [
  { id: 'private_key', pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----|[^"]*)/g, replacement: '[PRIVATE KEY]' },
  { id: 'url_userinfo', pattern: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)[^\s/@"'\\:]{1,256}:[^\s/@"'\\]{1,256}@/gi, replacement: `$1${MASK}@`, requires: '://' },
  { id: 'provider_key', pattern: /\b(sk|pk|rk|sess)-[A-Za-z0-9_-]{8,}/g, replacement: `$1-${MASK}` },
  { id: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{20,}/g, replacement: MASK },
  { id: 'hf_nvapi_token', pattern: /\b(hf|nvapi)[-_][A-Za-z0-9_-]{8,}/g, replacement: `$1-${MASK}` },
  { id: 'aws_access_key_id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replacement: MASK },
  { id: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replacement: MASK },
  { id: 'slack_token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, replacement: MASK },
  { id: 'slack_webhook', pattern: /\bhooks\.slack\.com\/services\/[A-Za-z0-9/_-]{8,}/g, replacement: `hooks.slack.com/services/${MASK}` },
  { id: 'stripe_key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g, replacement: MASK },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, replacement: MASK },
  { id: 'auth_scheme', pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replacement: `$1 ${MASK}` },
  {
    id: 'secret_assignment',
    pattern: /\b(password|passwd|pwd|passphrase|secret|client_secret|secret_key|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id_token|auth[_-]?token|session[_-]?token|token|aws_secret_access_key|aws_session_token|private[_-]?key)(\\?["']?\s*[:=]\s*\\?["']?)([^\s"'\\&,;})\][*]+)/gi,
    replacement: `$1$2${MASK}`,
  },
];

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
  for (const { pattern, replacement, requires } of CREDENTIAL_PATTERNS) {
    if (requires === undefined || out.includes(requires)) out = out.replace(pattern, replacement);
  }
  return out;
}

/** Query parameters whose values are credentials (matched without regard to case). */
export const SECRET_QUERY_PARAMS: readonly string[] = [
  'key', 'api_key', 'api-key', 'apikey', 'x-goog-api-key', 'access_token', 'token', 'auth', 'password', 'secret', 'sig', 'signature', 'code', 'resume_token', 'lip_resume_token',
];
const SECRET_QUERY = new RegExp(`([?&;](?:${SECRET_QUERY_PARAMS.map((p) => p.replace(/[-_]/g, '[-_]')).join('|')})=)[^&#;]*`, 'gi');

/**
 * A request path (or URL) with the values of credential query parameters masked:
 * `/v1beta/models/m:generateContent?key=AIza...&alt=sse` -> `...?key=***&alt=sse`.
 */
export function maskSecretQuery(path: string, mask = MASK): string {
  return path.includes('=') ? path.replace(SECRET_QUERY, `$1${mask}`) : path;
}
