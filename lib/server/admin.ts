import type { IncomingMessage, ServerResponse } from 'node:http';
import { inventory } from '../core/inventory.js';
import { catalogDiagnostics } from '../core/model-catalog/index.js';
import type { ApiKeyConfig } from '../config/index.js';
import type { Runtime } from '../core/runtime.js';
import { isLipError, LipError } from '../errors/index.js';
import type { UsageQuery } from '../continuity/index.js';
import { parseDuration } from '../config/units.js';
import type { RequestTarget } from '../wire/index.js';
import type { Authenticator } from './auth.js';
import type { ConfigControl } from './config-control.js';
import type { KeyBudgets } from './key-budgets.js';
import { guardOperator, type Viewer } from './operator-guard.js';
import { sendJson } from './send.js';

/** What the server keeps per API key beyond the runtime: its budgets, and a view of its per-minute limits. */
export interface KeySpending {
  readonly budgets: KeyBudgets;
  /** `GET /admin/limits`: what these keys use of their per-minute limits now. */
  limits(keys: readonly ApiKeyConfig[]): Promise<unknown>;
}

/**
 * A worker of `lip serve --workers` with `cache.store: memory`: every worker's response cache,
 * reached through the primary (WorkerLink). Each worker keeps its own, so the endpoints answer
 * for all of them.
 */
export interface ClusterCache {
  /** Clears every worker's cache: the sum, and each worker's count. Rejects when a worker could not be cleared. */
  clear(): Promise<{ cleared: number; workers: unknown[] }>;
  /** The settings, the sums over every worker, and each worker's own entries and bytes. */
  status(): Promise<Record<string, unknown>>;
}

type Endpoint = (runtime: Runtime, url: RequestTarget, viewer: Viewer, control?: ConfigControl, spending?: KeySpending, cache?: ClusterCache) => unknown;

/** Without a reload function (a server embedded without `lip serve`), the config endpoints are absent. */
const noControl = (path: string) => new LipError('LIP_ERR_HTTP_NOT_FOUND', `${path} is served by lip serve only`);

/** Whose A-leg it is: a principal-scoped viewer sees its own only (others look unknown). */
async function ownALeg(runtime: Runtime, url: RequestTarget, viewer: Viewer, path: string): Promise<string | LipError> {
  const aLegId = url.searchParams.get('a_leg_id');
  if (!aLegId) return new LipError('LIP_ERR_REQUEST_INVALID', `a_leg_id: the query parameter is required (GET ${path}?a_leg_id=...)`, { param: 'a_leg_id' });
  if (viewer.principal !== undefined && !(await runtime.continuity.describeALeg(aLegId, viewer.principal))) {
    return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
  }
  return aLegId;
}

/**
 * Diagnostics endpoints: path (under `/admin`, mounted at `diagnostics.admin_path`) -> what
 * they answer (a LipError answers with its status). `viewer.principal` is set when the caller
 * may see one principal's data only (SCOPED_ADMIN_PATHS); other endpoints are operator-only.
 */
