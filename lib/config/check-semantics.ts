import { isIP } from 'node:net';
import { checkAccess, type AccessSettings } from './check-access.js';
import { checkIdentity } from './check-identity.js';
import { checkNotImplemented } from './not-implemented.js';
import { FORM_OVERHEAD } from '../wire/form-data.js';
import type { BackendKindInfo, FeatureKindInfo } from './types.js';

/** The least `server.max_buffered_bytes`: one socket buffer's worth of a stream waiting unsent is normal. */
const MIN_BUFFERED_BYTES = 64 * 1024;
/** The shortest catalog refresh interval: the source is a shared public file, not an API to poll. */
const MIN_CATALOG_REFRESH_MS = 60_000;

type Segment = string | number;
type Report = (path: readonly Segment[], message: string, key?: string) => void;
type Row = Record<string, unknown>;

interface SemanticOptions {
  readonly backendKinds: Readonly<Record<string, BackendKindInfo>>;
  readonly featureKinds?: Readonly<Record<string, FeatureKindInfo>>;
  readonly frontendIds: readonly string[];
  readonly checkSelector?: (selector: string, backendIds: ReadonlySet<string>, context?: { readonly defaultRoute?: boolean; readonly aliases?: readonly { pattern: string; replacement: string }[]; readonly alias?: boolean; readonly feature?: boolean }) => string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly protocolPaths?: readonly string[];
}

const MIN_KEY_CODE_POINTS = 16;
/** A resume-token HMAC key: as long as the SHA-256 output it keys. */
const MIN_RESUME_KEY_CODE_POINTS = 32;

/**
 * Rules a schema cannot express: unique ids, secrets that resolve, auth required where the
 * listener is reachable by others, a default route (and each selector a feature's config names)
 * that names a real backend, compilable alias patterns. Mutates `root`: resolves `*_env` secrets and derives `routing.default_route`.
 */
