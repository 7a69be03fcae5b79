import { isDeepStrictEqual } from 'node:util';
import { parseDuration, parseSize } from './units.js';

/**
 * The JSON Schema of the configuration file (CONTRACT section 3), checked by ajv. Unknown keys
 * are errors everywhere. `lipDuration` and `lipSize` are this project's keywords (see
 * `keywords.ts`): they accept `250ms` / `30s` / `5m` and `8MiB` / bytes and convert in place
 * to milliseconds and bytes. Backend rows are checked in a second pass against the schema of
 * their kind, which the backend registry supplies.
 */
type Schema = Record<string, unknown>;

const duration = (defaultValue?: string): Schema => ({ lipDuration: true, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
const size = (defaultValue?: string | number): Schema => ({ lipSize: true, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
const section = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object', default: {}, additionalProperties: false, properties, ...extra,
});
const str: Schema = { type: 'string' };
const nonEmpty: Schema = { type: 'string', minLength: 1 };
const bool = (value: boolean): Schema => ({ type: 'boolean', default: value });
/** A price per million tokens. */
const price: Schema = { type: 'number', minimum: 0 };
/** A token count (a model's context, input or output limit). */
const tokens: Schema = { type: 'integer', minimum: 1 };
/** What a model may be given (`model_catalog`): the catalog's own names. */
export const CATALOG_MODALITIES = ['text', 'image', 'pdf', 'audio', 'video'] as const;
/** ISO 3166-1 alpha-2 country codes (`access.geoip`). */
const countryList: Schema = { type: 'array', default: [], maxItems: 256, items: { type: 'string', pattern: '^[A-Z]{2}$', lipHint: 'must be an ISO 3166-1 alpha-2 country code in capitals, such as DE' } };
/** IP addresses and CIDR prefixes (checked by `net.BlockList` in the semantic pass). */
const cidrList: Schema = { type: 'array', default: [], maxItems: 4_096, items: { type: 'string', minLength: 2, maxLength: 64 } };
const envName: Schema = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };

/** How an upstream identity carrier is presented (`identity.upstream.*`, a backend row's `identity`). */
export const UPSTREAM_MODES = ['proxy', 'passthrough', 'custom', 'drop'] as const;
/** How the `Server` header is presented: a response has no client value to pass through. */
const DOWNSTREAM_MODES = ['proxy', 'custom', 'drop'] as const;

/**
 * One identity carrier: `{mode, value}`. With a default (the global section) an absent carrier
 * is `proxy`; without (a backend row's override) an absent one inherits the global policy.
 * Whether `value` goes with `mode` is checked by check-identity.ts.
 */
export function identityField(modes: readonly string[], withDefault = true): Schema {
  return {
    type: 'object', additionalProperties: false, required: ['mode'],
    properties: { mode: { enum: [...modes] }, value: str },
    ...(withDefault ? { default: { mode: 'proxy' } } : {}),
  };
}

/** The schema for a registry's frontend ids (the config module names no protocol itself). */
export function configSchema(frontendIds: readonly string[]): Schema {
  return {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: section({
      host: { type: 'string', minLength: 1, default: '127.0.0.1' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
      max_request_body_bytes: size('8MiB'),
      max_concurrent_requests: { type: 'integer', minimum: 0, default: 0 },
      max_background_responses: { type: 'integer', minimum: 0, default: 256 },
      batch_concurrency: { type: 'integer', minimum: 0, maximum: 1024, default: 4 },
      max_batch_requests: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
      max_running_batches: { type: 'integer', minimum: 1, maximum: 10000, default: 64 },
      max_running_batches_per_principal: { type: 'integer', minimum: 1, maximum: 10000 }, // default: check-semantics.ts
      max_batch_body_bytes: size('32MiB'),
      shutdown_timeout: duration('15s'),
      drain_delay: duration('5s'),
      keepalive_interval: duration('15s'),
      max_buffered_bytes: size('1MiB'),
      read_timeout: duration('30s'),
      read_header_timeout: duration('10s'),
      idle_timeout: duration('120s'),
      max_concurrent_decodes: { type: 'integer', minimum: 1, default: 32 },
      max_inflight_decode_bytes: size('64MiB'),
      max_pending_wire_events: { type: 'integer', minimum: 0, default: 10_000 },
      pre_request_keepalive: section({ enabled: bool(false), interval: duration('15s') }),
      allowed_hosts: { type: 'array', default: [], items: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._-]+$|^\\[[0-9A-Fa-f:.]+\\]$' } },
      allowed_origins: { type: 'array', default: [], items: { type: 'string', pattern: '^https?://[^/?#\\s]+$' } },
      security_headers: bool(true),
      websocket_max_age: duration('60m'),
      strict_transport_security: nonEmpty,
    }),
    access: section({
      mode: { enum: ['single_user', 'multi_user'], default: 'single_user' },
      // Checked by its own validator, compiled only for a file that has the section (GEOIP_SCHEMA).
      geoip: { type: 'object' },
    }),
    auth: section({
      api_keys: {
        type: 'array', default: [],
        items: {
          type: 'object', additionalProperties: false, required: ['id'],
          properties: {
            id: nonEmpty, key: str, key_env: envName, principal: nonEmpty,
            requests_per_minute: { type: 'integer', minimum: 1 },
            max_concurrent_requests: { type: 'integer', minimum: 1 },
            tokens_per_minute: { type: 'integer', minimum: 1 },
            allow: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 512 } },
            budget: {
              // At least one of the limits (check-semantics.ts).
              type: 'object', additionalProperties: false, required: ['period'],
              properties: {
                max_cost: { type: 'number', exclusiveMinimum: 0 },
                max_tokens: { type: 'integer', minimum: 1 },
                period: { enum: ['hour', 'day', 'week', 'month'] },
              },
            },
          },
        },
      },
      limits_store: { enum: ['memory', 'redis'], default: 'memory' },
    }),
    logging: section({
      level: { enum: ['error', 'warn', 'info', 'debug'], default: 'info' },
      format: { enum: ['json', 'text'], default: 'json' },
      access_log: bool(true),
      include_raw_path: bool(false),
      access_log_skip_paths: { type: 'array', default: [], maxItems: 64, items: { type: 'string', pattern: '^/[^?#\\s]*$', maxLength: 256, lipHint: 'must be a path prefix starting with / (no query)' } },
    }),
    diagnostics: section({
      enabled: bool(false),
      shared_secret: str,
      shared_secret_env: envName,
      recent_routes: { type: 'integer', minimum: 1, maximum: 10_000, default: 64 },
      admin_path: { type: 'string', pattern: '^/', default: '/admin' },
      pprof_path: { type: 'string', pattern: '^/' },
      listen: nonEmpty,
    }),
    observability: section({
      metrics: section({ enabled: bool(false), path: { type: 'string', pattern: '^/', default: '/metrics' } }),
      tracing: section({
        enabled: bool(false),
        service_name: { type: 'string', minLength: 1, default: 'lip' },
        exporter: { enum: ['otlp', 'console'], default: 'otlp' },
        sample_ratio: { type: 'number', minimum: 0, maximum: 1, default: 1 },
      }),
      include_system_routes: bool(false),
    }),
    pricing: {
      type: 'array', default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['backend', 'input', 'output'],
        properties: {
          backend: nonEmpty, model: nonEmpty,
          input: price, output: price, cache_read: price, cache_write: price, reasoning: price, web_search: price,
        },
      },
    },
    http_client: section({
      trust_environment_proxy: bool(true),
      connect_timeout: duration('10s'),
      headers_timeout: duration('60s'),
      body_timeout: duration('300s'),
      connections_per_origin: { type: 'integer', minimum: 0 }, // 0: no cap, as when left out (CONTRACT section 3)
      queue_timeout: duration('30s'), // the longest wait in lip's queue for one of connections_per_origin
      max_line_bytes: size('16MiB'),
    }),
    routing: section({
      default_route: nonEmpty,
      max_attempts: { type: 'integer', minimum: 1, maximum: 64, default: 3 },
      unknown_model: { enum: ['default', 'reject'], default: 'default' },
      echo_requested_model: bool(false),
      context_overflow: { enum: ['fail', 'next'], default: 'fail' },
      resume_after_output: section({ enabled: bool(false), max_resumes: { type: 'integer', minimum: 1, maximum: 8, default: 2 } }),
      embeddings_timeout: duration('60s'),
      circuit_breaker: section({
        enabled: bool(false),
        failure_threshold: { type: 'integer', minimum: 1, default: 5 },
        open_for: duration('30s'),
        half_open_probes: { type: 'integer', minimum: 1, default: 1 },
        store: { enum: ['memory', 'redis'], default: 'memory' },
      }),
    }),
    model_aliases: {
      type: 'array', default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['pattern', 'replacement'],
        properties: { pattern: nonEmpty, replacement: nonEmpty },
      },
    },
    continuity: section({
      store: { enum: ['memory', 'sqlite', 'redis'], default: 'memory' },
      sqlite_path: { type: 'string', minLength: 1, default: './lip.db' },
      ttl: duration('24h'),
      max_legs: { type: 'integer', minimum: 1, default: 100_000 },
      max_response_bytes: size('256MiB'),
      resume_window: duration('168h'),
      resume_token_key: str,
      resume_token_key_env: envName,
      client_session_ids: bool(false),
      lineage: { enum: ['all', 'conversations'], default: 'all' },
    }),
    redis: section({
      url: { type: 'string', lipUrl: ['redis', 'rediss'], default: 'redis://127.0.0.1:6379' },
      key_prefix: { type: 'string', default: 'lip:' },
    }),
    identity: section({
      upstream: section({ user_agent: identityField(UPSTREAM_MODES), app_url: identityField(UPSTREAM_MODES), app_title: identityField(UPSTREAM_MODES) }),
      downstream: section({ server: identityField(DOWNSTREAM_MODES) }),
    }),
    recording: section({
      enabled: bool(false),
      path: { type: 'string', minLength: 1, default: './recordings/traffic.jsonl' },
      max_file_bytes: size('100MiB'),
      max_files: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
      sample_ratio: { type: 'number', minimum: 0, maximum: 1, default: 1 },
      queue_size: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1024 },
      redact_headers: { type: 'array', items: str, default: ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie'] },
      redact_substrings: { type: 'array', items: nonEmpty, default: [] },
      raw: bool(false),
    }),
    cache: section({
      enabled: bool(false),
      store: { enum: ['memory', 'redis'], default: 'memory' },
      ttl: duration('1h'),
      max_bytes: size('64MiB'),
      max_entry_bytes: size('1MiB'),
      scope: { enum: ['principal', 'global'], default: 'principal' },
    }),
    model_catalog: section({
      enabled: bool(false),
      path: nonEmpty,
      source_url: { type: 'string', lipUrl: ['http', 'https'] },
      refresh_interval: duration('24h'),
      fetch_timeout: duration('30s'),
      max_bytes: size('64MiB'),
      backends: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
      exclude: section({ context: bool(true), modalities: bool(true), tools: bool(true) }),
      adapt: section({ max_output_tokens: bool(false), reasoning: bool(false), sampling: bool(false) }),
      prices: bool(false),
      overrides: {
        type: 'array', default: [],
        items: {
          type: 'object', additionalProperties: false, required: ['model'],
          properties: {
            model: nonEmpty, backend: nonEmpty,
            context: tokens, input: tokens, output: tokens,
            input_modalities: { type: 'array', uniqueItems: true, items: { enum: [...CATALOG_MODALITIES] } },
            tools: { type: 'boolean' }, reasoning: { type: 'boolean' }, temperature: { type: 'boolean' }, interleaved: { type: 'boolean' },
          },
        },
      },
    }),
    frontends: {
      type: 'array',
      default: frontendIds.map((id) => ({ id, enabled: true })),
      items: {
        type: 'object', additionalProperties: false, required: ['id'],
        properties: { id: { enum: [...frontendIds] }, enabled: bool(true) },
      },
    },
    backends: {
      type: 'array', default: [],
      // Rows are checked against their kind's schema in a second pass (load-config.ts).
      items: { type: 'object', required: ['kind'], properties: { kind: str } },
    },
    features: {
      type: 'array', default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['id'],
        properties: { id: nonEmpty, enabled: bool(true), order: { type: 'integer', minimum: 0 }, config: { type: 'object', default: {} } },
      },
    },
  },
  };
}