export const ADMIN_ENDPOINTS = {
  '/admin/routes': (runtime: Runtime) => ({ routes: runtime.executor.routes.json() }),
  '/admin/circuits': (runtime: Runtime) => ({ circuits: runtime.breaker.snapshot() }),
  '/admin/keys': (runtime: Runtime) => ({
    backends: [...runtime.backends.values()].flatMap((b) => {
      const pool = b.keyPool?.();
      return pool === undefined || pool.keys === 0 ? [] : [{ backend: b.id, ...pool }];
    }),
  }),
  '/admin/inventory': (runtime: Runtime) => inventory(runtime.config, runtime.extensions?.occupancy()),
  '/admin/attempts': async (runtime: Runtime, url: RequestTarget, viewer: Viewer) => {
    const aLegId = await ownALeg(runtime, url, viewer, '/admin/attempts');
    if (aLegId instanceof LipError) return aLegId;
    const attempts = await runtime.continuity.attempts(aLegId, viewer.principal);
    if (!attempts) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
    return { a_leg_id: aLegId, attempts };
  },
  '/admin/usage': async (runtime: Runtime, url: RequestTarget, viewer: Viewer) => {
    const asked = usageQuery(url.searchParams);
    if (asked instanceof LipError) return asked;
    // A principal-scoped viewer sums its own attempts only, whatever it asked for.
    const query: UsageQuery = viewer.principal !== undefined ? { ...asked, principal: viewer.principal } : asked;
    const { groups, other } = await runtime.continuity.usage(query);
    return {
      group_by: query.groupBy, ...(query.principal !== undefined ? { principal: query.principal } : {}),
      since: query.since === undefined ? null : new Date(query.since).toISOString(), store: runtime.continuity.kind, limit: query.limit, groups, other,
    };
  },
  '/admin/transcript': async (runtime: Runtime, url: RequestTarget, viewer: Viewer) => {
    // The raw capture is unredacted (what the redactors were to hide): the operator's only.
    if (viewer.principal !== undefined && url.searchParams.get('raw') === '1') {
      return new LipError('LIP_ERR_ADMIN_FORBIDDEN', 'raw=1: the raw capture is unredacted and needs the diagnostics secret in X-LIP-Diagnostics-Secret; a client key reads its own transcript redacted', { param: 'raw' });
    }
    const aLegId = await ownALeg(runtime, url, viewer, '/admin/transcript');
    if (aLegId instanceof LipError) return aLegId;
    return runtime.extensions?.diagnostics('ref-traffic-transcript', url.searchParams)
      ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/transcript needs the ref-traffic-transcript feature');
  },
  /** Counts and posture only: never a turn's reasoning, anchors or scopes. */
  '/admin/reasoning-preservation': (runtime: Runtime, url: RequestTarget) => runtime.extensions?.diagnostics('reasoning-output-preservation', url.searchParams)
    ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/reasoning-preservation needs the reasoning-output-preservation feature (on unless a row turns it off)'),
  /** Counts, bounds and the extractor's posture only: never a capsule, a branch key or a transcript. */
  '/admin/compaction-continuity': (runtime: Runtime, url: RequestTarget) => runtime.extensions?.diagnostics('compaction-continuity', url.searchParams)
    ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/compaction-continuity needs the compaction-continuity feature (enabled: true)'),
  /** The static workspace view of ref-workspace-guard (what a workspace resolver would hand the other stages). */
  '/admin/workspace': (runtime: Runtime, url: RequestTarget) => runtime.extensions?.diagnostics('ref-workspace-guard', url.searchParams)
    ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/workspace needs the ref-workspace-guard feature'),
  /** The snapshot's state; with `?model=` (and `&backend=`), the facts its candidates resolve to. */
  '/admin/model-catalog': (runtime: Runtime, url: RequestTarget) => {
    if (!runtime.catalog) return new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/model-catalog needs model_catalog.enabled: true');
    try {
      return catalogDiagnostics(runtime.catalog, url.searchParams, (model) => runtime.executor.candidates(model));
    } catch (err) {
      if (isLipError(err)) return err; // a model routing refuses (an unknown backend in a selector)
      throw err;
    }
  },
  /** Fetches `model_catalog.source_url` now (a refresh under way is joined) and answers the outcome. */
  '/admin/model-catalog/refresh': async (runtime: Runtime) => {
    if (!runtime.catalog) return new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/model-catalog/refresh needs model_catalog.enabled: true');
    if (runtime.config.model_catalog.source_url === undefined) return new LipError('LIP_ERR_REQUEST_INVALID', 'model_catalog.source_url is not set: there is nothing to refresh from');
    const outcome = await runtime.catalog.source.refresh();
    return { outcome, ...runtime.catalog.source.status() };
  },
  /** The response cache's settings and, in memory, what it holds (under --workers, every worker's). */
  '/admin/cache': async (runtime: Runtime, _url: RequestTarget, _viewer: Viewer, _control?: ConfigControl, _spending?: KeySpending, cluster?: ClusterCache) => {
    if (!runtime.cache) return new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/cache needs cache.enabled: true');
    if (!cluster || runtime.config.cache.store !== 'memory') return runtime.cache.status();
    try {
      return await cluster.status();
    } catch (err) {
      return new LipError('LIP_ERR_CACHE_UNAVAILABLE', `the workers' response caches could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
  /** Forgets every kept answer (with Redis, every instance's; in memory under --workers, every worker's). */
  '/admin/cache/clear': async (runtime: Runtime, _url: RequestTarget, _viewer: Viewer, _control?: ConfigControl, _spending?: KeySpending, cluster?: ClusterCache) => {
    if (!runtime.cache) return new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/cache/clear needs cache.enabled: true');
    try {
      return cluster && runtime.config.cache.store === 'memory' ? await cluster.clear() : { cleared: await runtime.cache.store.clear() };
    } catch (err) {
      return new LipError('LIP_ERR_CACHE_UNAVAILABLE', `the response cache could not be cleared: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
  '/admin/budgets': async (runtime: Runtime, _url: RequestTarget, viewer: Viewer, _control?: ConfigControl, spending?: KeySpending) => {
    const keys = runtime.config.auth.api_keys.filter((k) => k.budget !== undefined && (viewer.principal === undefined || k.principal === viewer.principal));
    return { budgets: spending === undefined ? [] : await spending.budgets.view(keys) };
  },
  '/admin/limits': async (runtime: Runtime, _url: RequestTarget, viewer: Viewer, _control?: ConfigControl, spending?: KeySpending) => {
    const keys = runtime.config.auth.api_keys.filter((k) => viewer.principal === undefined || k.principal === viewer.principal);
    return spending === undefined ? { store: runtime.config.auth.limits_store, limits: [] } : spending.limits(keys);
  },
  '/admin/config/status': (_runtime: Runtime, _url: RequestTarget, _viewer: Viewer, control?: ConfigControl) => control?.status() ?? noControl('/admin/config/status'),
  /** Re-reads the file named at start (the body is ignored), exactly as SIGHUP does. */
  '/admin/config/reload': async (_runtime: Runtime, _url: RequestTarget, _viewer: Viewer, control?: ConfigControl) => {
    if (!control) return noControl('/admin/config/reload');
    const outcome = await control.reload('api');
    return outcome.status === 'failed'
      ? new LipError('LIP_ERR_ADMIN_RELOAD_FAILED', `reload failed; the running configuration is kept: ${outcome.error ?? 'see the server log'}`)
      : outcome;
  },
} as const satisfies Record<string, Endpoint>;

export type AdminPath = keyof typeof ADMIN_ENDPOINTS;

/** The method of each admin endpoint that is not a GET. */
export const ADMIN_METHODS: Partial<Record<AdminPath, string>> = { '/admin/config/reload': 'POST', '/admin/model-catalog/refresh': 'POST', '/admin/cache/clear': 'POST' };

/**
 * Endpoints refused once the server drains (503 `LIP_ERR_SERVER_SHUTTING_DOWN`): a reload then
 * would replace the stores and the recorder under the requests the shutdown is about to cancel.
 */
export const REFUSED_WHILE_DRAINING: ReadonlySet<AdminPath> = new Set<AdminPath>(['/admin/config/reload']);

/** Endpoints that can answer for one principal (a client key in multi_user sees its own data). */
export const SCOPED_ADMIN_PATHS: ReadonlySet<string> = new Set<AdminPath>(['/admin/attempts', '/admin/transcript', '/admin/usage', '/admin/budgets', '/admin/limits']);

/** What the admin endpoints reach beyond the runtime, and whether the server drains (`REFUSED_WHILE_DRAINING`). */
export interface AdminContext {
  readonly control?: ConfigControl | undefined;
  readonly spending?: KeySpending | undefined;
  readonly cache?: ClusterCache | undefined;
  readonly draining?: boolean;
}

/**
 * `GET {admin_path}/*`: 404 unless `diagnostics.enabled`; then the operator gate
 * (guardOperator: the diagnostics secret, or scoped client access), then the endpoint (503
 * while draining for those in `REFUSED_WHILE_DRAINING`).
 */
export async function handleAdmin(path: AdminPath, req: IncomingMessage, res: ServerResponse, url: RequestTarget, runtime: Runtime, auth: Authenticator, context: AdminContext = {}): Promise<LipError | undefined> {
  if (!runtime.config.diagnostics.enabled) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `${url.pathname} needs diagnostics.enabled: true`);
  const viewer = guardOperator(req, runtime.config, auth, SCOPED_ADMIN_PATHS.has(path));
  if (viewer instanceof LipError) return viewer;
  if (context.draining === true && REFUSED_WHILE_DRAINING.has(path)) return new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', `the server is shutting down: ${url.pathname} is refused while it drains`);
  const answer: unknown = await (ADMIN_ENDPOINTS[path] as Endpoint)(runtime, url, viewer, context.control, context.spending, context.cache);
  if (answer instanceof LipError) return answer;
  sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  return undefined;
}

const GROUPS = ['model', 'backend', 'principal', 'key'] as const;
/** Groups `GET /admin/usage` lists unless `limit` says otherwise, and the most it lists (the rest are summed in `other`). */
export const USAGE_LIMIT = { default: 100, max: 1_000 } as const;
/** An ISO 8601 date, or date and time (an offset or `Z`, else local time), as Date.parse reads it. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Whether an ISO date's day exists in its month (`Date.parse` rolls 2026-02-30 over to March 2). */
function onCalendar(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * `GET /admin/usage?principal=&since=&group_by=&limit=`: `since` is an ISO 8601 time or a duration
 * back from now (`24h`, `30m`: the units of config durations), nothing else (a bare number, a
 * date in another form); `group_by` is model (default), backend, principal or key (the API key id);
 * `limit` the groups listed, 1 to 1,000 (100 by default).
 */
export function usageQuery(params: URLSearchParams, now: number = Date.now()): UsageQuery | LipError {
  const groupBy = params.get('group_by') ?? 'model';
  if (!(GROUPS as readonly string[]).includes(groupBy)) {
    return new LipError('LIP_ERR_REQUEST_INVALID', `group_by: must be one of ${GROUPS.join(', ')} (got "${groupBy}")`, { param: 'group_by' });
  }
  const principal = params.get('principal') ?? undefined;
  const sinceText = params.get('since');
  let since: number | undefined;
  if (sinceText !== null && sinceText !== '') {
    const back = parseDuration(sinceText);
    // A duration back past 1970 means all of it (and stays a time a Date can hold).
    since = back !== undefined ? Math.max(0, now - back) : ISO_TIME.test(sinceText) && onCalendar(sinceText) ? Date.parse(sinceText) : Number.NaN;
    if (!Number.isFinite(since)) {
      return new LipError('LIP_ERR_REQUEST_INVALID', `since: expected an ISO 8601 time (2026-12-01T00:00:00Z) or a duration back from now (24h), got "${sinceText}"`, { param: 'since' });
    }
  }
  const limitText = params.get('limit');
  const limit = limitText === null ? USAGE_LIMIT.default : /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= USAGE_LIMIT.max)) {
    return new LipError('LIP_ERR_REQUEST_INVALID', `limit: expected a whole number of groups from 1 to ${USAGE_LIMIT.max}, got "${limitText}"`, { param: 'limit' });
  }
  return { groupBy: groupBy as UsageQuery['groupBy'], ...(principal ? { principal } : {}), ...(since !== undefined ? { since } : {}), limit };
}
