/** The longest upstream message passed on to clients and logs. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 1_000;

const KEY_SHAPES: readonly [RegExp, string][] = [
  [/\b(sk|pk|rk|sess)-[A-Za-z0-9_-]{8,}/g, '$1-***'],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, '***'],
  [/\b(hf|nvapi)[-_][A-Za-z0-9_-]{8,}/g, '$1-***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
];

/**
 * An upstream error message made safe to show a client: the backend's own keys and anything
 * shaped like an API key or bearer token are masked, control characters become spaces, and
 * the text is cut to MAX_UPSTREAM_MESSAGE_CHARS.
 *
 * ```ts
 * sanitizeMessage('Incorrect API key provided: sk-abc123456789', ['sk-abc123456789'])
 * // 'Incorrect API key provided: ***'
 * ```
 * @see spec/backends/http/sanitize-message.spec.ts
 */
export function sanitizeMessage(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('***');
  }
  for (const [shape, replacement] of KEY_SHAPES) out = out.replace(shape, replacement);
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_UPSTREAM_MESSAGE_CHARS ? `${out.slice(0, MAX_UPSTREAM_MESSAGE_CHARS - 1)}…` : out;
}