/**
 * The keys of a section of a loaded config (`path`: `['routing', 'circuit_breaker']`) whose
 * value is not the one the schema fills in when the key is left out (durations and sizes
 * converted): what the file set there, as far as a loaded config tells (a key written with its
 * default value is not told apart). For the warnings about settings that take no effect.
 */
export function settingsSet(path: readonly string[], section: Readonly<Record<string, unknown>>): string[] {
  let schema = configSchema([]);
  for (const key of path) schema = (schema.properties as Record<string, Schema>)[key]!;
  return Object.entries(schema.properties as Record<string, Schema>).filter(([key, property]) => !isDeepStrictEqual(section[key], defaultOf(property))).map(([key]) => key);
}

/** What the loader fills in for a key the file leaves out (undefined: nothing). */
function defaultOf(property: Schema): unknown {
  if (property.properties) {
    return Object.fromEntries(Object.entries(property.properties as Record<string, Schema>).map(([key, p]) => [key, defaultOf(p)]).filter(([, value]) => value !== undefined));
  }
  if (property.default === undefined) return undefined;
  if (property.lipDuration) return parseDuration(String(property.default));
  if (property.lipSize) return parseSize(property.default as string | number);
  return property.default;
}

/** Keys every backend row may carry, whatever its kind (CONTRACT sections 3 and 6). */
export const backendCommonProperties: Record<string, Schema> = {
  id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  kind: str,
  enabled: bool(true),
  base_url: { type: 'string', lipUrl: ['http', 'https'] },
  api_key: str,
  api_keys: { type: 'array', items: str },
  api_key_env: envName,
  models: { type: 'array', items: nonEmpty, default: [] },
  headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
};

