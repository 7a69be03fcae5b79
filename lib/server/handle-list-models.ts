import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CandidateAllow } from '../core/candidate-allow.js';
import type { Runtime } from '../core/runtime.js';
import type { Backend } from '../backends/backend.js';
import type { Frontend, ModelEntry, ModelInfo, ModelListRoute, RequestContext } from '../frontends/protocol.js';
import { isLipError, LipError } from '../errors/index.js';
import type { RequestTarget } from '../wire/index.js';
import { sendError, sendJson } from './send.js';

/**
 * The models lip offers, in config order: every enabled backend's inventory as `backend:model`
 * (what a client puts in `model` to reach it), then the aliases whose pattern is a plain name
 * (`^gpt-4o$` lists as `gpt-4o`; a pattern with wildcards names no single model). Each is taken
 * as routing resolves it (core/execute.ts `candidates`: after aliases, so a `backend:model` an
 * alias rewrites is its target). With the model catalog on, each carries what the catalog knows
 * of the first candidate of its route (with `allow`, the first the key may be served by). Each
 * says whether lip can embed with it, as an embeddings request decides (core/embed-failover.ts):
 * a candidate (that the key may use) whose backend has an embeddings call that takes the model.
 * With `allow` (the caller's key's `auth.api_keys[].allow`), only what it may use: a model whose
 * route has a candidate it may be served by.
 */
export function modelEntries(runtime: Runtime, allow?: CandidateAllow): ModelEntry[] {
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const catalog = runtime.catalog;
  const add = (id: string, ownedBy: string) => {
    if (seen.has(id)) return;
    const usable = usableCandidates(runtime, id, allow);
    if (allow !== undefined && !usable?.length) return;
    seen.add(id);
    // A model routing refuses (an alias to a removed backend) is listed without a description.
    const first = usable?.[0];
    const info = catalog && first ? catalog.describe(first.backend, first.model) : undefined;
    const embeds = usable?.some((c) => embedsWith(runtime.backends.get(c.backend), c.model)) ?? false;
    out.push({ id, ownedBy, ...(info ? { info } : {}), ...(embeds ? { embeds } : {}) });
  };
  for (const backend of runtime.backends.values()) {
    for (const model of backend.models) add(`${backend.id}:${model}`, backend.id);
  }
  for (const alias of runtime.config.model_aliases) {
    const name = literalPattern(alias.pattern);
    if (name !== undefined) add(name, 'lip');
  }
  return out;
}

/** Whether `backend` can embed with `model` (Backend.embed, and embedsWith where the protocol knows). */
function embedsWith(backend: Backend | undefined, model: string): boolean {
  return backend?.embed !== undefined && (backend.embedsWith?.(model) ?? true);
}

/**
 * The candidates a request for `model` is routed to (aliases applied), in order, those `allow`
 * accepts with one; undefined when routing refuses the model.
 */
function usableCandidates(runtime: Runtime, model: string, allow?: CandidateAllow): { backend: string; model: string }[] | undefined {
  try {
    const candidates = runtime.executor.candidates(model);
    return allow === undefined ? candidates : candidates.filter((c) => allow.allows(c.backend, c.model));
  } catch (err) {
    if (isLipError(err)) return undefined;
    throw err;
  }
}

/** The one string a regular expression matches when it is a plain, optionally anchored name. */
export function literalPattern(pattern: string): string | undefined {
  const m = /^\^?((?:[A-Za-z0-9_\-/:@]|\\[.\-/:_@])+)\$?$/.exec(pattern);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}

/**
 * Answers a model-list request with the first route that accepts it (content negotiation by
 * header, e.g. Anthropic's `anthropic-version`), else the first route without a condition.
 */
export function handleListModels(req: IncomingMessage, res: ServerResponse, url: RequestTarget, routes: readonly ModelListRoute[], runtime: Runtime, allow?: CandidateAllow): void {
  const context: RequestContext = { params: {}, query: url.searchParams, headers: req.headers };
  const route = routes.find((r) => !r.accepts || r.accepts(context)) ?? routes[0]!;
  sendJson(res, 200, route.encode(modelEntries(runtime, allow), context));
}

/**
 * Answers `GET {list}/{id}` with one model in the protocol's shape, or a 404 in its error
 * envelope when lip offers no such model. An id may come as a resource name, `models/{id}`.
 */
export function handleGetModel(res: ServerResponse, url: RequestTarget, id: string, owner: { route: ModelListRoute; frontend: Frontend }, runtime: Runtime, failed: (code: string) => void, allow?: CandidateAllow): void {
  const context: RequestContext = { params: { id }, query: url.searchParams, headers: {} };
  const entries = modelEntries(runtime, allow);
  // A resource name (`models/{id}`) names the same model as its bare id.
  const entry = entries.find((m) => m.id === id) ?? (id.startsWith('models/') ? entries.find((m) => m.id === id.slice(7)) : undefined);
  const wanted = entry?.id ?? id;
  if (!entry) {
    const err = new LipError('LIP_ERR_HTTP_NOT_FOUND', `model "${wanted}" is not offered by this proxy (GET ${owner.route.path} lists the models)`);
    failed(err.code);
    return sendError(res, owner.frontend, err);
  }
  sendJson(res, 200, owner.route.encodeOne!(entry, context));
}
