import type { BatchRoutes, EmbeddingsRoute, FileRoutes, Frontend, GenerateRoute, ModelListRoute, ResourceRoute, StoredResponseRoutes, WebSocketMode } from '../frontends/protocol.js';
import type { RequestTarget } from '../wire/index.js';
import { ADMIN_ENDPOINTS, ADMIN_METHODS, type AdminPath } from './admin.js';
import { PROFILING_ENDPOINTS, type ProfilingEndpoint } from './profiling.js';

export type SystemHandlerName = 'healthz' | 'readyz' | 'metrics';

/** What a cancel endpoint names: an A-leg, or a response (of a protocol with response ids). */
export type CancelTarget = 'a-leg' | 'response';

/** A path whose last segment ends in a custom method (`…/models/{model}:predict`; the colon may come percent-encoded). */
const CUSTOM_METHOD = /(?::|%3[Aa])[A-Za-z]+$/;

/** `POST /lip/v1/a-legs/{id}/cancel`. */
export const A_LEG_CANCEL_PATH = '/lip/v1/a-legs/{id}/cancel';

/** What is asked of a stored response: `GET {path}/{id}`, `DELETE {path}/{id}`, `GET {path}/{id}/input_items`. */
export type StoredResponseAction = 'retrieve' | 'delete' | 'input_items';

/** What is asked of a protocol's batches: `POST` / `GET {path}`, `GET` / `DELETE {path}/{id}`, `POST {path}/{id}/cancel`, `GET {path}/{id}/results`. */
export type BatchAction = 'create' | 'list' | 'retrieve' | 'delete' | 'cancel' | 'results';

/** What is asked of a protocol's files: `POST` / `GET {path}`, `GET` / `DELETE {path}/{id}`, `GET {path}/{id}/content`. */
export type FileAction = 'upload' | 'list' | 'retrieve' | 'delete' | 'content';

export type RouteMatch =
  | { readonly kind: 'generate'; readonly frontend: Frontend; readonly route: GenerateRoute; readonly params: Record<string, string>; readonly group: string }
  | { readonly kind: 'system'; readonly name: SystemHandlerName; readonly group: string }
  | { readonly kind: 'admin'; readonly path: AdminPath; readonly group: string }
  | { readonly kind: 'profiling'; readonly endpoint: ProfilingEndpoint; readonly base: string; readonly group: string }
  /** A model list; `routes` in the order to ask them (routes with `accepts` first). */
  | { readonly kind: 'models'; readonly routes: readonly ModelListRoute[]; readonly group: string }
  /** A cancel endpoint: `POST /lip/v1/a-legs/{id}/cancel`, or a protocol's (`POST /v1/responses/{id}/cancel`). */
  | { readonly kind: 'cancel'; readonly target: CancelTarget; readonly id: string; readonly frontend?: Frontend; readonly group: string }
  /** A stored response of a protocol that keeps them by id (`GET` / `DELETE /v1/responses/{id}`, its `input_items`). */
  | { readonly kind: 'stored_response'; readonly action: StoredResponseAction; readonly id: string; readonly frontend: Frontend; readonly routes: StoredResponseRoutes; readonly group: string }
  /** One model (`GET /v1/models/{id}`); `routes` as for the list, each with its frontend (for the 404 envelope). */
  | { readonly kind: 'model'; readonly id: string; readonly routes: readonly { route: ModelListRoute; frontend: Frontend }[]; readonly group: string }
  /** A protocol's token count (Anthropic `count_tokens`, Gemini `:countTokens`, Responses `input_tokens`). */
  | { readonly kind: 'count_tokens'; readonly frontend: Frontend; readonly params: Record<string, string>; readonly group: string }
  /** A protocol's embeddings endpoint (OpenAI `/v1/embeddings`, Gemini `:embedContent`, `:batchEmbedContents`). */
  | { readonly kind: 'embeddings'; readonly frontend: Frontend; readonly route: EmbeddingsRoute; readonly params: Record<string, string>; readonly group: string }
  /** A protocol's own resource (Responses `/v1/conversations` and its items). */
  | { readonly kind: 'resource'; readonly frontend: Frontend; readonly route: ResourceRoute; readonly params: Record<string, string>; readonly group: string }
  /** A protocol's batches (Anthropic `/v1/messages/batches`); `id` empty for create and list. */
  | { readonly kind: 'batch'; readonly action: BatchAction; readonly id: string; readonly params: Readonly<Record<string, string>>; readonly frontend: Frontend; readonly routes: BatchRoutes; readonly group: string }
  /** A protocol's files (OpenAI `/v1/files`), kept for its batches; `id` empty for upload and list. */
  | { readonly kind: 'file'; readonly action: FileAction; readonly id: string; readonly frontend: Frontend; readonly routes: BatchRoutes; readonly files: FileRoutes; readonly group: string }
  | { readonly kind: 'method_not_allowed'; readonly allow: string; readonly group: string }
  | { readonly kind: 'not_found'; readonly group: 'unmatched' };