/**
 * Builds the full schema of a backend row from its kind's own properties and required keys; a
 * kind that presents lip's identity upstream takes an `identity` override (absent carriers
 * inherit `identity.upstream`), with the app attribution carriers only when it sends them.
 */
export function backendRowSchema(kindProperties: Record<string, Schema>, required: readonly string[] = [], identity?: { readonly attribution?: unknown }): Schema {
  const carriers: Record<string, Schema> = identity === undefined ? {} : { user_agent: identityField(UPSTREAM_MODES, false) };
  if (identity?.attribution !== undefined) {
    carriers.app_url = identityField(UPSTREAM_MODES, false);
    carriers.app_title = identityField(UPSTREAM_MODES, false);
  }
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind', ...required],
    properties: {
      ...backendCommonProperties, ...kindProperties,
      ...(identity === undefined ? {} : { identity: { type: 'object', additionalProperties: false, properties: carriers } }),
    },
  };
}

/**
 * `access.geoip`, validated on its own (load-config.ts) and compiled only when a file has the
 * section: compiled at every start, its generated validator added 1.5-2.4 MiB to the idle RSS of
 * every lip, with the section or without it (docs/benchmarks.md).
 */
export const GEOIP_SCHEMA: Schema = { type: 'object', additionalProperties: false, properties: {
  enabled: bool(false),
  order: { enum: ['deny_allow', 'allow_deny'] },
  deny: section({ countries: countryList, cidrs: cidrList }),
  allow: section({ countries: countryList, cidrs: cidrList }),
  client_ip: section({
    source: { enum: ['direct', 'x_forwarded_for', 'forwarded'], default: 'direct' },
    trusted_proxies: cidrList,
  }),
  database: section({
    source: { enum: ['local', 'managed'], default: 'local' },
    local_path: nonEmpty,
    // managed only (their defaults are applied where the database is downloaded)
    url: { type: 'string', pattern: '^https?://[^\\s]+$', lipHint: 'must be an http(s) URL (it may hold {YYYY} and {MM})' },
    update_interval: duration(),
    fetch_timeout: duration(),
    max_bytes: size(),
  }),
} };

/** What `access.geoip` is when the file does not have it. */
export function geoipOff(): Record<string, unknown> {
  return { enabled: false, deny: { countries: [], cidrs: [] }, allow: { countries: [], cidrs: [] }, client_ip: { source: 'direct', trusted_proxies: [] }, database: { source: 'local' } };
}