export function checkSemantics(root: Row, options: SemanticOptions, report: Report): void {
  const routing = root.routing as Row;
  const backends = root.backends as Row[];
  const auth = root.auth as { api_keys: Row[] };
  const diagnostics = root.diagnostics as Row;

  checkGeoip((root.access as Row).geoip as Row, report);

  // Backends: unique ids; at least one enabled.
  const seen = new Map<string, number>();
  backends.forEach((row, i) => {
    const id = String(row.id);
    const first = seen.get(id);
    if (first !== undefined) report(['backends', i, 'id'], `duplicate backend id "${id}" (first used by backends[${first}])`);
    else seen.set(id, i);
    const problem = options.backendKinds[String(row.kind)]?.checkRow?.(row);
    if (problem) report(['backends', i], problem.message, problem.key);
  });
  const enabled = backends.filter((row) => row.enabled !== false);
  const enabledIds = new Set(enabled.map((row) => String(row.id)));
  if (enabled.length === 0) report(['backends'], 'no backend is enabled; configure at least one (for example kind: localstub)');

  // Frontends: unique, at least one enabled.
  const frontends = root.frontends as Row[];
  const frontendSeen = new Set<string>();
  frontends.forEach((row, i) => {
    if (frontendSeen.has(String(row.id))) report(['frontends', i, 'id'], `duplicate frontend id "${String(row.id)}"`);
    frontendSeen.add(String(row.id));
  });
  if (!frontends.some((row) => row.enabled !== false)) {
    // A list replaces the default (every frontend on): one written to turn a frontend off turns
    // off every frontend it does not name.
    const unnamed = options.frontendIds.filter((id) => !frontendSeen.has(id));
    const names = unnamed.length > 1 ? `${unnamed.slice(0, -1).join(', ')} and ${unnamed.at(-1)}` : unnamed[0];
    report(['frontends'], `no frontend is enabled${names === undefined ? '' : `: a frontends list replaces the default (every frontend on), so ${names}, which it does not name, ${unnamed.length > 1 ? 'are' : 'is'} off too; list each frontend to serve`}`);
  }

  // Features: each id at most once (known ids and their configs are checked by the loader).
  const featureSeen = new Map<string, number>();
  (root.features as Row[]).forEach((row, i) => {
    const first = featureSeen.get(String(row.id));
    if (first !== undefined) report(['features', i, 'id'], `duplicate feature "${String(row.id)}" (first used by features[${first}])`);
    else featureSeen.set(String(row.id), i);
  });

  // Auth keys: resolved, long enough, unique.
  const keyOwners = new Map<string, string>();
  const keyIds = new Set<string>();
  auth.api_keys.forEach((row, i) => {
    const path = ['auth', 'api_keys', i];
    if (keyIds.has(String(row.id))) report([...path, 'id'], `duplicate key id "${String(row.id)}"`);
    keyIds.add(String(row.id));
    // Trimmed before the checks: the trimmed key is the one kept and matched.
    const key = resolveSecret(row, 'key', path, options.env, report, true)?.trim();
    if (key === undefined) return;
    if ([...key].length < MIN_KEY_CODE_POINTS) report([...path, row.key_env ? 'key_env' : 'key'], `an API key must have at least ${MIN_KEY_CODE_POINTS} characters`);
    const owner = keyOwners.get(key);
    if (owner !== undefined) report(path, `reuses the key of "${owner}"`);
    keyOwners.set(key, String(row.id));
    row.key = key;
    delete row.key_env;
    row.principal ??= row.id;
  });
  const server = root.server as Row;
  // `connections_per_origin: 0` is the CONTRACT's "unlimited": kept as the absent key, so that
  // the runtime (and a reload's comparison) sees one spelling of "no cap".
  const httpClient = root.http_client as Row;
  if (httpClient.connections_per_origin === 0) delete httpClient.connections_per_origin;
  if (Number(httpClient.queue_timeout) <= 0) {
    report(['http_client', 'queue_timeout'], 'must be more than 0ms: it is how long a request waits for one of connections_per_origin before routing moves on (set a long one, 10m say, to wait longer)');
  }
  if (Number(server.max_inflight_decode_bytes) < Number(server.max_request_body_bytes)) {
    report(['server', 'max_inflight_decode_bytes'], `must be at least server.max_request_body_bytes (${String(server.max_request_body_bytes)} bytes), or no body of the allowed size could be decoded`);
  }
  // A principal's share of the running batches: one key (or principal) never holds every slot.
  const maxBatches = Number(server.max_running_batches);
  if (server.max_running_batches_per_principal === undefined) {
    const principals = new Set(auth.api_keys.map((row) => String(row.principal ?? row.id)));
    server.max_running_batches_per_principal = principals.size > 1 ? Math.ceil(maxBatches / 2) : maxBatches;
  } else if (Number(server.max_running_batches_per_principal) > maxBatches) {
    report(['server', 'max_running_batches_per_principal'], `must not exceed server.max_running_batches (${maxBatches}): a principal cannot run more batches than the server`);
  }
  // A batch create or a file upload is read within the same budget (an upload with its form's 64 KiB).
  const batchBody = Number(server.max_batch_body_bytes) + FORM_OVERHEAD;
  if (Number(server.max_inflight_decode_bytes) < batchBody) {
    report(['server', 'max_inflight_decode_bytes'], `must be at least server.max_batch_body_bytes plus 64 KiB for an upload's form (${batchBody} bytes), or no batch create or file upload of the allowed size could be decoded (each would be refused)`);
  }
  if (Number(server.max_buffered_bytes) < MIN_BUFFERED_BYTES) {
    report(['server', 'max_buffered_bytes'], `must be at least 64KiB (got ${String(server.max_buffered_bytes)} bytes): a stream is aborted once this much waits unsent, so a smaller value would end streams that a client reads at a normal pace`);
  }

  // Diagnostics secret (resolved here; its rules are access rules). Trimmed like a key: a
  // secret file's trailing newline would never match the header (HTTP trims its value).
  const secret = resolveSecret(diagnostics, 'shared_secret', ['diagnostics'], options.env, report, false)?.trim();
  if (secret !== undefined) {
    diagnostics.shared_secret = secret;
    delete diagnostics.shared_secret_env;
  }

  checkNotImplemented(root, report);
  checkIdentity(root, (kind) => options.backendKinds[kind]?.identity?.attribution, report);

  // Access: the mode, the listener, the operator surfaces (the same rules run on the final
  // settings in lip serve and on every reload).
  const localKinds = new Set(Object.entries(options.backendKinds).filter(([, info]) => info.local === true).map(([kind]) => kind));
  for (const p of checkAccess(root as unknown as AccessSettings, { localKinds, ...(options.protocolPaths ? { protocolPaths: options.protocolPaths } : {}) })) report(p.path, p.message, p.key);

  // Pricing: rows name configured backends; one row per backend and model.
  const priced = new Map<string, number>();
  ((root.pricing as Row[] | undefined) ?? []).forEach((row, i) => {
    if (!seen.has(String(row.backend))) report(['pricing', i, 'backend'], `no backend "${String(row.backend)}" is configured`);
    const key = `${String(row.backend)}:${row.model === undefined ? '*' : String(row.model)}`;
    const first = priced.get(key);
    if (first !== undefined) report(['pricing', i], `duplicate price for ${row.model === undefined ? `backend "${String(row.backend)}"` : `"${String(row.backend)}" model "${String(row.model)}"`} (first given by pricing[${first}])`);
    else priced.set(key, i);
  });

  // Budgets in money need prices: without any, every attempt's cost is unknown and the budget never binds
  // (a catalog prices only when it is on).
  const catalogPrices = (root.model_catalog as Row | undefined)?.enabled === true && (root.model_catalog as Row).prices === true;
  const anyPrice = priced.size > 0 || catalogPrices;
  (((root.auth as Row | undefined)?.api_keys as Row[] | undefined) ?? []).forEach((key, i) => {
    const budget = key.budget as Row | undefined;
    if (budget !== undefined && budget.max_cost === undefined && budget.max_tokens === undefined) report(['auth', 'api_keys', i, 'budget'], 'sets no limit: give max_cost, max_tokens or both');
    if (budget?.max_cost !== undefined && !anyPrice) report(['auth', 'api_keys', i, 'budget', 'max_cost'], 'nothing is priced, so no attempt has a cost to count: add pricing rows (or turn on model_catalog with prices: true), or budget in max_tokens');
    // An allow pattern names a configured backend (or `*` some): a typo would lock the key out silently.
    ((key.allow as string[] | undefined) ?? []).forEach((pattern, j) => {
      const backend = pattern.includes(':') ? pattern.slice(0, pattern.indexOf(':')) : pattern;
      if (!backend.includes('*') && !seen.has(backend)) report(['auth', 'api_keys', i, 'allow', j], `names no configured backend "${backend}" (a pattern is backend:model, * for any run of characters)`);
    });
  });

  // The response cache: an answer kept for less than a second would never be asked for again.
  const cache = root.cache as Row;
  if (Number(cache.ttl) < 1_000) report(['cache', 'ttl'], `must be at least 1s (got ${String(cache.ttl)} ms)`);
  if (Number(cache.max_entry_bytes) > Number(cache.max_bytes)) report(['cache', 'max_entry_bytes'], `must not exceed cache.max_bytes (${String(cache.max_bytes)} bytes): no answer that large could be kept`);

  // Model catalog: a snapshot path when on; rows and mappings name configured backends.
  const catalog = root.model_catalog as Row;
  if (catalog.enabled === true && catalog.path === undefined) report(['model_catalog'], 'path is required when the catalog is enabled (the models.dev snapshot lip reads, and writes refreshes to)', 'path');
  if (catalog.source_url !== undefined && Number(catalog.refresh_interval) < MIN_CATALOG_REFRESH_MS) report(['model_catalog', 'refresh_interval'], `must be at least 1m (got ${String(catalog.refresh_interval)} ms)`);
  for (const id of Object.keys(catalog.backends as Row)) {
    if (!seen.has(id)) report(['model_catalog', 'backends', id], `no backend "${id}" is configured`);
  }
  const stated = new Map<string, number>();
  (catalog.overrides as Row[]).forEach((row, i) => {
    if (row.backend !== undefined && !seen.has(String(row.backend))) report(['model_catalog', 'overrides', i, 'backend'], `no backend "${String(row.backend)}" is configured`);
    const key = `${row.backend === undefined ? '*' : String(row.backend)}\u0000${String(row.model)}`;
    const first = stated.get(key);
    if (first !== undefined) report(['model_catalog', 'overrides', i], `duplicate override for ${row.backend === undefined ? '' : `backend "${String(row.backend)}" `}model "${String(row.model)}" (first given by overrides[${first}])`);
    else stated.set(key, i);
    if (Object.keys(row).every((k) => k === 'model' || k === 'backend')) report(['model_catalog', 'overrides', i], 'states no fact (context, input, output, input_modalities, tools, reasoning, temperature, interleaved)');
    if (row.input !== undefined && row.context !== undefined && Number(row.input) > Number(row.context)) report(['model_catalog', 'overrides', i, 'input'], `must not exceed context (${String(row.context)}): the input limit is part of the context window`);
  });

  // Continuity: a configured resume-token key is long enough to be a key.
  const continuity = root.continuity as Row;
  const tokenKey = resolveSecret(continuity, 'resume_token_key', ['continuity'], options.env, report, false);
  if (tokenKey !== undefined) {
    if ([...tokenKey].length < MIN_RESUME_KEY_CODE_POINTS) report(['continuity'], `resume_token_key must have at least ${MIN_RESUME_KEY_CODE_POINTS} characters`, 'resume_token_key');
    continuity.resume_token_key = tokenKey;
    delete continuity.resume_token_key_env;
  }

  // Aliases: patterns must compile; replacements must be selectors over known backends, short
  // enough for a request (what a request's model becomes is held to the request limit).
  (root.model_aliases as Row[]).forEach((row, i) => {
    try {
      new RegExp(String(row.pattern));
    } catch (err) {
      report(['model_aliases', i, 'pattern'], `invalid regular expression: ${(err as Error).message}`);
    }
    const problem = options.checkSelector?.(String(row.replacement).replace(/\$(\d+|<[^>]+>|\{\d+\})/g, 'x'), enabledIds, { alias: true });
    if (problem) report(['model_aliases', i, 'replacement'], problem);
  });

  // Default route: configured, or derived from the first enabled backend.
  if (routing.default_route === undefined && enabled.length > 0) {
    const row = enabled[0]!;
    const models = row.models as string[];
    const model = models[0] ?? options.backendKinds[String(row.kind)]?.defaultModel ?? 'default';
    routing.default_route = `${String(row.id)}:${model}`;
    routing.default_route_derived = true;
  } else if (routing.default_route !== undefined) {
    const problem = options.checkSelector?.(String(routing.default_route), enabledIds, { defaultRoute: true, aliases: root.model_aliases as { pattern: string; replacement: string }[] });
    if (problem) report(['routing', 'default_route'], problem);
  }

  // The selectors in an enabled feature's config (a judge's route, an extractor's) are sent as a
  // request's model: held to the default route's rules, so that a typo is refused here instead
  // of failing every call, or running the default route, at every request. A backend id it
  // names (a rule's) is a configured backend's, as a pricing row's is.
  (root.features as Row[]).forEach((row, i) => {
    if (row.enabled === false) return;
    for (const reference of options.featureKinds?.[String(row.id)]?.references?.(row.config as never) ?? []) {
      const path = ['features', i, 'config', ...reference.path];
      if ('backend' in reference) {
        if (!seen.has(reference.backend)) report(path, `no backend "${reference.backend}" is configured`);
        continue;
      }
      const problem = options.checkSelector?.(reference.selector, enabledIds, { feature: true, aliases: root.model_aliases as { pattern: string; replacement: string }[] });
      if (problem) report(path, problem);
    }
  });
}

