/**
 * The validated configuration. Keys mirror the YAML file (CONTRACT section 3) so that docs,
 * errors and code use one vocabulary; durations are milliseconds, sizes bytes.
 */
export interface ServerConfig {
  host: string;
  port: number;
  max_request_body_bytes: number;
  max_concurrent_requests: number;
  /** Responses background responses running at once (they outlive their requests); 0 refuses `background: true`. */
  max_background_responses: number;
  /** Requests of batches (Anthropic Message Batches) running at once in this process; 0 switches batches off. */
  batch_concurrency: number;
  /** Requests one batch may hold. */
  max_batch_requests: number;
  /** Batches running at once in this process. */
  max_running_batches: number;
  /**
   * Batches one principal may run at once in this process (of `max_running_batches`). Filled in
   * when the file leaves it out: half of `max_running_batches`, rounded up, when keys of several
   * principals are configured; all of it otherwise.
   */
  max_running_batches_per_principal: number;
  /** The body of a batch create (its requests), in bytes. */
  max_batch_body_bytes: number;
  shutdown_timeout: number;
  /** After SIGTERM: how long /readyz answers 503 while the listener still accepts, before it closes. */
  drain_delay: number;
  keepalive_interval: number;
  /** Bytes a streamed response may hold unsent for a slow client before its attempt is aborted. */
  max_buffered_bytes: number;
  /** The whole request (headers and body) must arrive within this; 0 turns it off. */
  read_timeout: number;
  /** The request line and headers must arrive within this (slow-header clients are cut off). */
  read_header_timeout: number;
  /** A keep-alive connection with no request in flight is closed after this. */
  idle_timeout: number;
  /** Host names a single-user lip without API keys answers besides its loopback names. */
  allowed_hosts: string[];
  /** Browser origins (`scheme://host[:port]`) such a lip lets use it besides loopback pages. */
  allowed_origins: string[];
  /** Request bodies being read and decoded at once, across all frontends (beyond: 429). */
  max_concurrent_decodes: number;
  /** Bytes of request bodies being read and decoded at once, across all frontends (beyond: 429). */
  max_inflight_decode_bytes: number;
  /** Events an attempt may send before its first output, waiting in memory (0: unlimited). */
  max_pending_wire_events: number;
  /** `102 Processing` to streaming clients every `interval` while the request stages run. */
  pre_request_keepalive: { enabled: boolean; interval: number };
  /** A WebSocket connection (Responses' WebSocket mode) older than this takes no new turn and is closed. */
  websocket_max_age: number;
  /** `X-Content-Type-Options`, `X-Frame-Options`, `Content-Security-Policy` and `Referrer-Policy` on every response. */
  security_headers: boolean;
  /** The `Strict-Transport-Security` value sent on every response; absent: none (lip itself serves plain HTTP). */
  strict_transport_security?: string;
}

/** How lip presents one identity carrier (a header): its product value, the client's, a fixed one, or none. */
export interface IdentityFieldConfig {
  mode: 'proxy' | 'passthrough' | 'custom' | 'drop';
  /** The header value, with `mode: custom` only. */
  value?: string;
}

/** `identity:`: what lip says it is, upstream (B-legs) and to clients (A-legs). */
export interface IdentityConfig {
  upstream: { user_agent: IdentityFieldConfig; app_url: IdentityFieldConfig; app_title: IdentityFieldConfig };
  /** `passthrough` is not a mode here. */
  downstream: { server: IdentityFieldConfig };
}

export interface ApiKeyConfig {
  id: string;
  /** Resolved from `key` or `key_env` at load time. */
  key: string;
  principal: string;
  /** Requests this key may start per minute (a sliding window); beyond: 429 + Retry-After. */
  requests_per_minute?: number;
  /** Generation requests this key may have in flight at once; beyond: 429 + Retry-After. */
  max_concurrent_requests?: number;
  /** Tokens (input plus output) this key's generations and embeddings may spend per minute (a sliding window); beyond: 429 + Retry-After. */
  tokens_per_minute?: number;
  /** What this key may spend per calendar period (UTC); beyond: 429 until the period ends. */
  budget?: KeyBudgetConfig;
  /** The candidates (`backend:model` patterns, `*` for any run of characters) this key may be served by; absent: all. */
  allow?: string[];
}

