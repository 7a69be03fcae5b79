import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../core/runtime.js';
import type { Frontend, ModelEntry, ModelListRoute, RequestContext } from '../frontends/protocol.js';
import { LipError } from '../errors/index.js';
import { sendError, sendJson } from './send.js';

/**
 * The models lip offers, in config order: every enabled backend's inventory as `backend:model`
 * (what a client puts in `model` to reach it), then the aliases whose pattern is a plain name
 * (`^gpt-4o$` lists as `gpt-4o`; a pattern with wildcards names no single model).
 */
export function modelEntries(runtime: Runtime): ModelEntry[] {
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const add = (id: string, ownedBy: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ id, ownedBy });
  };
  for (const backend of runtime.backends.values()) for (const model of backend.models) add(`${backend.id}:${model}`, backend.id);
  for (const alias of runtime.config.model_aliases) {
    const name = literalPattern(alias.pattern);
    if (name !== undefined) add(name, 'lip');
  }
  return out;
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
export function handleListModels(req: IncomingMessage, res: ServerResponse, url: URL, routes: readonly ModelListRoute[], runtime: Runtime): void {
  const context: RequestContext = { params: {}, query: url.searchParams, headers: req.headers };
  const route = routes.find((r) => !r.accepts || r.accepts(context)) ?? routes[0]!;
  sendJson(res, 200, route.encode(modelEntries(runtime), context));
}

/**
 * Answers `GET {list}/{id}` with one model in the protocol's shape, or a 404 in its error
 * envelope when lip offers no such model. An id may come as a resource name, `models/{id}`.
 */
export function handleGetModel(res: ServerResponse, url: URL, id: string, owner: { route: ModelListRoute; frontend: Frontend }, runtime: Runtime, failed: (code: string) => void): void {
  const context: RequestContext = { params: { id }, query: url.searchParams, headers: {} };
  const entries = modelEntries(runtime);
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
