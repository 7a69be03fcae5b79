import type { BackendRow } from '../backend.js';
import { BEDROCK_FAMILIES, modelFamilies, type BedrockFamily } from './model-family.js';
import { environmentRegion, REGION_NAME } from './region.js';

/**
 * The bedrock row keys beside the common ones. Credentials come, in this order, from the row's
 * Bedrock API keys (`api_key`, `api_keys`, `api_key_env`: sent as a bearer token), the static
 * `access_key_id` + `secret_access_key` (+ `session_token`), or the default AWS chain
 * (environment, shared config and SSO, web identity, container and instance roles).
 */
export const bedrockProperties: Record<string, Record<string, unknown>> = {
  /** Absent: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (regionOf). */
  region: { type: 'string', pattern: REGION_NAME.source },
  base_endpoint: { type: 'string', lipUrl: ['http', 'https'] },
  disable_https: { type: 'boolean', default: false },
  allow_insecure_non_loopback: { type: 'boolean', default: false },
  access_key_id: { type: 'string', minLength: 1 },
  secret_access_key: { type: 'string', minLength: 1 },
  session_token: { type: 'string', minLength: 1 },
  /** Where `lip inventory --live` lists foundation models (the control plane); base_endpoint or the regional host when absent. */
  control_endpoint: { type: 'string', lipUrl: ['http', 'https'] },
  cache_enrollment: { enum: ['disabled', 'automatic'], default: 'disabled' },
  /**
   * Model ids or globs (`*`, `?`) -> the family the model is of, for the ids that do not name it
   * (application inference profiles, provisioned throughput): `{ "arn:aws:bedrock:*:*:application-inference-profile/abc*": anthropic }`.
   */
  model_families: { type: 'object', additionalProperties: { enum: [...BEDROCK_FAMILIES] } },
};

/** Where a backend's requests go, once its region is known. */
export interface BedrockPlace {
  readonly region: string;
  /** The runtime endpoint (`https://bedrock-runtime.{region}.amazonaws.com` unless `base_endpoint`). */
  readonly runtimeUrl: string;
  /** The control plane (`control_endpoint`, else `base_endpoint`, else `https://bedrock.{region}.amazonaws.com`). */
  readonly controlUrl: string;
}

/** The endpoints of `o` in `region`. */
export function bedrockPlace(o: BedrockOptions, region: string): BedrockPlace {
  return {
    region,
    runtimeUrl: o.endpoint ?? `https://bedrock-runtime.${region}.amazonaws.com`,
    controlUrl: o.controlEndpoint ?? o.endpoint ?? `https://bedrock.${region}.amazonaws.com`,
  };
}

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface BedrockOptions {
  /** The row's `region`, else the environment's (environmentRegion); undefined: us-east-1 (regionOf). */
  readonly region: string | undefined;
  /** `base_endpoint`, no trailing slash. */
  readonly endpoint?: string;
  /** `control_endpoint`, no trailing slash. */
  readonly controlEndpoint?: string;
  readonly staticCredentials?: StaticCredentials;
  readonly headers: Readonly<Record<string, string>>;
  /** `cache_enrollment: automatic`: a cache point after the last cacheable block of every call (for the models that cache). */
  readonly cacheEnrollment: boolean;
  /** The family of a model: the row's `model_families` first (compiled here, once), else what the id names (modelFamilies). */
  readonly familyOf: (model: string) => BedrockFamily;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Row rules a schema cannot say: no `base_url` (a common row key, which this kind would ignore,
 * sending the traffic to AWS: its endpoint is `base_endpoint`), plain HTTP only towards a loopback
 * `base_endpoint` (unless explicitly allowed, which takes `disable_https`), static keys as a
 * complete pair, no lone session token, no empty `model_families` pattern (it would match no model).
 */
export function checkBedrockRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.base_url !== undefined) return { key: 'base_url', message: 'a bedrock row takes no base_url: set base_endpoint (the Bedrock Runtime endpoint) instead' };
  const endpoint = typeof row.base_endpoint === 'string' ? row.base_endpoint : undefined;
  if (row.disable_https === true) {
    if (!endpoint) return { key: 'disable_https', message: 'disable_https needs a base_endpoint' };
    if (!isLoopback(endpoint) && row.allow_insecure_non_loopback !== true) return { key: 'disable_https', message: 'disable_https is only allowed for a loopback base_endpoint (or set allow_insecure_non_loopback: true)' };
  } else if (row.allow_insecure_non_loopback === true) {
    return { key: 'allow_insecure_non_loopback', message: 'only lets disable_https reach a base_endpoint that is not loopback, and disable_https is false: set both for plain HTTP to a remote endpoint, or remove it' };
  }
  for (const [key, url] of [['base_endpoint', endpoint], ['control_endpoint', row.control_endpoint]] as const) {
    if (typeof url === 'string' && url.startsWith('http://') && row.disable_https !== true) return { key, message: `${key} uses http://: set disable_https: true (loopback only) or use https://` };
  }
  const id = row.access_key_id !== undefined;
  const secret = row.secret_access_key !== undefined;
  if (id !== secret) return { key: id ? 'secret_access_key' : 'access_key_id', message: 'static AWS credentials need both access_key_id and secret_access_key' };
  if (row.session_token !== undefined && !id) return { key: 'session_token', message: 'session_token needs access_key_id and secret_access_key' };
  if (id && (row.api_key !== undefined || row.api_keys !== undefined || row.api_key_env !== undefined)) {
    return { key: 'access_key_id', message: 'give either static AWS credentials or Bedrock API keys (api_key / api_keys / api_key_env), not both' };
  }
  const families = row.model_families as Readonly<Record<string, unknown>> | undefined;
  if (families !== undefined && Object.hasOwn(families, '')) return { key: 'model_families', message: 'a pattern is empty and would match no model: write a model id or a glob (`*` any run of characters, `?` one)' };
  return undefined;
}

/** The row's options; `env` gives the region of a row without one (environmentRegion). */
export function bedrockOptions(row: BackendRow, env: NodeJS.ProcessEnv = {}): BedrockOptions {
  const endpoint = typeof row.base_endpoint === 'string' ? row.base_endpoint.replace(/\/+$/, '') : undefined;
  const control = typeof row.control_endpoint === 'string' ? row.control_endpoint.replace(/\/+$/, '') : undefined;
  return {
    region: typeof row.region === 'string' ? row.region : environmentRegion(env),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(control !== undefined ? { controlEndpoint: control } : {}),
    ...(typeof row.access_key_id === 'string' && typeof row.secret_access_key === 'string' ? {
      staticCredentials: {
        accessKeyId: row.access_key_id, secretAccessKey: row.secret_access_key,
        ...(typeof row.session_token === 'string' ? { sessionToken: row.session_token } : {}),
      },
    } : {}),
    headers: (row.headers as Record<string, string> | undefined) ?? {},
    cacheEnrollment: row.cache_enrollment === 'automatic',
    familyOf: modelFamilies(row.model_families as Readonly<Record<string, BedrockFamily>> | undefined),
  };
}
