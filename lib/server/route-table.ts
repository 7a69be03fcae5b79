import type { Frontend, GenerateRoute, ModelListRoute } from '../frontends/protocol.js';
import { ADMIN_ENDPOINTS, ADMIN_METHODS, type AdminPath } from './admin.js';
import { PROFILING_ENDPOINTS, type ProfilingEndpoint } from './profiling.js';

export type SystemHandlerName = 'healthz' | 'readyz' | 'metrics';

/** What a cancel endpoint names: an A-leg, or a response (of a protocol with response ids). */
export type CancelTarget = 'a-leg' | 'response';

/** `POST /lip/v1/a-legs/{id}/cancel`. */
export const A_LEG_CANCEL_PATH = '/lip/v1/a-legs/{id}/cancel';

export type RouteMatch =
  | { readonly kind: 'generate'; readonly frontend: Frontend; readonly route: GenerateRoute; readonly params: Record<string, string>; readonly group: string }
  | { readonly kind: 'system'; readonly name: SystemHandlerName; readonly group: string }
  | { readonly kind: 'admin'; readonly path: AdminPath; readonly group: string }
  | { readonly kind: 'profiling'; readonly endpoint: ProfilingEndpoint; readonly base: string; readonly group: string }
  /** A model list; `routes` in the order to ask them (routes with `accepts` first). */
  | { readonly kind: 'models'; readonly routes: readonly ModelListRoute[]; readonly group: string }
  /** A cancel endpoint: `POST /lip/v1/a-legs/{id}/cancel`, or a protocol's (`POST /v1/responses/{id}/cancel`). */
  | { readonly kind: 'cancel'; readonly target: CancelTarget; readonly id: string; readonly frontend?: Frontend; readonly group: string }
  /** One model (`GET /v1/models/{id}`); `routes` as for the list, each with its frontend (for the 404 envelope). */
  | { readonly kind: 'model'; readonly id: string; readonly routes: readonly { route: ModelListRoute; frontend: Frontend }[]; readonly group: string }
  /** A protocol's token count (Anthropic `count_tokens`, Gemini `:countTokens`, Responses `input_tokens`). */
  | { readonly kind: 'count_tokens'; readonly frontend: Frontend; readonly params: Record<string, string>; readonly group: string }
  | { readonly kind: 'method_not_allowed'; readonly allow: string; readonly group: string }
  | { readonly kind: 'not_found'; readonly group: 'unmatched' };

interface Entry {
  readonly method: string;
  readonly path: string;
  readonly target: Exclude<RouteMatch, { kind: 'method_not_allowed' | 'not_found' }>;
}

/** Where the operator surfaces are mounted on a listener (none: a protocol-only listener). */
export interface OperatorMounts {
  /** The admin endpoints' prefix (`diagnostics.admin_path`, `/admin`). */
  readonly adminPath: string;
  /** Prometheus text, when metrics are enabled. */
  readonly metricsPath?: string;
  /** Profiling, when `diagnostics.pprof_path` is set. */
  readonly pprofPath?: string;
}

