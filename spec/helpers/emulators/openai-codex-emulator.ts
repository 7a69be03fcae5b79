import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerKey, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { openaiErrorBody } from './openai-chat-emulator.js';
import { openaiResponsesProtocol } from './openai-responses-emulator.js';

/** Access tokens every codex emulator accepts from the start (the matrix's shared key among them). */
export const CODEX_TOKENS = ['test-key-0123456789', 'codex-token-1', 'codex-token-2'] as const;
/** The refresh token the token endpoint honours from the start. */
export const CODEX_REFRESH_TOKEN = 'codex-refresh-1';

/** One refresh request the token endpoint received. */
export interface RefreshRequest {
  readonly body: Record<string, unknown> | undefined;
  readonly contentType: string | undefined;
}

export interface CodexEmulator extends Emulator {
  /** The OAuth token endpoint (`oauth_token_url` of a row). */
  readonly tokenUrl: string;
  /** Access tokens the endpoint accepts; delete one to expire it (its next request gets 401). */
  readonly validTokens: Set<string>;
  /** Refresh tokens the token endpoint honours (each is rotated when used). */
  readonly refreshTokens: Set<string>;
  readonly refreshes: RefreshRequest[];
  /** When set, the token endpoint answers with this status instead. */
  tokenStatus: number | undefined;
}

const HEADERS: readonly [string, (value: string | undefined) => boolean][] = [
  ['openai-beta', (v) => v === 'responses=experimental'],
  ['originator', (v) => v === 'codex_cli_rs'],
  ['version', (v) => typeof v === 'string' && v.length > 0],
  ['user-agent', (v) => typeof v === 'string' && v.startsWith('codex_cli_rs/')],
  ['codex-task-type', (v) => v === 'standard'],
  ['accept', (v) => typeof v === 'string' && v.includes('text/event-stream')],
  ['conversation_id', (v) => typeof v === 'string' && v.length > 0],
];

/**
 * What the ChatGPT Codex endpoint refuses: an unknown or expired bearer token (401, the way the
 * service words it), a request without the Codex client headers, `conversation_id` and
 * `session_id` that differ, and a body that is not streamed, is stored, has no instructions,
 * carries system items in `input`, sets a generation parameter the endpoint does not take, or
 * gives a `*-codex` model (gpt-5.1-codex-max, gpt-5.2-codex, ...) a `text.verbosity` other than
 * `medium` (the service's 400: `Unsupported value: 'high' is not supported with the
 * 'gpt-5.2-codex' model. Supported values are: 'medium'.`, param `text.verbosity`, code
 * `unsupported_value`).
 */
function verifyCodex(valid: ReadonlySet<string>) {
  return async (request: RecordedRequest): Promise<{ status: number; error: { message: string; type?: string; code?: string; param?: string } } | undefined> => {
    if (request.key === undefined || !valid.has(request.key)) {
      return { status: 401, error: { message: 'Your authentication token has expired. Please try signing in again.', type: 'invalid_request_error' } };
    }
    const header = (name: string) => { const v = request.headers[name]; return Array.isArray(v) ? v[0] : v; };
    for (const [name, ok] of HEADERS) if (!ok(header(name))) return { status: 400, error: { message: `missing or wrong Codex header ${name}: ${String(header(name))}` } };
    if (header('session_id') !== header('conversation_id')) return { status: 400, error: { message: 'session_id must equal conversation_id' } };
    const body = request.body ?? {};
    if (body.stream !== true) return { status: 400, error: { message: 'Stream must be set to true' } };
    if (body.store !== false) return { status: 400, error: { message: 'Store must be set to false' } };
    if (typeof body.instructions !== 'string' || body.instructions.trim() === '') return { status: 400, error: { message: 'Instructions are required' } };
    if (!Array.isArray(body.input)) return { status: 400, error: { message: 'input must be a list' } };
    if (body.input.some((i: { role?: string }) => i?.role === 'system' || i?.role === 'developer')) return { status: 400, error: { message: 'System messages are not allowed' } };
    for (const p of ['temperature', 'top_p', 'max_output_tokens']) if (p in body) return { status: 400, error: { message: `Unsupported parameter: ${p}` } };
    if (body.prompt_cache_key !== header('conversation_id')) return { status: 400, error: { message: 'prompt_cache_key must name the conversation' } };
    const verbosity = body.text?.verbosity;
    if (typeof body.model === 'string' && body.model.includes('codex') && verbosity !== undefined && verbosity !== 'medium') {
      return { status: 400, error: { message: `Unsupported value: '${String(verbosity)}' is not supported with the '${body.model}' model. Supported values are: 'medium'.`, type: 'invalid_request_error', param: 'text.verbosity', code: 'unsupported_value' } };
    }
    return undefined;
  };
}

