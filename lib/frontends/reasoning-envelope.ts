/**
 * Carries opaque reasoning across protocols. A client can only hand back reasoning in its own
 * protocol's shapes, so when a backend produced self-contained opaque reasoning of another
 * dialect (OpenAI encrypted content reaching an Anthropic or Gemini client), the frontend sends
 * it inside its own opaque slot (`redacted_thinking.data`, `thoughtSignature`) wrapped in this
 * envelope, and unwraps it when the
 * client sends the turn back: the backend then replays it in its original dialect, and the
 * conversation keeps its reasoning across the protocol boundary.
 *
 * Format: `lip.reasoning.v1:` + base64url(JSON `{"d": dialect, "p": payload, "i"?: id}`).
 * @see spec/frontends/reasoning-envelope.spec.ts
 */
import { SELF_CONTAINED_REASONING } from '../canonical/index.js';

const PREFIX = 'lip.reasoning.v1:';

/**
 * Whether another dialect's opaque reasoning may travel wrapped: only payloads that stand on
 * their own (SELF_CONTAINED_REASONING). Replaying half of a sequence that must come back whole
 * would be worse than replaying none of it.
 */
export function carriesAcross(dialect: string): boolean {
  return SELF_CONTAINED_REASONING.has(dialect);
}

export interface OpaqueReasoning {
  readonly dialect: string;
  readonly data: string;
  readonly id?: string;
}

export function wrapReasoning(r: OpaqueReasoning): string {
  const json = JSON.stringify(r.id === undefined ? { d: r.dialect, p: r.data } : { d: r.dialect, p: r.data, i: r.id });
  return PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/** The wrapped reasoning, or undefined when `text` is not an envelope (a provider's own payload). */
export function unwrapReasoning(text: string): OpaqueReasoning | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8')) as { d?: unknown; p?: unknown; i?: unknown };
    if (typeof value.d !== 'string' || value.d.length === 0 || typeof value.p !== 'string') return undefined;
    return { dialect: value.d, data: value.p, ...(typeof value.i === 'string' ? { id: value.i } : {}) };
  } catch {
    return undefined;
  }
}