/** `auth.api_keys[].budget`: at least one of `max_cost` (by the pricing table) and `max_tokens` (input plus output). */
export interface KeyBudgetConfig {
  max_cost?: number;
  max_tokens?: number;
  period: 'hour' | 'day' | 'week' | 'month';
}

/** `cache:`: answers kept and given again to the same request (lib/core/response-cache.ts). */
export interface CacheConfig {
  enabled: boolean;
  /** `memory` (this process) or `redis` (shared by every instance, at `redis.url`). */
  store: 'memory' | 'redis';
  /** How long an answer is kept, in milliseconds. */
  ttl: number;
  /** Memory store: the most its answers hold; the least recently used go first. */
  max_bytes: number;
  /** An answer larger than this (its JSON) is not kept. */
  max_entry_bytes: number;
  /** `principal`: a principal's requests share answers only with its own; `global`: all share. */
  scope: 'principal' | 'global';
}

/** One `pricing:` row: prices per million tokens of each type, for a backend (and model). */
export interface PriceConfig {
  backend: string;
  /** Absent: every model of the backend without a row of its own. */
  model?: string;
  input: number;
  output: number;
  /** Cache reads; default `input`. */
  cache_read?: number;
  /** Cache writes; default `input`. */
  cache_write?: number;
  /** Reasoning tokens; default `output`. */
  reasoning?: number;
  /** Hosted web searches, per thousand; absent: searches are not priced. */
  web_search?: number;
}

export interface BackendConfig {
  id: string;
  kind: string;
  enabled: boolean;
  base_url?: string;
  api_key?: string;
  api_keys?: string[];
  api_key_env?: string;
  models: string[];
  headers: Record<string, string>;
  /** Kind-specific keys (validated against the kind's schema). */
  [key: string]: unknown;
}

