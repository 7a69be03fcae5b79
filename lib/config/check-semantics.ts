import type { BackendKindInfo } from './types.js';

type Segment = string | number;
type Report = (path: readonly Segment[], message: string, key?: string) => void;
type Row = Record<string, unknown>;

interface SemanticOptions {
  readonly backendKinds: Readonly<Record<string, BackendKindInfo>>;
  readonly checkSelector?: (selector: string, backendIds: ReadonlySet<string>, context?: { readonly defaultRoute?: boolean; readonly aliases?: readonly { pattern: string; replacement: string }[] }) => string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

const MIN_KEY_CODE_POINTS = 16;
const MIN_SECRET_CODE_POINTS = 12;

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Rules a schema cannot express: unique ids, secrets that resolve, auth required where the
 * listener is reachable by others, a default route that names a real backend, compilable alias
 * patterns. Mutates `root`: resolves `*_env` secrets and derives `routing.default_route`.
 */
export function checkSemantics(root: Row, options: SemanticOptions, report: Report): void {
  const server = root.server as Row;
  const routing = root.routing as Row;
  const backends = root.backends as Row[];
  const auth = root.auth as { api_keys: Row[] };
  const diagnostics = root.diagnostics as Row;
  const loopback = isLoopbackHost(String(server.host));

  // Backends: unique ids; at least one enabled.
  const seen = new Map<string, number>();
  backends.forEach((row, i) => {
    const id = String(row.id);
    const first = seen.get(id);
    if (first !== undefined) report(['backends', i, 'id'], `duplicate backend id "${id}" (first used by backends[${first}])`);
    else seen.set(id, i);
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
  if (!frontends.some((row) => row.enabled !== false)) report(['frontends'], 'no frontend is enabled');

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
    const key = resolveSecret(row, 'key', path, options.env, report, true);
    if (key === undefined) return;
    if ([...key.trim()].length < MIN_KEY_CODE_POINTS) report([...path, row.key_env ? 'key_env' : 'key'], `an API key must have at least ${MIN_KEY_CODE_POINTS} characters`);
    const owner = keyOwners.get(key);
    if (owner !== undefined) report(path, `reuses the key of "${owner}"`);
    keyOwners.set(key, String(row.id));
    row.key = key.trim();
    delete row.key_env;
    row.principal ??= row.id;
  });
  const mode = (root.access as Row).mode;
  if (mode === 'multi_user' && auth.api_keys.length === 0) report(['access', 'mode'], 'multi_user needs auth.api_keys');
  else if (!loopback && auth.api_keys.length === 0) report(['server', 'host'], `listening on the non-loopback host "${String(server.host)}" needs auth.api_keys`);

  // Diagnostics: a shared secret beyond loopback.
  const secret = resolveSecret(diagnostics, 'shared_secret', ['diagnostics'], options.env, report, false);
  if (secret !== undefined) {
    if ([...secret].length < MIN_SECRET_CODE_POINTS) report(['diagnostics'], `shared_secret must have at least ${MIN_SECRET_CODE_POINTS} characters`, 'shared_secret');
    diagnostics.shared_secret = secret;
    delete diagnostics.shared_secret_env;
  }
  if (diagnostics.enabled === true && !loopback && secret === undefined) report(['diagnostics', 'enabled'], 'diagnostics beyond loopback need diagnostics.shared_secret');

  // Pricing: rows name configured backends; one row per backend and model.
  const priced = new Map<string, number>();
  ((root.pricing as Row[] | undefined) ?? []).forEach((row, i) => {
    if (!seen.has(String(row.backend))) report(['pricing', i, 'backend'], `no backend "${String(row.backend)}" is configured`);
    const key = `${String(row.backend)}:${row.model === undefined ? '*' : String(row.model)}`;
    const first = priced.get(key);
    if (first !== undefined) report(['pricing', i], `duplicate price for ${row.model === undefined ? `backend "${String(row.backend)}"` : `"${String(row.backend)}" model "${String(row.model)}"`} (first given by pricing[${first}])`);
    else priced.set(key, i);
  });

  // Aliases: patterns must compile; replacements must be selectors over known backends.
  (root.model_aliases as Row[]).forEach((row, i) => {
    try {
      new RegExp(String(row.pattern));
    } catch (err) {
      report(['model_aliases', i, 'pattern'], `invalid regular expression: ${(err as Error).message}`);
    }
    const problem = options.checkSelector?.(String(row.replacement).replace(/\$(\d+|<[^>]+>|\{\d+\})/g, 'x'), enabledIds);
    if (problem) report(['model_aliases', i, 'replacement'], problem);
  });

  // Default route: configured, or derived from the first enabled backend.
  if (routing.default_route === undefined && enabled.length > 0) {
    const row = enabled[0]!;
    const models = row.models as string[];
    const model = models[0] ?? options.backendKinds[String(row.kind)]?.defaultModel ?? 'default';
    routing.default_route = `${String(row.id)}:${model}`;
  } else if (routing.default_route !== undefined) {
    const problem = options.checkSelector?.(String(routing.default_route), enabledIds, { defaultRoute: true, aliases: root.model_aliases as { pattern: string; replacement: string }[] });
    if (problem) report(['routing', 'default_route'], problem);
  }
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
