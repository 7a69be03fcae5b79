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
 * (`^gpt-4o$` lists as `gpt-4o`; a pattern with wildcards names no single model). With the model
 * catalog on, each carries what the catalog knows of it (an alias: of its route's first candidate,
 * with `allow` the first the key may be served by). Each says whether lip can embed with it, as
 * an embeddings request decides (core/embed-failover.ts): its backend has an embeddings call that
 * takes the model; an alias, when a candidate of its route (that the key may use) does.
 * With `allow` (the caller's key's `auth.api_keys[].allow`), only what it may use: a model it
 * may be served by, an alias whose route has such a candidate.
 */
export function modelEntries(runtime: Runtime, allow?: CandidateAllow): ModelEntry[] {
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const catalog = runtime.catalog;
  const add = (id: string, ownedBy: string, describe: () => ModelInfo | undefined, embeds: boolean) => {
    if (seen.has(id)) return;
    seen.add(id);
    const info = catalog ? describe() : undefined;
    out.push({ id, ownedBy, ...(info ? { info } : {}), ...(embeds ? { embeds } : {}) });
  };
  for (const backend of runtime.backends.values()) {
    for (const model of backend.models) {
      if (allow === undefined || allow.allows(backend.id, model)) add(`${backend.id}:${model}`, backend.id, () => catalog!.describe(backend.id, model), embedsWith(backend, model));
    }
  }
  for (const alias of runtime.config.model_aliases) {
    const name = literalPattern(alias.pattern);
    // An alias is described as the first candidate of its route the key may use.
    if (name !== undefined && (allow === undefined || aliasAllowed(runtime, name, allow))) add(name, 'lip', () => firstCandidateInfo(runtime, name, allow), aliasEmbeds(runtime, name, allow));
  }
  return out;
}

/** Whether `backend` can embed with `model` (Backend.embed, and embedsWith where the protocol knows). */
function embedsWith(backend: Backend | undefined, model: string): boolean {
  return backend?.embed !== undefined && (backend.embedsWith?.(model) ?? true);
}

/** Whether a candidate of alias `name`'s route (that `allow` accepts, with one) can embed. */
function aliasEmbeds(runtime: Runtime, name: string, allow?: CandidateAllow): boolean {
  try {
    return runtime.executor.candidates(name).some((c) => (allow === undefined || allow.allows(c.backend, c.model)) && embedsWith(runtime.backends.get(c.backend), c.model));
  } catch (err) {
    if (isLipError(err)) return false; // an alias routing refuses embeds with nothing
    throw err;
  }
}

/** Whether the route of alias `name` has a candidate `allow` lets the key use. */
function aliasAllowed(runtime: Runtime, name: string, allow: CandidateAllow): boolean {
  try {
    return runtime.executor.candidates(name).some((c) => allow.allows(c.backend, c.model));
  } catch (err) {
    if (isLipError(err)) return false;
    throw err;
  }
}

/** What the catalog knows of the first candidate of alias `name`'s route (that `allow` accepts, with one). */
function firstCandidateInfo(runtime: Runtime, name: string, allow?: CandidateAllow): ModelInfo | undefined {
  try {
    const candidates = runtime.executor.candidates(name);
    const first = allow === undefined ? candidates[0] : candidates.find((c) => allow.allows(c.backend, c.model));
    return first ? runtime.catalog!.describe(first.backend, first.model) : undefined;
  } catch (err) {
    if (isLipError(err)) return undefined; // an alias routing refuses is listed without a description
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