interface Entry {
  readonly method: string;
  readonly path: string;
  readonly target: Exclude<RouteMatch, { kind: 'method_not_allowed' | 'not_found' }>;
}

/** A route whose path is a template: `match` gives its parameters, or undefined when the path is not of it. */
type TemplatedEntry = Entry & { match(pathname: string): Record<string, string> | undefined };

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
 * Method + path -> handler. Exact paths are one Map lookup (so `POST /v1/responses/input_tokens`,
 * an exact path, is never taken for `/v1/responses/{id}`); templated routes (Gemini's
 * `/v1beta/models/{model}:generateContent`, the `{id}` routes) are tried in order after that.
 * @see spec/server/route-table.spec.ts
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly templated: TemplatedEntry[] = [];
  /** Model-list paths whose routes can answer for one model, by path. */
  private readonly details = new Map<string, { route: ModelListRoute; frontend: Frontend }[]>();
  private readonly frontends: readonly Frontend[];
  /** The protocols with files at a path (`/v1/files`: OpenAI's and Anthropic's), in registry order. */
  private readonly fileClaimants = new Map<string, { readonly frontend: Frontend; readonly routes: BatchRoutes; readonly files: FileRoutes }[]>();
  /** Paths whose protocol has a WebSocket mode (`GET /v1/responses` upgraded). */
  private readonly websockets = new Map<string, { readonly frontend: Frontend; readonly route: GenerateRoute; readonly mode: WebSocketMode }>();

  /**
   * `frontends`: the protocols this listener serves; `operator`: the operator surfaces it
   * serves (absent when they have a listener of their own, `diagnostics.listen`).
   */
  constructor(frontends: readonly Frontend[], operator?: OperatorMounts) {
    this.frontends = frontends;
    for (const frontend of frontends) {
      for (const route of frontend.routes) {
        const target = { kind: 'generate' as const, frontend, route, params: {}, group: route.path };
        if (route.websocket && !route.match) this.websockets.set(route.path, { frontend, route, mode: route.websocket });
        if (route.match) {
          this.templated.push({ method: route.method, path: route.path, target, match: route.match.bind(route) });
          continue;
        }
        this.add(route.method, route.path, target);
        // A protocol that can answer a cancel of its responses gets `POST {path}/{id}/cancel`,
        // one that keeps its responses by id the `{path}/{id}` routes.
        if (route.cancelledResponse) this.addCancel(`${route.path}/{id}/cancel`, 'response', frontend);
        if (route.storedResponses) this.addStoredResponses(route.path, route.storedResponses, frontend);
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
    for (const frontend of frontends) {
      for (const route of frontend.embeddingsRoutes ?? []) {
        const target = { kind: 'embeddings' as const, frontend, route, params: {}, group: route.path };
        if (route.match) this.templated.push({ method: 'POST', path: route.path, target, match: route.match.bind(route) });
        else this.add('POST', route.path, target);
      }
    }
    // A batch's results' file of its protocol (`/v1beta/files/batch-{id}:download`), before the resources' `{id}` routes that would take it.
    for (const frontend of frontends) {
      const batches = frontend.batchRoutes;
      if (batches?.resultsFile !== undefined) {
        this.addWithId('GET', batches.resultsFile.path, { kind: 'batch', action: 'results', id: '', params: {}, frontend, routes: batches, group: batches.resultsFile.path });
      }
    }
    for (const frontend of frontends) {
      for (const route of frontend.resourceRoutes ?? []) {
        const target = { kind: 'resource' as const, frontend, route, params: {}, group: route.path };
        // A path without parameters beside a generation's (`GET /v1/chat/completions`) is one more method of it.
        if (!route.path.includes('{')) this.add(route.method, route.path, target);
        else this.templated.push({ method: route.method, path: route.path, target, match: templateMatcher(route.path) });
      }
    }
    for (const frontend of frontends) {
      const batches = frontend.batchRoutes;
      if (batches === undefined) continue;
      const entry = (action: BatchAction, group: string) => ({ kind: 'batch' as const, action, id: '', params: {}, frontend, routes: batches, group });
      if (batches.createMatch) this.templated.push({ method: 'POST', path: `${batches.path}:create`, target: entry('create', batches.path), match: batches.createMatch.bind(batches) });
      else this.add('POST', batches.path, entry('create', batches.path));
      this.add('GET', batches.path, entry('list', batches.path));
      // The cancel first: `{path}/{id}:cancel` is no id of `{path}/{id}`.
      this.addWithId('POST', `${batches.path}/{id}${batches.cancelSuffix}`, entry('cancel', `${batches.path}/{id}${batches.cancelSuffix}`));
      this.addWithId('GET', `${batches.path}/{id}`, entry('retrieve', `${batches.path}/{id}`));
      if (batches.deleted) this.addWithId('DELETE', `${batches.path}/{id}`, entry('delete', `${batches.path}/{id}`));
      if (batches.resultsContentType !== undefined) this.addWithId('GET', `${batches.path}/{id}/results`, entry('results', `${batches.path}/{id}/results`));
      const files = batches.files;
      if (files === undefined) continue;
      this.fileClaimants.set(files.path, [...(this.fileClaimants.get(files.path) ?? []), { frontend, routes: batches, files }]);
      const file = (action: FileAction, group: string) => ({ kind: 'file' as const, action, id: '', frontend, routes: batches, files, group });
      this.add('POST', files.path, file('upload', files.path));
      this.add('GET', files.path, file('list', files.path));
      this.addWithId('GET', `${files.path}/{id}`, file('retrieve', `${files.path}/{id}`));
      this.addWithId('DELETE', `${files.path}/{id}`, file('delete', `${files.path}/{id}`));
      this.addWithId('GET', `${files.path}/{id}/content`, file('content', `${files.path}/{id}/content`));
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

  private addCancel(template: string, target: CancelTarget, frontend?: Frontend): void {
    this.addWithId('POST', template, { kind: 'cancel', target, id: '', ...(frontend ? { frontend } : {}), group: template });
  }

  /** `GET` and `DELETE {path}/{id}`, `GET {path}/{id}/input_items`. */
  private addStoredResponses(path: string, routes: StoredResponseRoutes, frontend: Frontend): void {
    const entry = (action: StoredResponseAction, group: string) => ({ kind: 'stored_response' as const, action, id: '', frontend, routes, group });
    this.addWithId('GET', `${path}/{id}`, entry('retrieve', `${path}/{id}`));
    this.addWithId('DELETE', `${path}/{id}`, entry('delete', `${path}/{id}`));
    this.addWithId('GET', `${path}/{id}/input_items`, entry('input_items', `${path}/{id}/input_items`));
  }

  /** A route with one `{id}` path segment (ids are taken as sent; they never contain `/`). */
  private addWithId(method: string, template: string, target: TemplatedEntry['target']): void {
    const [before, after] = template.split('{id}') as [string, string];
    this.templated.push({
      method, path: template, target,
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

  /**
   * The generation or embeddings route of an exact path (`/v1/chat/completions`,
   * `/v1/embeddings`: what a batch names as its endpoint), with its protocol.
   */
  batchEndpoint(path: string): ({ readonly frontend: Frontend; readonly route: GenerateRoute } | { readonly frontend: Frontend; readonly embeddings: EmbeddingsRoute }) & { readonly params: Readonly<Record<string, string>> } | undefined {
    const target = this.exact.get(path)?.get('POST')?.target ?? this.match('POST', path);
    if (target.kind === 'generate') return { frontend: target.frontend, route: target.route, params: target.params };
    return target.kind === 'embeddings' ? { frontend: target.frontend, embeddings: target.route, params: target.params } : undefined;
  }

  /**
   * The protocol a file request is for when two have files at its path: the one whose
   * `FileRoutes.accepts` takes its headers (Anthropic's, with `anthropic-version`), else the one
   * without `accepts`.
   */
  fileOwner(match: Extract<RouteMatch, { kind: 'file' }>, headers: Readonly<Record<string, string | string[] | undefined>>): Extract<RouteMatch, { kind: 'file' }> {
    const claimants = this.fileClaimants.get(match.files.path);
    if (claimants === undefined || claimants.length < 2) return match;
    const owner = claimants.find((c) => c.files.accepts?.(headers) === true) ?? claimants.find((c) => c.files.accepts === undefined) ?? claimants[0]!;
    return owner.files === match.files ? match : { ...match, frontend: owner.frontend, routes: owner.routes, files: owner.files };
  }

  /** The protocol whose WebSocket mode answers an upgrade of `pathname`, if any. */
  websocket(pathname: string): { readonly frontend: Frontend; readonly route: GenerateRoute; readonly mode: WebSocketMode } | undefined {
    return this.websockets.get(pathname);
  }

  match(method: string, pathname: string): RouteMatch {
    const byMethod = this.exact.get(pathname);
    if (byMethod) {
      const entry = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
      if (entry) return entry.target;
      return { kind: 'method_not_allowed', allow: [...byMethod.keys()].join(', '), group: pathname };
    }
    // Every template of the path is tried before a 405 (which allows the methods of them all):
    // `GET /v1/responses/{id}` must not turn away a method that another template of the path takes.
    let allowed: { methods: Set<string>; group: string } | undefined;
    for (const entry of this.templated) {
      const params = entry.match(pathname);
      if (!params) continue;
      if (entry.method === method || (method === 'HEAD' && entry.method === 'GET')) return bind(entry.target, params);
      allowed ??= { methods: new Set(), group: entry.path };
      allowed.methods.add(entry.method);
    }
    if (allowed) return { kind: 'method_not_allowed', allow: [...allowed.methods].join(', '), group: allowed.group };
    const list = this.detailsPathOf(pathname);
    if (list !== undefined) {
      const group = `${list}/{id}`;
      if (method !== 'GET' && method !== 'HEAD') {
        // A custom method of the model that no route has (Google's `{model}:{verb}`: Imagen's `:predict`) is no
        // route, as at Google; not another method of a model named `…:predict`.
        return CUSTOM_METHOD.test(pathname) ? { kind: 'not_found', group: 'unmatched' } : { kind: 'method_not_allowed', allow: 'GET', group };
      }
      // The whole rest of the path is the id: model ids hold `/` (`stub:meta/llama-3`), and
      // Gemini's SDK sends them as they are (a Gemini method, `...:generateContent`, matched above).
      let id = pathname.slice(list.length + 1);
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep the raw text: no model has it
      }
      const details = this.details.get(list)!;
      const ordered = [...details.filter((d) => d.route.accepts), ...details.filter((d) => !d.route.accepts)];
      return { kind: 'model', id, routes: ordered, group };
    }
    return { kind: 'not_found', group: 'unmatched' };
  }

  /** The model-list path that `pathname` names one model under (`/v1beta/models` for `/v1beta/models/a/b`), the longest if several. */
  private detailsPathOf(pathname: string): string | undefined {
    let found: string | undefined;
    for (const list of this.details.keys()) {
      if (pathname.length > list.length + 1 && pathname.startsWith(`${list}/`) && (found === undefined || list.length > found.length)) found = list;
    }
    return found;
  }

  /**
   * The protocol a path that matches no route belongs to, for its 404 / 405 envelope: the first
   * enabled frontend with an exact claim on it (lib/frontends/<protocol>/frontend.ts), else the
   * first with a prefix claim; undefined outside every protocol.
   */
  ownerOf(target: RequestTarget, headers: Readonly<Record<string, string | string[] | undefined>>): Frontend | undefined {
    const claims = this.frontends.map((f) => [f, f.claimsPath?.(target.pathname, headers, target.searchParams)] as const);
    return (claims.find(([, c]) => c === 'exact') ?? claims.find(([, c]) => c === 'prefix'))?.[0];
  }
}

/** A templated route's target with the parameters of the path it matched. */
function bind(target: TemplatedEntry['target'], params: Record<string, string>): RouteMatch {
  if (target.kind === 'batch') return { ...target, id: params.id ?? '', params };
  if (target.kind === 'cancel' || target.kind === 'stored_response' || target.kind === 'file') return { ...target, id: params.id! };
  return target.kind === 'generate' || target.kind === 'count_tokens' || target.kind === 'embeddings' || target.kind === 'resource' ? { ...target, params } : target;
}

/**
 * A matcher of a path template whose `{name}` segments each stand for one path segment (taken
 * as sent, never empty): `/v1/conversations/{conversation_id}/items` matches
 * `/v1/conversations/conv_1/items` with `{conversation_id: 'conv_1'}`.
 */
export function templateMatcher(template: string): (pathname: string) => Record<string, string> | undefined {
  const parts = template.split('/');
  return (pathname) => {
    const segments = pathname.split('/');
    if (segments.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const segment = segments[i]!;
      if (part.startsWith('{') && part.endsWith('}')) {
        if (segment.length === 0) return undefined;
        params[part.slice(1, -1)] = segment;
      } else if (part !== segment) return undefined;
    }
    return params;
  };
}