export interface Config {
  /** Where the config came from (`<embedded default>` or a path), for messages. */
  source: string;
  server: ServerConfig;
  access: { mode: 'single_user' | 'multi_user'; geoip: GeoipConfig };
  /** `limits_store`: where per-key rate limits are counted: `memory` (each process) or `redis` (shared by every instance, at `redis.url`). */
  auth: { api_keys: ApiKeyConfig[]; limits_store: 'memory' | 'redis' };
  logging: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'text'; access_log: boolean; include_raw_path: boolean; access_log_skip_paths: readonly string[] };
  diagnostics: {
    enabled: boolean; shared_secret?: string; recent_routes: number;
    /** Where the `/admin/*` endpoints are mounted (`/admin`). */
    admin_path: string;
    /** Profiling endpoints (CPU profile, heap snapshot, heap sampling); off when unset. */
    pprof_path?: string;
    /** `host:port` of a separate listener for the operator surfaces (they leave the main one). */
    listen?: string;
  };
  observability: {
    metrics: { enabled: boolean; path: string };
    tracing: { enabled: boolean; service_name: string; exporter: 'otlp' | 'console'; sample_ratio: number };
    /** Count `/healthz`, `/readyz` and the metrics path as traffic (metrics, access log). */
    include_system_routes: boolean;
  };
  /** Prices per million tokens by backend (and model): each attempt's cost. */
  pricing: PriceConfig[];
  http_client: {
    trust_environment_proxy: boolean;
    connect_timeout: number;
    headers_timeout: number;
    body_timeout: number;
    /** Absent: no cap per origin. */
    connections_per_origin?: number;
    /** The longest a request waits in lip's queue for one of `connections_per_origin` (then LIP_ERR_UPSTREAM_QUEUE_TIMEOUT). */
    queue_timeout: number;
    /** The longest upstream SSE/NDJSON line accepted. */
    max_line_bytes: number;
  };
  routing: {
    /** Always set after loading: the configured value or the derived one. */
    default_route: string;
    /** Set when the file gave no default route and it was derived from the first enabled backend. */
    default_route_derived?: boolean;
    max_attempts: number;
    /** A model that names no backend and matches no alias: the default route (logged once per name), or 404. */
    unknown_model: 'default' | 'reject';
    /** Responses name the requested model instead of the one that served. */
    echo_requested_model: boolean;
    /** A candidate refusing the request as too long for its context window: `fail` (a 4xx, as any), or `next` (try the next candidate). */
    context_overflow: 'fail' | 'next';
    /** An answer that breaks after output is resumed with its text as a prefill (lib/core/resume-answer.ts). */
    resume_after_output: { enabled: boolean; max_resumes: number };
    /** How long an embeddings request may take over every candidate it tries (ms). */
    embeddings_timeout: number;
    circuit_breaker: { enabled: boolean; failure_threshold: number; open_for: number; half_open_probes: number; store: 'memory' | 'redis' };
  };
  model_aliases: { pattern: string; replacement: string }[];
  /**
   * `resume_window`: how long after its last activity a proxy-issued session may be resumed
   * (ms). `resume_token_key`: the HMAC key of resume-token fingerprints (absent: the store's own,
   * see docs/continuity.md). `client_session_ids`: client-chosen X-LIP-Session-Id resumes
   * without a token (single-user compatibility; unsafe with several principals). `lineage`:
   * `all` records every request's A-leg and attempts; `conversations` only those of requests
   * that need a record (docs/continuity.md#what-gets-a-record).
   */
  continuity: {
    store: 'memory' | 'sqlite' | 'redis'; sqlite_path: string; ttl: number; max_legs: number; max_response_bytes: number;
    resume_window: number; resume_token_key?: string; client_session_ids: boolean;
    lineage: 'all' | 'conversations';
  };
  /** `url_set`: the file set `redis.url` (plugin state is shared through Redis only then). */
  redis: { url: string; key_prefix: string; url_set?: boolean };
  cache: CacheConfig;
  identity: IdentityConfig;
  recording: {
    enabled: boolean; path: string; max_file_bytes: number; max_files: number; sample_ratio: number; queue_size: number;
    redact_headers: string[]; redact_substrings: string[]; raw: boolean;
  };
  model_catalog: ModelCatalogConfig;
  frontends: { id: string; enabled: boolean }[];
  backends: BackendConfig[];
  features: { id: string; enabled: boolean; order?: number; config: Record<string, unknown> }[];
}

/** A modality a model may be given, in the catalog's own words. */
export type CatalogModality = 'text' | 'image' | 'pdf' | 'audio' | 'video';

/** One operator-stated fact row (`model_catalog.overrides`): a model's, or a backend's model's. */
export interface CatalogOverride {
  model: string;
  backend?: string;
  context?: number;
  input?: number;
  output?: number;
  input_modalities?: CatalogModality[];
  tools?: boolean;
  reasoning?: boolean;
  temperature?: boolean;
  interleaved?: boolean;
}

/** `model_catalog`: model facts (limits, modalities, tools) from a models.dev snapshot and overrides. */
export interface ModelCatalogConfig {
  enabled: boolean;
  /** The snapshot lip reads at start (and writes each refresh to). Required when enabled. */
  path?: string;
  /** Refreshes the snapshot in the background when set. */
  source_url?: string;
  refresh_interval: number;
  fetch_timeout: number;
  /** The largest snapshot accepted (bytes). */
  max_bytes: number;
  /** Backend id -> the catalog provider whose models it serves (`""`: none; matched by model name). */
  backends: Record<string, string>;
  /** Which facts take a candidate out of a request's route. */
  exclude: { context: boolean; modalities: boolean; tools: boolean };
  /** Which facts change the request sent to a candidate. */
  adapt: { max_output_tokens: boolean; reasoning: boolean; sampling: boolean };
  /** Price attempts no `pricing` row prices at the catalog's prices (exact entries only). */
  prices: boolean;
  overrides: CatalogOverride[];
}