/**
 * Method + path -> handler. Exact paths are one Map lookup; templated routes (Gemini's
 * `/v1beta/models/{model}:generateContent`) are tried in order after that.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly templated: (Entry & { match(pathname: string): Record<string, string> | undefined })[] = [];
  /** Model-list paths whose routes can answer for one model, by path. */
  private readonly details = new Map<string, { route: ModelListRoute; frontend: Frontend }[]>();
  private readonly frontends: readonly Frontend[];

  /**
   * `frontends`: the protocols this listener serves; `operator`: the operator surfaces it
   * serves (absent when they have a listener of their own, `diagnostics.listen`).
   */
  constructor(frontends: readonly Frontend[], operator?: OperatorMounts) {
    this.frontends = frontends;
    for (const frontend of frontends) {
      for (const route of frontend.routes) {
        const target = { kind: 'generate' as const, frontend, route, params: {}, group: route.path };
        if (route.match) this.templated.push({ method: route.method, path: route.path, target, match: route.match.bind(route) });
        else this.add(route.method, route.path, target);
        // A protocol that can answer a cancel of its responses gets `POST {path}/{id}/cancel`.
        if (route.cancelledResponse && !route.match) this.addCancel(`${route.path}/{id}/cancel`, 'response', frontend);
      }
    }
    this.addCancel(A_LEG_CANCEL_PATH, 'a-leg');
    for (const frontend of frontends) {
      const count = frontend.countTokensRoute;
      if (!count) continue;
      const target = { kind: 'count_tokens' as const, frontend, params: {}, group: count.path };
      if (count.match) this.templated.push({ method: 'POST', path: count.path, target, match: count.match.bind(count) });
      else this.add('POST', count.path, target);
    }
    const lists = new Map<string, ModelListRoute[]>();
    for (const frontend of frontends) {
      for (const route of frontend.modelRoutes ?? []) {
        lists.set(route.path, [...(lists.get(route.path) ?? []), route]);
        if (route.encodeOne) this.details.set(route.path, [...(this.details.get(route.path) ?? []), { route, frontend }]);
      }
    }
    for (const [path, routes] of lists) {
      this.add('GET', path, { kind: 'models', routes: [...routes.filter((r) => r.accepts), ...routes.filter((r) => !r.accepts)], group: path });
    }
    this.add('GET', '/healthz', { kind: 'system', name: 'healthz', group: '/healthz' });
    this.add('GET', '/readyz', { kind: 'system', name: 'readyz', group: '/readyz' });
    if (!operator) return;
    if (operator.metricsPath) this.add('GET', operator.metricsPath, { kind: 'system', name: 'metrics', group: operator.metricsPath });
    for (const path of Object.keys(ADMIN_ENDPOINTS) as AdminPath[]) {
      const mounted = `${operator.adminPath}${path.slice('/admin'.length)}`;
      this.add(ADMIN_METHODS[path] ?? 'GET', mounted, { kind: 'admin', path, group: mounted });
    }
    const base = operator.pprofPath;
    if (base) for (const endpoint of PROFILING_ENDPOINTS) this.add('GET', `${base}${endpoint}`, { kind: 'profiling', endpoint, base, group: base });
  }

  /** A `POST` route with one `{id}` path segment (ids are taken as sent; they never contain `/`). */
  private addCancel(template: string, target: CancelTarget, frontend?: Frontend): void {
    const [before, after] = template.split('{id}') as [string, string];
    const entry = { kind: 'cancel' as const, target, id: '', ...(frontend ? { frontend } : {}), group: template };
    this.templated.push({
      method: 'POST', path: template, target: entry,
      match: (pathname) => {
        if (!pathname.startsWith(before) || !pathname.endsWith(after) || pathname.length <= before.length + after.length) return undefined;
        const id = pathname.slice(before.length, pathname.length - after.length);
        return id.includes('/') ? undefined : { id };
      },
    });
  }

  private add(method: string, path: string, target: Entry['target']): void {
    let byMethod = this.exact.get(path);
    if (!byMethod) this.exact.set(path, (byMethod = new Map()));
    byMethod.set(method, { method, path, target });
  }

  match(method: string, pathname: string): RouteMatch {
    const byMethod = this.exact.get(pathname);
    if (byMethod) {
      const entry = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
      if (entry) return entry.target;
      return { kind: 'method_not_allowed', allow: [...byMethod.keys()].join(', '), group: pathname };
    }
    for (const entry of this.templated) {
      const params = entry.match(pathname);
      if (!params) continue;
      if (entry.method !== method) return { kind: 'method_not_allowed', allow: entry.method, group: entry.path };
      if (entry.target.kind === 'cancel') return { ...entry.target, id: params.id! };
      return entry.target.kind === 'generate' || entry.target.kind === 'count_tokens' ? { ...entry.target, params } : entry.target;
    }
    const slash = pathname.lastIndexOf('/');
    const details = slash > 0 ? this.details.get(pathname.slice(0, slash)) : undefined;
    if (details && slash < pathname.length - 1) {
      if (method !== 'GET' && method !== 'HEAD') return { kind: 'method_not_allowed', allow: 'GET', group: `${pathname.slice(0, slash)}/{id}` };
      let id = pathname.slice(slash + 1);
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep the raw text: no model has it
      }
      const ordered = [...details.filter((d) => d.route.accepts), ...details.filter((d) => !d.route.accepts)];
      return { kind: 'model', id, routes: ordered, group: `${pathname.slice(0, slash)}/{id}` };
    }
    return { kind: 'not_found', group: 'unmatched' };
  }

  /**
   * The protocol a path that matches no route belongs to, for its 404 / 405 envelope: the first
   * enabled frontend with an exact claim on it (lib/frontends/<protocol>/frontend.ts), else the
   * first with a prefix claim; undefined outside every protocol.
   */
  ownerOf(pathname: string, headers: Readonly<Record<string, string | string[] | undefined>>): Frontend | undefined {
    const claims = this.frontends.map((f) => [f, f.claimsPath?.(pathname, headers)] as const);
    return (claims.find(([, c]) => c === 'exact') ?? claims.find(([, c]) => c === 'prefix'))?.[0];
  }
}