/**
 * The endpoint's error body: OpenAI's envelope (with the refusal's `param` when it names one),
 * except for a spent usage limit (a script error of type `usage_limit_reached`), which the
 * service writes as the Codex CLI reads it: `{"error": {"type": "usage_limit_reached", "message",
 * "plan_type", "resets_in_seconds" | "resets_at"}}` (the script's `fields`; `resets_at` in Unix
 * seconds).
 */
function codexErrorBody(status: number, error: { message: string; type?: string; code?: string; param?: string; fields?: Readonly<Record<string, unknown>> }): unknown {
  if (error.type === 'usage_limit_reached') return { error: { type: error.type, message: error.message, plan_type: 'plus', ...error.fields } };
  const body = openaiErrorBody(status, error) as { error: Record<string, unknown> };
  if (error.param !== undefined) body.error.param = error.param;
  return body;
}

/**
 * The ChatGPT Codex Responses endpoint (`POST /backend-api/codex/responses`) as an emulator:
 * the Responses SSE events of openai-responses-emulator.ts followed by `data: [DONE]`, with
 * every request checked the way the service checks it (verifyCodex). Beside it, on its own
 * port, the OAuth token endpoint (`POST /oauth/token`, the shape of auth.openai.com): a known
 * refresh token with `grant_type: refresh_token` gets a new access token (which the endpoint
 * then accepts) and a rotated refresh token.
 */
export async function startCodexEmulator(): Promise<CodexEmulator> {
  const validTokens = new Set<string>(CODEX_TOKENS);
  const protocol: EmulatorProtocol = {
    ...openaiResponsesProtocol,
    name: 'openai-codex',
    basePath: '/backend-api/codex',
    match(method, path) {
      return method === 'POST' && path === '/backend-api/codex/responses' ? { route: 'generate' } : undefined;
    },
    keyOf: (headers) => bearerKey(headers),
    frames: (script, request) => [...openaiResponsesProtocol.frames(script, request), { text: 'data: [DONE]\n\n', output: false }],
    errorBody: codexErrorBody,
    verify: verifyCodex(validTokens),
  };
  const emulator = await startEmulator(protocol);
  const refreshTokens = new Set<string>([CODEX_REFRESH_TOKEN]);
  const refreshes: RefreshRequest[] = [];
  let issued = 0;
  const state = { tokenStatus: undefined as number | undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { raw += c; });
    req.on('end', () => {
      let body: Record<string, unknown> | undefined;
      try { body = JSON.parse(raw); } catch { body = undefined; }
      refreshes.push({ body, contentType: req.headers['content-type'] });
      const answer = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (req.method !== 'POST' || req.url !== '/oauth/token') return answer(404, { error: 'not_found' });
      if (state.tokenStatus !== undefined) return answer(state.tokenStatus, { error: 'server_error', error_description: 'emulated token endpoint failure' });
      const token = typeof body?.refresh_token === 'string' ? body.refresh_token : '';
      if (body?.grant_type !== 'refresh_token' || typeof body.client_id !== 'string' || !refreshTokens.has(token)) {
        return answer(400, { error: 'invalid_grant', error_description: 'the refresh token is invalid or was already used' });
      }
      issued++;
      refreshTokens.delete(token);
      refreshTokens.add(`codex-refresh-${issued + 1}`);
      validTokens.add(`codex-refreshed-${issued}`);
      answer(200, { access_token: `codex-refreshed-${issued}`, refresh_token: `codex-refresh-${issued + 1}`, id_token: 'eyJ.emulated.id', expires_in: 3600, token_type: 'Bearer' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = emulator.close;
  const codex = Object.assign(emulator, {
    tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    validTokens, refreshTokens, refreshes, tokenStatus: undefined as number | undefined,
    close: async () => {
      server.closeAllConnections();
      await Promise.all([close(), new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  });
  // The token endpoint reads the emulator's own field, so that a spec can set it at any time.
  Object.defineProperty(codex, 'tokenStatus', { get: () => state.tokenStatus, set: (value: number | undefined) => { state.tokenStatus = value; }, enumerable: true });
  return codex;
}
