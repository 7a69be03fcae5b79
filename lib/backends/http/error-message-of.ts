type Json = Record<string, any>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The message and type of an upstream error body, in the shapes providers and compatible
 * servers use: `{"error":{"message","type"|"status"|"code"}}` (OpenAI, Anthropic, Gemini,
 * llama.cpp), `{"error":"..."}` (Ollama), `{"object":"error","message"}` (vLLM) and
 * `{"detail": ...}` (FastAPI-based routers). A non-JSON body is used as text; an HTML error
 * page is named, not quoted. A string `error.code` is given apart too: OpenAI's envelope has
 * both, and its code is the precise one (`model_not_found` under `invalid_request_error`).
 *
 * ```ts
 * errorMessageOf({ error: { message: 'bad', type: 'invalid_request_error' } }, '')
 * // { message: 'bad', type: 'invalid_request_error' }
 * ```
 */
export function errorMessageOf(body: unknown, text: string): { message: string | undefined; type: string | undefined; code?: string } {
  const b = body as Json | undefined;
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    const e = b.error;
    if (e && typeof e === 'object') {
      const code = str(e.code);
      return { message: str(e.message) ?? str(e.msg), type: str(e.type) ?? str(e.status) ?? code, ...(code ? { code } : {}) };
    }
    if (typeof e === 'string') return { message: e, type: undefined };
    if (typeof b.message === 'string') return { message: b.message, type: str(b.type) };
    if (typeof b.detail === 'string') return { message: b.detail, type: undefined };
    if (Array.isArray(b.detail)) return { message: b.detail.map((d: Json) => str(d?.msg) ?? '').filter(Boolean).join('; ') || undefined, type: undefined };
  }
  // Gemini sometimes wraps the error in a list (one level: a body of nested lists must not recurse without bound).
  if (Array.isArray(b) && b.length > 0 && !Array.isArray(b[0])) return errorMessageOf(b[0], text);
  const trimmed = text.trim();
  if (!trimmed) return { message: undefined, type: undefined };
  if (body === undefined && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    const message = messageOfCutJson(trimmed);
    if (message !== undefined) return { message, type: undefined };
  }
  return { message: /^<(!doctype|html)/i.test(trimmed) ? 'the upstream answered with an HTML page' : trimmed, type: undefined };
}

/** The first `"message"` / `"Message"` / `"msg"` member whose string value is complete in the text. */
const MESSAGE_MEMBER = /"(?:message|Message|msg)"\s*:\s*("(?:[^"\\]|\\.)*")/;

/**
 * The message of JSON text that does not parse, most often an error body cut at
 * MAX_ERROR_BODY_BYTES (64 KiB) because the upstream echoed the request in it (FastAPI/pydantic
 * `detail[].input`, a gateway quoting the prompt): its first complete message member, which in
 * every provider's envelope comes before the echo. Without this the client got the first
 * 1,000 characters of raw JSON instead of the provider's sentence.
 */
function messageOfCutJson(text: string): string | undefined {
  const m = MESSAGE_MEMBER.exec(text);
  if (!m) return undefined;
  try {
    const value = JSON.parse(m[1]!) as string;
    return value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
