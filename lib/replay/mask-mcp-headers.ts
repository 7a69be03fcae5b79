import { MASK } from '../wire/index.js';

/**
 * What a remote MCP server's declaration looks like in serialised JSON, in the dialects that carry
 * HTTP headers for it: OpenAI's `{"type": "mcp", ..., "headers": {...}}` tool and Gemini's
 * `mcpServers[].streamableHttpTransport.headers` (snake_case too). Text without it declares none.
 */
const MCP_DECLARATION = /"type"\s*:\s*"mcp"|"streamable_?[hH]ttp_?[tT]ransport"/;

/** A literal every declaration holds (`"type":"mcp"`, `mcpServers`, `mcp_servers`): a fast scan (a few µs on 25 KB) before MCP_DECLARATION's slower one. */
const MCP = /mcp/;

/** Whether serialised JSON (or text that was meant to be) may declare an MCP server with headers. */
export function mayDeclareMcpServer(text: string): boolean {
  return MCP.test(text) && MCP_DECLARATION.test(text);
}

/**
 * `value` with every value of every remote MCP server's HTTP headers masked, whatever it looks
 * like (`X-Tenant-Credential: t-81`, no credential shape): they are the client's secrets, and
 * their names say nothing (a name-based mask cannot know them). The servers are found where
 * they are declared, at any depth (a body's `tools`, a Responses `additional_tools` item, a
 * call's hosted tools, written as the client wrote them):
 *
 * * an object whose `type` is `"mcp"` (OpenAI): its `headers`;
 * * an object's `streamableHttpTransport` (Gemini, any mix of snake_case): its `headers`.
 *
 * Only string values change, to `***`: the value keeps its shape (a header holding no string, which no
 * frontend takes, stays as it is). Copy on write: `value` itself when there is nothing to
 * mask, and never changed (the objects are the live request's).
 *
 * ```ts
 * maskMcpHeaders({ tools: [{ type: 'mcp', server_label: 'w', headers: { 'X-Tenant': 't-81' } }] })
 * // { tools: [{ type: 'mcp', server_label: 'w', headers: { 'X-Tenant': '***' } }] }
 * ```
 * @see spec/replay/regression-mcp-secrets.spec.ts
 */
export function maskMcpHeaders<T>(value: T, depth = 0): T {
  if (depth > 128 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const masked = maskMcpHeaders(value[i], depth + 1);
      if (masked !== value[i]) (out ??= [...value])[i] = masked;
    }
    return (out ?? value) as T;
  }
  const object = value as Record<string, unknown>;
  const mcpTool = object.type === 'mcp';
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const member = object[key];
    const masked = key === 'headers' && mcpTool ? maskedValues(member)
      : isTransport(key) && member !== null && typeof member === 'object' && !Array.isArray(member) ? withMaskedHeaders(member as Record<string, unknown>)
        : maskMcpHeaders(member, depth + 1);
    if (masked !== member) (out ??= { ...object })[key] = masked;
  }
  return (out ?? value) as T;
}

/** Whether `key` names Gemini's streamable HTTP transport (protobuf JSON takes snake_case for any part). */
function isTransport(key: string): boolean {
  return key.length > 20 && key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) === 'streamableHttpTransport';
}

/** A transport with its `headers` masked. */
function withMaskedHeaders(transport: Record<string, unknown>): Record<string, unknown> {
  const headers = maskedValues(transport.headers);
  return headers === transport.headers ? transport : { ...transport, headers };
}

/** A headers object with its string values masked (anything else as it is). */
function maskedValues(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return headers;
  let out: Record<string, unknown> | undefined;
  for (const name in headers as Record<string, unknown>) {
    const v = (headers as Record<string, unknown>)[name];
    if (typeof v === 'string' && v !== MASK) (out ??= { ...headers as Record<string, unknown> })[name] = MASK;
  }
  return out ?? headers;
}

/**
 * Text that was to be JSON but is not (a body lip could not parse, kept as `body_text` or
 * `body_bytes`) with the string values of every `"headers": {...}` object masked, when the text
 * may declare an MCP server: it cannot be read as a value, and, never decoded, its other
 * `headers` objects mean nothing to a replay (which fails it where the client's failed). The
 * object is read as far as it holds `"name": "value"` pairs; with `keepNonAscii` (a body's
 * bytes, one character per byte), a value's characters past ASCII stay in place, so that a byte
 * that is not UTF-8 still fails a replay as it failed the client.
 */
export function maskMcpHeadersText(text: string, keepNonAscii = false): string {
  if (!mayDeclareMcpServer(text)) return text;
  let out = '';
  let from = 0;
  for (let at = text.indexOf('"headers"'); at >= 0; at = text.indexOf('"headers"', at + 1)) {
    if (at < from) continue; // inside a value already masked
    let i = skipSpace(text, at + 9);
    if (text[i] !== ':') continue;
    i = skipSpace(text, i + 1);
    if (text[i] !== '{') continue;
    i = skipSpace(text, i + 1);
    // Pairs up to the closing brace: each value's contents are replaced.
    while (text[i] === '"') {
      const nameEnd = stringEnd(text, i);
      if (nameEnd < 0) break;
      let v = skipSpace(text, nameEnd + 1);
      if (text[v] !== ':') break;
      v = skipSpace(text, v + 1);
      if (text[v] !== '"') break;
      const valueEnd = stringEnd(text, v);
      if (valueEnd < 0) break;
      const contents = text.slice(v + 1, valueEnd);
      out += text.slice(from, v + 1) + (keepNonAscii ? contents.replace(/[\x00-\x7f]+/g, MASK) : MASK);
      from = valueEnd;
      i = skipSpace(text, valueEnd + 1);
      if (text[i] !== ',') break;
      i = skipSpace(text, i + 1);
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** The index of the quote that ends the JSON string opening at `start` (-1: it does not end). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
