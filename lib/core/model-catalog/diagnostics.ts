import type { CatalogPolicy, ResolvedFacts } from './catalog-policy.js';

/** One candidate's resolution as the admin endpoint shows it. */
function resolutionJson(policy: CatalogPolicy, backend: string, model: string, resolved: ResolvedFacts): Record<string, unknown> {
  const price = policy.config.prices && resolved.provider !== undefined ? policy.source.snapshot?.priceOf(resolved.provider, model) : undefined;
  return {
    backend, model, provider: resolved.provider ?? null, match: resolved.match, entries: resolved.entries,
    facts: resolved.facts, sources: resolved.sources, ...(resolved.disagreements.length > 0 ? { disagreements: resolved.disagreements } : {}),
    ...(price ? { price } : {}),
  };
}

/**
 * `GET /admin/model-catalog`: the snapshot's state and the catalog's settings; with `model`
 * (and optionally `backend`), the facts each candidate of that model's route resolves to and
 * where each came from. `candidates` resolves a model as routing would.
 */
export function catalogDiagnostics(policy: CatalogPolicy, params: URLSearchParams, candidates: (model: string) => { backend: string; model: string }[]): Record<string, unknown> {
  const config = policy.config;
  const model = params.get('model');
  const backend = params.get('backend');
  const base = {
    ...policy.source.status(),
    exclude: config.exclude, adapt: config.adapt, prices: config.prices,
    backends: Object.fromEntries([...policy.backendIds()].map((id) => [id, policy.providerOf(id)])),
    overrides: config.overrides.length,
  };
  if (model === null || model === '') return base;
  const pairs = backend !== null && backend !== '' ? [{ backend, model }] : candidates(model);
  return { ...base, candidates: pairs.map((p) => resolutionJson(policy, p.backend, p.model, policy.resolve(p.backend, p.model))) };
}
