import { BACKEND_KINDS } from '../../backends/registry.js';
import type { BackendConfig, CatalogOverride, ModelCatalogConfig, PriceConfig } from '../../config/index.js';
import type { ContinuityLogger } from '../../continuity/index.js';
import type { ModelInfo } from '../../frontends/protocol.js';
import type { CatalogSource } from './catalog-source.js';
import { FACT_NAMES, inputWindow, type CatalogEntry, type CatalogSnapshot, type FactName, type ModelFacts } from './snapshot.js';

/**
 * How a candidate's model was found: `exact` (listed by the provider its backend serves),
 * `by_name` (the backend's provider is unknown or does not list it: every provider's entry of
 * that name, each fact taken only where they agree), `ambiguous` (entries of that name agree on
 * no fact), `no_match`, `not_applied` (the backend is mapped to `none`: overrides only).
 */
export type MatchKind = 'exact' | 'by_name' | 'ambiguous' | 'no_match' | 'not_applied';
export type FactSource = 'pair_override' | 'model_override' | 'catalog';

/** A candidate's facts, where each came from, and how its catalog entry was found. */
export interface ResolvedFacts {
  readonly facts: ModelFacts;
  readonly sources: Readonly<Partial<Record<FactName, FactSource>>>;
  readonly match: MatchKind;
  /** The catalog entries behind the catalog's facts (`provider/model`). */
  readonly entries: readonly string[];
  /** Facts the entries found by name disagree on (left unknown). */
  readonly disagreements: readonly FactName[];
  /** The provider the backend serves, when known. */
  readonly provider?: string;
}

/** `model_catalog.backends` values that are not provider ids. */
const BY_NAME = '*';
const NOT_APPLIED = 'none';
/** Resolutions kept per snapshot (model names come from requests: the map is bounded). */
const MAX_MEMO = 4096;

/**
 * The catalog as one config sees it: which provider each backend serves, the operator's
 * overrides, and a resolution per candidate (memoised per snapshot). Precedence per fact: a
 * backend + model override, then a model override, then the catalog.
 *
 * ```yaml
 * model_catalog: { enabled: true, path: ./models.json, overrides: [{ model: local-llama, context: 32768 }] }
 * ```
 * @see spec/core/model-catalog/catalog-policy.spec.ts
 */
export class CatalogPolicy {
  private readonly providers = new Map<string, string>();
  private readonly pairOverrides = new Map<string, CatalogOverride>();
  private readonly modelOverrides = new Map<string, CatalogOverride>();
  private memo = new Map<string, ResolvedFacts>();
  private memoGeneration: string | undefined;

  constructor(readonly config: ModelCatalogConfig, rows: readonly BackendConfig[], readonly source: CatalogSource, logger?: ContinuityLogger) {
    for (const row of rows) this.providers.set(row.id, providerOf(row, config.backends[row.id]));
    for (const o of config.overrides) {
      if (o.backend !== undefined) this.pairOverrides.set(`${o.backend}\n${o.model}`, o);
      else this.modelOverrides.set(o.model, o);
    }
    const snapshot = source.snapshot;
    if (snapshot !== undefined && logger !== undefined) {
      for (const [id, provider] of Object.entries(config.backends)) {
        if (provider !== BY_NAME && provider !== NOT_APPLIED && !snapshot.hasProvider(provider)) {
          logger.warn('model catalog: the snapshot has no such provider; the backend\'s models are matched by name', { backend: id, provider });
        }
      }
    }
  }

  backendIds(): Iterable<string> {
    return this.providers.keys();
  }

  /** The provider a backend serves (`*`: matched by name; `none`: the catalog does not apply). */
  providerOf(backend: string): string {
    return this.providers.get(backend) ?? BY_NAME;
  }

  /**
   * The catalog's price of `backend`'s `model` for an attempt of `inputTokens`, as a `pricing`
   * row (`model_catalog.prices`). Exact entries only: a price is the provider's own, and the
   * same model costs differently elsewhere. The tier of the longest prompt below the input applies;
   * what a tier leaves out (`context_over_200k` often states only input and output) is the base
   * entry's, scaled as the tier scales its input (cache reads, cache writes) or output (reasoning),
   * rather than the tier's full input or output price that a pricing row's defaults would give.
   */
  priceRow(backend: string, model: string, inputTokens: number): PriceConfig | undefined {
    const provider = this.providerOf(backend);
    if (provider === BY_NAME || provider === NOT_APPLIED) return undefined;
    const price = this.source.snapshot?.priceOf(provider, model);
    if (price === undefined) return undefined;
    const { tiers, ...base } = price;
    const tier = tiers?.find((t) => inputTokens > t.above);
    if (tier === undefined) return { backend, model, ...base };
    const { above: _above, ...chosen } = tier;
    const byInput = base.input > 0 ? chosen.input / base.input : 1;
    const byOutput = base.output > 0 ? chosen.output / base.output : 1;
    return {
      backend, model, ...chosen,
      ...(chosen.cache_read === undefined && base.cache_read !== undefined ? { cache_read: base.cache_read * byInput } : {}),
      ...(chosen.cache_write === undefined && base.cache_write !== undefined ? { cache_write: base.cache_write * byInput } : {}),
      ...(chosen.reasoning === undefined && base.reasoning !== undefined ? { reasoning: base.reasoning * byOutput } : {}),
    };
  }

