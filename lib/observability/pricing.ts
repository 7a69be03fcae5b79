import type { Usage } from '../canonical/index.js';
import type { PriceConfig as PriceRow } from '../config/index.js';

/** One attempt's tokens split by how each is priced (they add up to input + output). */
export interface TokenSplit {
  readonly uncachedInput: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  readonly visibleOutput: number;
  readonly reasoning: number;
}

/**
 * Splits a usage snapshot (lip's canonical convention: `inputTokens` includes cache reads and
 * writes, `outputTokens` includes reasoning) into disjoint priced parts. Providers that report
 * cache or thinking counts on top of input and output (Anthropic, Gemini) were converted to this
 * convention by their codecs, so the arithmetic is the same for every provider.
 */
export function splitTokens(usage: Usage): TokenSplit {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const cacheRead = Math.min(usage.cacheReadTokens ?? 0, input);
  const cacheWrite = Math.min(usage.cacheWriteTokens ?? 0, input - cacheRead);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, output);
  return { uncachedInput: input - cacheRead - cacheWrite, cacheRead, cacheWrite, visibleOutput: output - reasoning, reasoning };
}

/**
 * The `pricing:` table: the cost of an attempt from its usage, in the table's currency.
 * A `backend` + `model` row wins over the backend's row without `model`, and either over the
 * fallback (the model catalog's prices); no price, no cost (undefined, not 0: "not priced" is
 * not "free").
 *
 * ```
 * pricing: [{ backend: openai, model: gpt-4o, input: 2.5, output: 10, cache_read: 1.25 }]
 * 1000 input (200 cached), 100 output -> (800 * 2.5 + 200 * 1.25 + 100 * 10) / 1e6 = 0.00325
 * ```
 * @see spec/observability/pricing.spec.ts
 */
export class Pricing {
  private readonly rows = new Map<string, PriceRow>();

  /**
   * @param fallback prices an attempt no row prices (the model catalog's, `model_catalog.prices`),
   * from its backend, model and input tokens.
   */
  constructor(rows: readonly PriceRow[], private readonly fallback?: (backend: string, model: string, inputTokens: number) => PriceRow | undefined) {
    for (const row of rows) this.rows.set(row.model === undefined ? `${row.backend}\n` : `${row.backend}\n${row.model}`, row);
  }

  get empty(): boolean {
    return this.rows.size === 0 && this.fallback === undefined;
  }

  /** The row that prices `backend`'s `model`, if any. */
  rowFor(backend: string, model: string): PriceRow | undefined {
    return this.rows.get(`${backend}\n${model}`) ?? this.rows.get(`${backend}\n`);
  }

  /**
   * The cost of `usage` and `webSearches` hosted web searches on `backend`/`model` (searches at
   * the row's `web_search` price per thousand, none when it has none); undefined when no row
   * prices it or nothing was reported.
   */
  cost(backend: string, model: string, usage: Usage, webSearches = 0): number | undefined {
    const row = this.rowFor(backend, model) ?? this.fallback?.(backend, model, usage.inputTokens ?? 0);
    const searches = webSearches > 0 && row?.web_search !== undefined ? webSearches * row.web_search / 1000 : 0;
    if (row === undefined || (usage.inputTokens === undefined && usage.outputTokens === undefined && searches === 0)) return undefined;
    const t = splitTokens(usage);
    const micro = t.uncachedInput * row.input + t.cacheRead * (row.cache_read ?? row.input) + t.cacheWrite * (row.cache_write ?? row.input)
      + t.visibleOutput * row.output + t.reasoning * (row.reasoning ?? row.output);
    return micro / 1_000_000 + searches;
  }
}
