import { scrubCredentials } from '../../wire/index.js';

/** The longest upstream message passed on to clients and logs. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 1_000;

/**
 * An upstream error message made safe to show a client: the backend's own keys and anything
 * credential-shaped (scrubCredentials: API keys, tokens, `password=`, private keys) are
 * masked, control characters become spaces, and the text is cut to MAX_UPSTREAM_MESSAGE_CHARS.
 *
 * ```ts
 * sanitizeMessage('Incorrect API key provided: sk-abc123456789', ['sk-abc123456789'])
 * // 'Incorrect API key provided: ***'
 * ```
 * @see spec/backends/http/sanitize-message.spec.ts
 */
export function sanitizeMessage(text: string, secrets: readonly string[] = []): string {
  let out = scrubCredentials(text, secrets);
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_UPSTREAM_MESSAGE_CHARS ? `${out.slice(0, MAX_UPSTREAM_MESSAGE_CHARS - 1)}…` : out;
}