  /** A candidate's description for model lists: limits and thinking from its facts, name and date from an exact entry. */
  describe(backend: string, model: string): ModelInfo | undefined {
    const resolved = this.resolve(backend, model);
    const { facts } = resolved;
    const label = resolved.match === 'exact' && resolved.provider !== undefined ? this.source.snapshot?.labelOf(resolved.provider, model) : undefined;
    const input = inputWindow(facts)?.limit;
    const info: ModelInfo = {
      ...(label?.name !== undefined ? { displayName: label.name } : {}),
      ...(label?.releaseDate !== undefined ? { releaseDate: label.releaseDate } : {}),
      ...(input !== undefined ? { inputTokens: input } : {}),
      ...(facts.output !== undefined ? { outputTokens: facts.output } : {}),
      ...(facts.reasoning !== undefined ? { thinking: facts.reasoning } : {}),
    };
    return Object.keys(info).length > 0 ? info : undefined;
  }

  resolve(backend: string, model: string): ResolvedFacts {
    const snapshot = this.source.snapshot;
    if (snapshot?.generation !== this.memoGeneration) {
      this.memo = new Map();
      this.memoGeneration = snapshot?.generation;
    }
    const key = `${backend}\n${model}`;
    let resolved = this.memo.get(key);
    if (resolved === undefined) {
      resolved = this.compute(backend, model, snapshot);
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      this.memo.set(key, resolved);
    }
    return resolved;
  }

  private compute(backend: string, model: string, snapshot: CatalogSnapshot | undefined): ResolvedFacts {
    const provider = this.providerOf(backend);
    const found = provider === NOT_APPLIED || snapshot === undefined
      ? { match: (provider === NOT_APPLIED ? 'not_applied' : 'no_match') as MatchKind, facts: {}, entries: [], disagreements: [] }
      : findInCatalog(snapshot, provider, model);
    const facts: Record<string, unknown> = {};
    const sources: Partial<Record<FactName, FactSource>> = {};
    const layers: [CatalogOverride | ModelFacts | undefined, FactSource][] = [
      [this.pairOverrides.get(`${backend}\n${model}`), 'pair_override'],
      [this.modelOverrides.get(model), 'model_override'],
      [found.facts, 'catalog'],
    ];
    for (const name of FACT_NAMES) {
      for (const [layer, source] of layers) {
        const value = layer === undefined ? undefined : factOf(layer, name);
        if (value === undefined) continue;
        facts[name] = value;
        sources[name] = source;
        break;
      }
    }
    return {
      facts: facts as ModelFacts, sources, match: found.match, entries: found.entries, disagreements: found.disagreements,
      ...(provider !== BY_NAME && provider !== NOT_APPLIED ? { provider } : {}),
    };
  }
}

/** An override row's value of a fact (rows name modalities `input_modalities`). */
function factOf(layer: CatalogOverride | ModelFacts, name: FactName): unknown {
  if (name === 'modalities' && 'model' in layer) {
    const listed = (layer as CatalogOverride).input_modalities;
    return listed === undefined ? undefined : [...listed].sort();
  }
  return (layer as Record<string, unknown>)[name];
}

/**
 * The provider a backend row serves: the operator's mapping, else its kind's provider when the
 * row uses the kind's own endpoint (trailing slashes aside, as the backends strip them), else
 * matched by name.
 */
function providerOf(row: BackendConfig, mapped: string | undefined): string {
  if (mapped !== undefined) return mapped === '' ? BY_NAME : mapped;
  const kind = BACKEND_KINDS[row.kind];
  if (kind?.catalogProvider === undefined) return BY_NAME;
  const ownEndpoint = (kind.properties.base_url as { default?: unknown } | undefined)?.default;
  const baseUrl = (row as { base_url?: unknown }).base_url;
  const bare = (url: unknown) => (typeof url === 'string' ? url.replace(/\/+$/, '') : url);
  return baseUrl === undefined || bare(baseUrl) === bare(ownEndpoint) ? kind.catalogProvider : BY_NAME;
}

function findInCatalog(snapshot: CatalogSnapshot, provider: string, model: string): { match: MatchKind; facts: ModelFacts; entries: string[]; disagreements: FactName[] } {
  if (provider !== BY_NAME) {
    const facts = snapshot.lookup(provider, model);
    if (facts !== undefined) return { match: 'exact', facts, entries: [`${provider}/${model}`], disagreements: [] };
  }
  const named = snapshot.named(model);
  if (named.length === 0) return { match: 'no_match', facts: {}, entries: [], disagreements: [] };
  const { facts, disagreements } = agreed(named);
  const known = Object.keys(facts).length > 0;
  return { match: known ? 'by_name' : 'ambiguous', facts, entries: named.map((e) => e.id), disagreements };
}

/** The facts every entry that states them agrees on. */
function agreed(entries: readonly CatalogEntry[]): { facts: ModelFacts; disagreements: FactName[] } {
  const facts: Record<string, unknown> = {};
  const disagreements: FactName[] = [];
  for (const name of FACT_NAMES) {
    const values = new Map<string, unknown>();
    for (const entry of entries) {
      const value = entry.facts[name];
      if (value !== undefined) values.set(JSON.stringify(value), value);
    }
    if (values.size === 1) facts[name] = values.values().next().value;
    else if (values.size > 1) disagreements.push(name);
  }
  return { facts: facts as ModelFacts, disagreements };
}
