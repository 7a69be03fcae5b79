import { createHash } from 'node:crypto';
import type { CatalogModality } from '../../config/index.js';

/**
 * What lip knows of one model (every fact optional: absent is unknown, and an unknown fact
 * never takes a candidate out of a route). Token limits are the catalog's; `modalities` are the
 * inputs the model takes besides text.
 */
export interface ModelFacts {
  readonly context?: number;
  readonly input?: number;
  readonly output?: number;
  readonly modalities?: readonly CatalogModality[];
  readonly tools?: boolean;
  readonly reasoning?: boolean;
  readonly temperature?: boolean;
  /** The model wants its reasoning sent back in later turns (models.dev `interleaved`). */
  readonly interleaved?: boolean;
}

/**
 * The most input a model takes, by its facts: the smaller of its input limit and its context
 * window, of those known (an operator's smaller `context` bounds a catalog's `input`), and which
 * of the two it is (`input` on a tie); undefined when neither is known.
 */
export function inputWindow(facts: ModelFacts): { readonly limit: number; readonly fact: 'input' | 'context' } | undefined {
  const { input, context } = facts;
  if (input !== undefined && (context === undefined || input <= context)) return { limit: input, fact: 'input' };
  return context !== undefined ? { limit: context, fact: 'context' } : undefined;
}

export type FactName = keyof ModelFacts;
export const FACT_NAMES: readonly FactName[] = ['context', 'input', 'output', 'modalities', 'tools', 'reasoning', 'temperature', 'interleaved'];

/** A model's prices per million tokens (models.dev's `cost`), with the higher tiers of long prompts. */
export interface CatalogPrice {
  readonly input: number;
  readonly output: number;
  readonly cache_read?: number;
  readonly cache_write?: number;
  readonly reasoning?: number;
  /** Prices for a prompt of more than `above` input tokens, largest `above` first. */
  readonly tiers?: readonly (Omit<CatalogPrice, 'tiers'> & { readonly above: number })[];
}

/** One model of the snapshot: `provider/id` and its facts. */
export interface CatalogEntry {
  readonly id: string;
  readonly facts: ModelFacts;
}

/** A snapshot that does not have the catalog's shape: the JSON path of the first problem. */
export class CatalogFormatError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`${path}: ${problem}`);
  }
}