/** What the config loader needs to know about a feature plugin (supplied by the extension registry). */
export interface FeatureKindInfo {
  /** JSON Schema of the row's `config`. */
  readonly configSchema: Record<string, unknown>;
  /** The plugin's rules its schema cannot say, run on a `config` the schema accepted (see FeatureFactory.check). */
  readonly check?: (config: never) => readonly FeatureConfigProblem[];
  /** The selectors and backend ids its `config` names, each checked against the backends (see FeatureFactory.references). */
  readonly references?: (config: never) => readonly FeatureReference[];
}

/** One problem of a feature row's `config`: `path` inside `config` (`['extractor', 'timeout']`), `[]` for the whole of it. */
export interface FeatureConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * A selector in a feature row's `config` (a judge's route), or a backend id (a rule's backend):
 * `path` inside `config`, and the text.
 */
export type FeatureReference =
  | { readonly path: readonly (string | number)[]; readonly selector: string }
  | { readonly path: readonly (string | number)[]; readonly backend: string };

/** What the config loader needs to know about backend kinds (supplied by the registry). */
export interface BackendKindInfo {
  /** JSON Schema properties specific to this kind (common keys are added by the loader). */
  readonly properties: Record<string, Record<string, unknown>>;
  /** Model used when a default route must be derived for a row without `models`. */
  readonly defaultModel?: string;
  /** Row keys this kind needs besides `id` and `kind` (`base_url` for a custom endpoint). */
  readonly required?: readonly string[];
  /** Row rules a schema cannot say (which keys go together): the problem and its key, or undefined. */
  readonly checkRow?: (row: Readonly<Record<string, unknown>>) => { key: string; message: string } | undefined;
  /** The environment variable of the kind's default key pool, for the unset-key warning. */
  readonly keyEnv?: string;
  /** Why a row has no usable credentials (kinds with several sources), for the same warning. */
  readonly credentialProblem?: (row: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv, readEnvPool: (name: string) => string[]) => string | undefined;
  /** The kind spawns local processes or reads local credentials: refused in multi_user mode. */
  readonly local?: boolean;
  /** Its backends continue a prefilled answer (`routing.resume_after_output` can resume on them). */
  readonly prefill?: boolean;
  /**
   * The kind presents lip's identity upstream (`identity.upstream`), so its rows may override it
   * (`identity.user_agent`); with `attribution` it also sends app attribution (`app_url`, `app_title`).
   */
  readonly identity?: { readonly attribution?: AppAttributionHeaders };
}

/** The headers a kind sends app attribution in (a vendor's names, supplied by the backend registry). */
export interface AppAttributionHeaders {
  /** The app's URL. */
  readonly url: string;
  /** The app's title. */
  readonly title: string;
  /** Older names of the title header, which a client may still send and a row may still set. */
  readonly titleAliases?: readonly string[];
}

/** `access.geoip`: the ingress gate by client address and country (docs/security.md). */
export interface GeoipConfig {
  readonly enabled: boolean;
  readonly order?: 'deny_allow' | 'allow_deny';
  readonly deny: { readonly countries: readonly string[]; readonly cidrs: readonly string[] };
  readonly allow: { readonly countries: readonly string[]; readonly cidrs: readonly string[] };
  readonly client_ip: { readonly source: 'direct' | 'x_forwarded_for' | 'forwarded'; readonly trusted_proxies: readonly string[] };
  readonly database: {
    readonly source: 'local' | 'managed';
    readonly local_path?: string;
    /** managed: where the database is downloaded from (`{YYYY}`, `{MM}`: this month, then the last). */
    readonly url?: string;
    readonly update_interval?: number;
    readonly fetch_timeout?: number;
    readonly max_bytes?: number;
  };
}