/** `name` inline or `name_env` from the environment (exactly one); undefined when absent. */
function resolveSecret(row: Row, name: string, path: readonly Segment[], env: NodeJS.ProcessEnv, report: Report, required: boolean): string | undefined {
  const inline = row[name];
  const envName = row[`${name}_env`];
  if (inline !== undefined && envName !== undefined) {
    report(path, `give either ${name} or ${name}_env, not both`, `${name}_env`);
    return undefined;
  }
  if (envName !== undefined) {
    const value = env[String(envName)];
    if (value === undefined || value.trim() === '') {
      report(path, `environment variable ${String(envName)} is not set`, `${name}_env`);
      return undefined;
    }
    return value;
  }
  if (inline === undefined && required) report(path, `needs ${name} or ${name}_env`);
  return inline === undefined ? undefined : String(inline);
}

/**
 * `access.geoip`: every address or prefix parses, what the policy needs is there (an order, a
 * database for countries, trusted proxies for a forwarded source) and nothing it would ignore
 * (managed-only database keys, trusted proxies for a direct source). Nothing is opened here (the
 * database is read when the server starts).
 */
function checkGeoip(geoip: Row, report: Report): void {
  const lists: [string, string][] = [['deny', 'cidrs'], ['allow', 'cidrs'], ['client_ip', 'trusted_proxies']];
  for (const [group, key] of lists) {
    ((geoip[group] as Row)[key] as string[]).forEach((entry, i) => {
      const problem = cidrProblem(entry);
      if (problem) report(['access', 'geoip', group, key, i], problem);
    });
  }
  const database = geoip.database as Row;
  if (database.source === 'managed') {
    if (database.local_path === undefined) report(['access', 'geoip', 'database'], 'source managed needs local_path: the file the downloaded database is kept in (read at start, replaced by each accepted download)', 'source');
    const hours = 3_600_000;
    if (typeof database.update_interval === 'number' && (database.update_interval < 6 * hours || database.update_interval > 168 * hours)) report(['access', 'geoip', 'database', 'update_interval'], 'must be between 6h and 168h');
    if (typeof database.fetch_timeout === 'number' && (database.fetch_timeout <= 0 || database.fetch_timeout > 10 * 60_000)) report(['access', 'geoip', 'database', 'fetch_timeout'], 'must be more than 0 and at most 10m');
    if (typeof database.max_bytes === 'number' && (database.max_bytes < 1_024 || database.max_bytes > 512 * 1_048_576)) report(['access', 'geoip', 'database', 'max_bytes'], 'must be between 1KiB and 512MiB');
  } else {
    for (const key of ['url', 'update_interval', 'fetch_timeout', 'max_bytes']) {
      if (database[key] !== undefined) report(['access', 'geoip', 'database', key], `applies to source: managed only (source: local reads local_path and downloads nothing)`);
    }
  }
  const clientIp = geoip.client_ip as Row;
  if (clientIp.source === 'direct' && (clientIp.trusted_proxies as string[]).length > 0) {
    report(['access', 'geoip', 'client_ip', 'trusted_proxies'], 'source direct judges the connection\'s peer and reads no forwarding header, so no proxy is trusted: remove trusted_proxies, or set source: x_forwarded_for or forwarded behind them');
  }
  if (geoip.enabled !== true) return;
  if (geoip.order === undefined) report(['access', 'geoip'], 'order is required when geoip is enabled: deny_allow (allowed unless denied; an allow match wins) or allow_deny (denied unless allowed; a deny match wins)', 'enabled');
  const countries = [...((geoip.deny as Row).countries as string[]), ...((geoip.allow as Row).countries as string[])];
  if (countries.length > 0 && database.local_path === undefined && database.source !== 'managed') report(['access', 'geoip', 'database'], 'countries need a country database: set database.local_path to an MMDB file (DB-IP Lite Country or MaxMind GeoLite2 Country)');
  if (clientIp.source !== 'direct' && (clientIp.trusted_proxies as string[]).length === 0) report(['access', 'geoip', 'client_ip'], `source ${String(clientIp.source)} needs trusted_proxies: the proxies whose forwarding header is believed (without them, anyone could name any address)`, 'source');
}

/** Why an `access.geoip` entry is not an IP address or CIDR prefix, or undefined. */
export function cidrProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `"${entry}" is not an IP address or CIDR prefix (hostnames are not accepted)`;
  if (slash < 0) return undefined;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}": the prefix length must be 0 to ${max}`;
  return undefined;
}