const MODALITIES: ReadonlySet<string> = new Set<CatalogModality>(['text', 'image', 'pdf', 'audio', 'video']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A parsed models.dev snapshot (`https://models.dev/api.json`: providers by id, each with its
 * `models` by id), reduced to the facts routing uses and indexed by provider and by name.
 * Immutable: a refresh builds a new one.
 */
export class CatalogSnapshot {
  /** The first 16 hex digits of the file's SHA-256: which snapshot made a decision. */
  readonly generation: string;
  readonly providers: number;
  readonly models: number;
  private readonly byProvider = new Map<string, Map<string, ModelFacts>>();
  private readonly prices = new Map<string, CatalogPrice>();
  private readonly labels = new Map<string, { readonly name?: string; readonly releaseDate?: string }>();
  /** A model's id, and its id after the last `/`: every entry listed under it. */
  private readonly byName = new Map<string, CatalogEntry[]>();

  /**
   * @throws CatalogFormatError when the text is not JSON of the catalog's shape, or lists no model.
   */
  constructor(text: string, readonly loadedAt: string = new Date().toISOString()) {
    this.generation = createHash('sha256').update(text).digest('hex').slice(0, 16);
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch (err) {
      throw new CatalogFormatError('$', `not JSON (${(err as Error).message})`);
    }
    if (!isObject(root)) throw new CatalogFormatError('$', 'expected an object of providers by id');
    let models = 0;
    for (const [provider, value] of Object.entries(root)) {
      const path = `$[${JSON.stringify(provider)}]`;
      if (!isObject(value)) throw new CatalogFormatError(path, 'expected a provider object');
      const list = value.models;
      if (list === undefined) continue;
      const entries: [string, unknown][] = Array.isArray(list)
        ? list.map((m, i) => [isObject(m) && typeof m.id === 'string' ? m.id : `[${i}]`, m])
        : isObject(list) ? Object.entries(list) : [];
      if (!Array.isArray(list) && !isObject(list)) throw new CatalogFormatError(`${path}.models`, 'expected an object of models by id');
      const table = new Map<string, ModelFacts>();
      for (const [key, model] of entries) {
        const modelPath = `${path}.models[${JSON.stringify(key)}]`;
        if (!isObject(model)) throw new CatalogFormatError(modelPath, 'expected a model object');
        const id = typeof model.id === 'string' && model.id.length > 0 ? model.id : key;
        const facts = factsOf(model, modelPath);
        table.set(id, facts);
        const price = priceOf(model, modelPath);
        if (price !== undefined) this.prices.set(`${provider}\n${id}`, price);
        const name = typeof model.name === 'string' && model.name.length > 0 ? model.name : undefined;
        const releaseDate = typeof model.release_date === 'string' && /^\d{4}-\d{2}(-\d{2})?$/.test(model.release_date) ? model.release_date : undefined;
        if (name !== undefined || releaseDate !== undefined) this.labels.set(`${provider}\n${id}`, { ...(name ? { name } : {}), ...(releaseDate ? { releaseDate } : {}) });
        const entry = { id: `${provider}/${id}`, facts };
        this.index(id, entry);
        const slash = id.lastIndexOf('/');
        if (slash >= 0 && slash < id.length - 1) this.index(id.slice(slash + 1), entry);
        models++;
      }
      this.byProvider.set(provider, table);
    }
    if (models === 0) throw new CatalogFormatError('$', 'lists no model');
    this.providers = this.byProvider.size;
    this.models = models;
  }

  /** The facts of `model` as `provider` lists it. */
  lookup(provider: string, model: string): ModelFacts | undefined {
    return this.byProvider.get(provider)?.get(model);
  }

  /** The entry's display name and release date, when it states them. */
  labelOf(provider: string, model: string): { readonly name?: string; readonly releaseDate?: string } | undefined {
    return this.labels.get(`${provider}\n${model}`);
  }

  /** What `provider` charges for `model`, when the catalog states it. */
  priceOf(provider: string, model: string): CatalogPrice | undefined {
    return this.prices.get(`${provider}\n${model}`);
  }

  hasProvider(provider: string): boolean {
    return this.byProvider.has(provider);
  }

  /**
   * Every entry a model name stands for, whoever lists it: by its exact id first, then by its
   * last path segment (`vendor/name` -> `name`).
   */
  named(model: string): readonly CatalogEntry[] {
    const exact = this.byName.get(model);
    if (exact !== undefined) return exact;
    const slash = model.lastIndexOf('/');
    return slash >= 0 ? this.byName.get(model.slice(slash + 1)) ?? [] : [];
  }

  private index(name: string, entry: CatalogEntry): void {
    const list = this.byName.get(name);
    if (list === undefined) this.byName.set(name, [entry]);
    else if (!list.some((e) => e.id === entry.id)) list.push(entry);
  }
}

/**
 * A whole, positive token count, or undefined (the catalog writes 0 for "not stated"; a fraction
 * below one token is no limit either: a limit of 0 would leave every request out).
 */
function limitOf(limit: Json, key: string, path: string): number | undefined {
  const value = limit[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new CatalogFormatError(`${path}.limit.${key}`, 'expected a token count');
  const tokens = Math.floor(value);
  return tokens > 0 ? tokens : undefined;
}

function flagOf(model: Json, key: string, path: string): boolean | undefined {
  const value = model[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new CatalogFormatError(`${path}.${key}`, 'expected true or false');
  return value;
}

const PRICE_KEYS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;

/** A cost object's prices (input and output required); undefined when it states none. */
function pricesOf(cost: Json, path: string): Omit<CatalogPrice, 'tiers'> | undefined {
  const price: Record<string, number> = {};
  for (const key of PRICE_KEYS) {
    const value = cost[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new CatalogFormatError(`${path}.${key}`, 'expected a price');
    price[key] = value;
  }
  return price.input === undefined || price.output === undefined ? undefined : price as unknown as CatalogPrice;
}

/** `cost`, with `context_over_200k` and `tiers` (by context size) as tiers of long prompts. */
function priceOf(model: Json, path: string): CatalogPrice | undefined {
  const cost = model.cost;
  if (cost === undefined || cost === null) return undefined;
  if (!isObject(cost)) throw new CatalogFormatError(`${path}.cost`, 'expected an object');
  const base = pricesOf(cost, `${path}.cost`);
  if (base === undefined) return undefined;
  const tiers: (Omit<CatalogPrice, 'tiers'> & { above: number })[] = [];
  const over = cost.context_over_200k;
  if (isObject(over)) {
    const p = pricesOf(over, `${path}.cost.context_over_200k`);
    if (p) tiers.push({ ...p, above: 200_000 });
  }
  if (Array.isArray(cost.tiers)) {
    cost.tiers.forEach((tier, i) => {
      const tierPath = `${path}.cost.tiers[${i}]`;
      if (!isObject(tier) || !isObject(tier.tier) || typeof tier.tier.size !== 'number') throw new CatalogFormatError(tierPath, 'expected a tier with tier.size');
      const p = pricesOf(tier, tierPath);
      if (p) tiers.push({ ...p, above: tier.tier.size });
    });
  }
  tiers.sort((a, b) => b.above - a.above);
  return tiers.length > 0 ? { ...base, tiers } : base;
}

/** The facts routing uses; the rest of the entry (dates, names) is not read. */
function factsOf(model: Json, path: string): ModelFacts {
  const facts: { -readonly [K in FactName]?: ModelFacts[K] } = {};
  const limit = model.limit;
  if (limit !== undefined && limit !== null) {
    if (!isObject(limit)) throw new CatalogFormatError(`${path}.limit`, 'expected an object');
    for (const key of ['context', 'input', 'output'] as const) {
      const tokens = limitOf(limit, key, path);
      if (tokens !== undefined) facts[key] = tokens;
    }
  }
  const modalities = model.modalities;
  if (modalities !== undefined && modalities !== null) {
    if (!isObject(modalities)) throw new CatalogFormatError(`${path}.modalities`, 'expected an object');
    const input = modalities.input;
    if (input !== undefined) {
      if (!Array.isArray(input) || input.some((m) => typeof m !== 'string')) throw new CatalogFormatError(`${path}.modalities.input`, 'expected a list of modalities');
      // Names the catalog may add later are not lip's to judge.
      facts.modalities = [...new Set((input as string[]).filter((m) => MODALITIES.has(m)))].sort() as CatalogModality[];
    }
  }
  for (const [fact, key] of [['tools', 'tool_call'], ['reasoning', 'reasoning'], ['temperature', 'temperature']] as const) {
    const flag = flagOf(model, key, path);
    if (flag !== undefined) facts[fact] = flag;
  }
  // `true`, or the field the reasoning goes back in (`{field: "reasoning_content"}`).
  const interleaved = model.interleaved;
  if (typeof interleaved === 'boolean') facts.interleaved = interleaved;
  else if (isObject(interleaved)) facts.interleaved = true;
  else if (interleaved !== undefined && interleaved !== null) throw new CatalogFormatError(`${path}.interleaved`, 'expected true, false or an object');
  return facts;
}
