/**
 * The one error registry. Every failure `lip` reports carries one of these codes; the HTTP
 * status and retryability here are the defaults (an upstream failure keeps the upstream's own
 * status). `docs/errors.md` lists exactly these rows, checked by `spec/errors/codes.spec.ts`.
 */
export interface ErrorSpec {
  /** Default HTTP status when this error reaches a client before any output. */
  readonly status: number;
  /** Whether routing may move on to another candidate (only before output). */
  readonly retryable: boolean;
  /** One line for operators; also the fallback client message. */
  readonly summary: string;
}

export const ERROR_CODES = {
  // ── requests ────────────────────────────────────────────────────────────────
  LIP_ERR_REQUEST_INVALID_JSON: { status: 400, retryable: false, summary: 'The request body is not valid JSON (the message gives line and column), or its bytes are not UTF-8 (the message names the first byte that is not, by line, column and offset).' },
  LIP_ERR_REQUEST_INVALID: { status: 400, retryable: false, summary: 'The request violates the protocol schema or a documented limit (the message names the field).' },
  LIP_ERR_REQUEST_TOO_LARGE: { status: 413, retryable: false, summary: 'The request body exceeds server.max_request_body_bytes (a batch create or file upload: server.max_batch_body_bytes).' },
  LIP_ERR_REQUEST_TIMEOUT: { status: 408, retryable: false, summary: 'The request line and headers did not arrive within server.read_header_timeout, or the whole request within server.read_timeout.' },
  LIP_ERR_REQUEST_LIMIT_EXCEEDED: { status: 400, retryable: false, summary: 'The request exceeds a structural limit (nesting depth, entry length, race legs, the cached contents, batches or files one caller keeps, the requests of a batch); the message names the limit.' },
  LIP_ERR_REQUEST_UNSUPPORTED: { status: 400, retryable: false, summary: 'The request asks for a feature lip does not offer (for example n > 1), or that no candidate of its route can serve (images or tools to models that take none).' },
  LIP_ERR_HTTP_NOT_FOUND: { status: 404, retryable: false, summary: 'No route matches the request path.' },
  LIP_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, retryable: false, summary: 'The path exists but not for this HTTP method.' },
  // ── access ──────────────────────────────────────────────────────────────────
  LIP_ERR_AUTH_MISSING_KEY: { status: 401, retryable: false, summary: 'Authentication is required and the request carries no API key.' },
  LIP_ERR_AUTH_INVALID_KEY: { status: 401, retryable: false, summary: 'The API key presented is not one of auth.api_keys.' },
  LIP_ERR_AUTH_KEY_LIMITED: { status: 429, retryable: false, summary: 'The API key is over its requests_per_minute, max_concurrent_requests or tokens_per_minute; retry after the Retry-After delay.' },
  LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED: { status: 429, retryable: false, summary: 'The API key has spent its budget (auth.api_keys[].budget: max_cost or max_tokens) for the current period; Retry-After says when the period ends.' },
  LIP_ERR_AUTH_KEY_BUDGET_RESERVED: { status: 429, retryable: false, summary: 'The API key\'s requests in flight reserve what is left of its budget (auth.api_keys[].budget), so this one would pass it; retry after the Retry-After delay (1 s), when some of them have ended.' },
  LIP_ERR_AUTH_CANDIDATE_FORBIDDEN: { status: 403, retryable: false, summary: 'The API key may not use any candidate of the request\'s route (auth.api_keys[].allow); when only some are allowed, the others are skipped.' },
  LIP_ERR_AUTH_FOREIGN_ORIGIN: { status: 403, retryable: false, summary: 'A single-user lip without API keys refused a browser page of another site (Origin) or a Host that is not a name of this machine (DNS rebinding); see server.allowed_origins and server.allowed_hosts.' },
  LIP_ERR_ADMIN_FORBIDDEN: { status: 403, retryable: false, summary: 'An operator surface (diagnostics, metrics, profiling) was called without the diagnostics secret it needs.' },
  LIP_ERR_ADMIN_RELOAD_FAILED: { status: 422, retryable: false, summary: 'A configuration reload was refused (the file is invalid or unreadable, or changes a setting only a restart can change); the running configuration is kept.' },
  LIP_ERR_ADMIN_BUSY: { status: 409, retryable: false, summary: 'A profile is already being taken (one at a time); retry when it finishes.' },
  // ── server ──────────────────────────────────────────────────────────────────
  LIP_ERR_SERVER_OVERLOADED: { status: 429, retryable: false, summary: 'server.max_concurrent_requests (or server.max_background_responses, for a background response; server.max_running_batches or server.max_running_batches_per_principal, for a batch) is reached; retry after the Retry-After delay.' },
  LIP_ERR_SERVER_DECODE_ADMISSION: { status: 429, retryable: false, summary: 'Decode admission capacity exceeded (server.max_concurrent_decodes or server.max_inflight_decode_bytes); retry after the Retry-After delay.' },
  LIP_ERR_SERVER_SHUTTING_DOWN: { status: 503, retryable: false, summary: 'The server is draining for shutdown and accepts no new work.' },
  LIP_ERR_SERVER_CONNECTION_EXPIRED: { status: 400, retryable: false, summary: 'A WebSocket connection older than server.websocket_max_age takes no new turn and is closed: reconnect (a turn that continued a response the old connection kept unstored sends its whole input).' },
  LIP_ERR_SERVER_CLIENT_TOO_SLOW: { status: 500, retryable: false, summary: 'The client read a stream so slowly that server.max_buffered_bytes filled; the attempt was aborted.' },
  LIP_ERR_SERVER_INTERNAL: { status: 500, retryable: false, summary: 'An unexpected internal failure (a bug); details are in the server log.' },
  // ── routing ─────────────────────────────────────────────────────────────────
  LIP_ERR_ROUTE_INVALID_SELECTOR: { status: 400, retryable: false, summary: 'The route selector does not parse (the message gives the column and reason).' },
  LIP_ERR_ROUTE_UNKNOWN_BACKEND: { status: 400, retryable: false, summary: 'The selector names a backend id that is not configured or not enabled.' },
  LIP_ERR_ROUTE_UNKNOWN_MODEL: { status: 404, retryable: false, summary: 'The model names no configured backend and matches no alias, and routing.unknown_model is reject; or an acp backend whose row lists its models is asked for another.' },
  LIP_ERR_ROUTE_NO_CANDIDATE: { status: 503, retryable: false, summary: 'No candidate of the route is eligible (for example every circuit is open).' },
  LIP_ERR_ROUTE_ALL_FAILED: { status: 502, retryable: false, summary: 'Every candidate of the route failed before output.' },
  LIP_ERR_ROUTE_RATE_LIMITED: { status: 429, retryable: false, summary: 'Every candidate of the route is rate-limited; Retry-After gives the earliest recovery.' },
  LIP_ERR_ROUTE_OVERLOADED: { status: 503, retryable: false, summary: 'Every candidate of the route answered that it is overloaded or unavailable (503, 529) before output, or waited out http_client.queue_timeout for a connection; Retry-After gives the earliest an upstream (or lip\'s queue) asked for, when one did.' },
  LIP_ERR_ROUTE_TTFT_TIMEOUT: { status: 504, retryable: false, summary: 'The global time-to-first-token budget of the selector was spent.' },
  LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT: { status: 504, retryable: true, summary: 'A leaf time-to-first-token budget expired; routing moves on.' },
  LIP_ERR_ROUTE_MAX_ATTEMPTS: { status: 502, retryable: false, summary: 'routing.max_attempts backend opens were used without success.' },
  LIP_ERR_ROUTE_CONTEXT_EXCEEDED: { status: 400, retryable: false, summary: "The request does not fit the max_context / min_context filters or the model catalog's context limits of any candidate; one too long for them gets its protocol's context-window error." },
  // ── upstream ────────────────────────────────────────────────────────────────
  LIP_ERR_UPSTREAM_STATUS: { status: 502, retryable: false, summary: 'The upstream answered with an error status (kept, message sanitised); 408, 409, 429 and 5xx are retryable.' },
  LIP_ERR_UPSTREAM_CONNECT: { status: 502, retryable: true, summary: 'The upstream could not be reached (DNS, refused, unreachable).' },
  LIP_ERR_UPSTREAM_CONNECT_TIMEOUT: { status: 504, retryable: true, summary: 'http_client.connect_timeout expired.' },
  LIP_ERR_UPSTREAM_HEADERS_TIMEOUT: { status: 504, retryable: true, summary: 'http_client.headers_timeout expired before the upstream answered.' },
  LIP_ERR_UPSTREAM_BODY_TIMEOUT: { status: 504, retryable: true, summary: 'http_client.body_timeout expired without an event from the upstream body (keep-alive comments, pings and partial frames do not count).' },
  LIP_ERR_UPSTREAM_RESET: { status: 502, retryable: true, summary: 'The upstream connection was reset or closed early.' },
  LIP_ERR_UPSTREAM_EMPTY_STREAM: { status: 502, retryable: true, summary: 'The upstream stream ended before any output.' },
  LIP_ERR_UPSTREAM_MALFORMED: { status: 502, retryable: false, summary: 'The upstream sent a frame that does not follow its protocol.' },
  LIP_ERR_UPSTREAM_LIMIT_EXCEEDED: { status: 502, retryable: true, summary: 'The upstream reply exceeded a structural limit (http_client.max_line_bytes, nesting depth).' },
  LIP_ERR_UPSTREAM_STREAM_ERROR: { status: 502, retryable: false, summary: 'The upstream reported an error inside its stream.' },
  LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED: { status: 400, retryable: false, summary: "The upstream refused the request as longer than its model's context window; the client gets its protocol's context-window error. With routing.context_overflow: next, routing first tries the next candidate (a larger window)." },
  LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED: { status: 400, retryable: false, summary: 'The upstream answered with nothing lip can pass on: only output of a kind it has no form for (an image model\'s images, no text or calls). The usage is still charged; never a circuit failure.' },
  LIP_ERR_UPSTREAM_NO_CREDENTIALS: { status: 503, retryable: true, summary: 'No API key of the backend is usable (all retired or cooling down).' },
  LIP_ERR_UPSTREAM_QUOTA_EXCEEDED: { status: 429, retryable: true, summary: 'The upstream says the quota of the key sent is spent (insufficient_quota: no credit left; a per-day quota): the key is set aside for an hour and routing moves on; when every candidate\'s quota is spent the client gets 429 insufficient_quota with x-should-retry: false.' },
  LIP_ERR_UPSTREAM_QUEUE_TIMEOUT: { status: 503, retryable: true, summary: 'The request waited http_client.queue_timeout in lip\'s own queue for a connection to its upstream (every one of http_client.connections_per_origin busy) and was not sent; routing moves on to the next candidate, and no circuit counts it. Retry-After: 1.' },
  LIP_ERR_UPSTREAM_AGENT_BUSY: { status: 503, retryable: true, summary: 'Every agent process of an acp backend is in a turn and the pool is at max_processes.' },
  // ── responses ───────────────────────────────────────────────────────────────
  LIP_ERR_RESPONSE_TOO_LARGE: { status: 502, retryable: false, summary: 'A response exceeded the held-output limits (collected whole, or held by a stream encoder or stage).' },
  LIP_ERR_RESPONSE_SEQUENCE: { status: 502, retryable: false, summary: 'A backend produced events out of the canonical order.' },
  // ── embeddings ──────────────────────────────────────────────────────────────
  LIP_ERR_EMBEDDINGS_UNSUPPORTED: { status: 400, retryable: false, summary: 'No candidate of the route can embed (its backends are of kinds without an embeddings call), or a bedrock candidate names a model of no family lip embeds with; the message names the route or the model.' },
  LIP_ERR_EMBEDDINGS_TIMEOUT: { status: 504, retryable: false, summary: 'An embeddings request got no answer within `routing.embeddings_timeout` (60 s), over every candidate it tried.' },
  LIP_ERR_EMBEDDINGS_ATTEMPT_TIMEOUT: { status: 504, retryable: true, summary: 'An embeddings call got no answer within its share of `routing.embeddings_timeout` (what was left of it divided among the candidates still to try); it counts as the candidate\'s failure and routing moves on to the next.' },
  // ── continuity ──────────────────────────────────────────────────────────────
  LIP_ERR_CACHE_UNAVAILABLE: { status: 503, retryable: true, summary: 'POST /admin/cache/clear: the response cache\'s Redis could not be reached (or failed) while clearing; part of it may be left. Requests meanwhile go upstream.' },
  LIP_ERR_CONTINUITY_UNAVAILABLE: { status: 503, retryable: false, summary: 'The continuity store cannot answer (it is closed, a database read failed, or Redis cannot be read); see /readyz.' },
  LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND: { status: 404, retryable: false, summary: 'previous_response_id (or a thread\'s previous_message_id), or the id of GET / DELETE /v1/responses/{id}, names no stored response of this principal, a Responses item_reference no item of one, a conversation id (the Conversations API, Responses conversation) no conversation of this principal, or a cachedContent name (context caching) no cached content, or a chat completion id (stored chat completions) no stored completion, or a batch or file id no batch or file, or an upload_id no open upload, of this principal (never stored, stored with store: false, expired, evicted or deleted).' },
  // ── sessions ────────────────────────────────────────────────────────────────
  LIP_ERR_SESSION_TOKEN_REQUIRED: { status: 400, retryable: false, summary: 'X-LIP-Session-Id or X-LIP-A-Leg-Id alone does not resume a conversation: its resume token must come with it (or set continuity.client_session_ids).' },
  LIP_ERR_SESSION_DENIED: { status: 403, retryable: false, summary: 'The session could not be resumed (unknown token, another principal\'s token, or a session or A-leg id that does not match it).' },
  LIP_ERR_SESSION_EXPIRED: { status: 410, retryable: false, summary: 'The session can no longer be resumed: its last activity is older than continuity.resume_window.' },
  LIP_ERR_CANCEL_IDENTITY_MISSING: { status: 401, retryable: false, summary: 'A cancel request carries no X-LIP-Resume-Token (the conversation\'s identity).' },
  LIP_ERR_CANCEL_FORBIDDEN: { status: 403, retryable: false, summary: 'The resume token presented is not the one of the A-leg or response to cancel.' },
  LIP_ERR_CANCEL_NOT_FOUND: { status: 404, retryable: false, summary: 'The cancel target is unknown to this principal, or not in flight (a response).' },
  LIP_ERR_REQUEST_CANCELLED: { status: 409, retryable: false, summary: 'The request was cancelled through a cancel endpoint of its conversation; its upstream attempts were aborted.' },
  // ── extensions ──────────────────────────────────────────────────────────────
  LIP_ERR_EXTENSION_REJECTED: { status: 403, retryable: false, summary: 'An extension hook rejected the request or a tool call (the message names the feature, hook and stage).' },
  LIP_ERR_EXTENSION_FAILED: { status: 500, retryable: true, summary: 'A fail_closed extension hook failed or left the call or stream invalid; before output routing moves on.' },
  // ── configuration ───────────────────────────────────────────────────────────
  LIP_ERR_CONFIG_INVALID: { status: 500, retryable: false, summary: 'The configuration file is invalid (each problem as file:line:col: path: message).' },
  LIP_ERR_CONFIG_UNREADABLE: { status: 500, retryable: false, summary: 'The configuration file cannot be read.' },
  LIP_ERR_SERVER_LISTEN: { status: 500, retryable: false, summary: 'The server cannot listen (for example the port is in use).' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
