import { LipError } from '../errors/index.js';
import type { Selector } from '../routing/selector/ast.js';
import { leavesOf } from '../routing/selector/candidate-key.js';
import { parseSelector } from '../routing/selector/parse-selector.js';
import { resolveModelOnly } from '../routing/selector/resolve-model-only.js';
import { checkSelectorLength, type SelectorSource } from './route-input.js';

export interface CompiledSelector {
  readonly selector: Selector;
  /** Some leaf filters on the request size, so the executor must estimate it. */
  readonly needsSizeEstimate: boolean;
  /** It reads or writes the A-leg's routing state (`[first]`, `{affinity=session}`). */
  readonly needsSessionState: boolean;
}

/** Distinct selectors kept compiled (each at most MAX_SELECTOR_INPUT_CHARS of text, but the default route). */
export const DEFAULT_SELECTOR_CACHE_ENTRIES = 512;

/**
 * How a refusal of a selector names where it came from, when not from the model (whose words
 * the cached errors use): the request field (`param`) and the words before the message.
 */
const ORIGINS: Readonly<Partial<Record<SelectorSource, { readonly param?: string; readonly words: string }>>> = {
  header: { param: 'X-LIP-Route', words: 'the X-LIP-Route header, ' },
  default: { words: 'the default route (routing.default_route), ' },
};

/**
 * Parsed, model-only-resolved and backend-checked selectors by text, so a request pays for
 * parsing only the first time its selector is seen. Failures are cached too, as the LipError
 * to throw. Bounded twice, because its keys are client input: by entries (least recently
 * used goes first) and by entry length (text longer than MAX_SELECTOR_INPUT_CHARS is refused
 * before it is parsed or kept), so 30,000 distinct long selectors hold at most `capacity`
 * entries of at most 4 KiB of text each. The default route (`source` 'default', configured
 * text of at most MAX_SELECTOR_CHARS) is not held to the request limit.
 * @see spec/core/compiled-selectors.spec.ts
 */
export class CompiledSelectors {
  private readonly cache = new Map<string, CompiledSelector | LipError>();

  constructor(
    private readonly defaultBackend: string | undefined,
    private readonly enabled: ReadonlySet<string>,
    private readonly configured: ReadonlySet<string>,
    private readonly capacity = DEFAULT_SELECTOR_CACHE_ENTRIES,
  ) {}

  /** Entries held now (at most `capacity`). */
  get size(): number {
    return this.cache.size;
  }

  /**
   * The compiled selector for `text` (after aliases); throws its cached LipError when it is
   * invalid, naming where the selector came from (`source`: the model unless told otherwise).
   */
  get(text: string, source: SelectorSource = 'model'): CompiledSelector {
    let entry = this.cache.get(text);
    if (entry === undefined) {
      // The request limit is for selectors a request brings (its header, its model, what an
      // alias makes of them); the configured default route may be as long as the parser takes.
      if (source !== 'default') checkSelectorLength(text, 'the selector (after aliases)', 'model');
      entry = this.compile(text);
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    } else {
      this.cache.delete(text); // re-inserted below: Map order is recency order
    }
    this.cache.set(text, entry);
    if (entry instanceof LipError) throw namedFor(entry, source);
    return entry;
  }

  private compile(text: string): CompiledSelector | LipError {
    try {
      const selector = resolveModelOnly(parseSelector(text), this.defaultBackend);
      const leaves = selector.arms.flatMap(leavesOf);
      for (const leaf of leaves) {
        const backend = leaf.backend ?? '';
        if (this.enabled.has(backend)) continue;
        return new LipError('LIP_ERR_ROUTE_UNKNOWN_BACKEND', this.configured.has(backend)
          ? `column ${leaf.column}: backend "${backend}" is disabled`
          : `column ${leaf.column}: no backend "${backend}" is configured (known: ${[...this.enabled].join(', ')})`, { param: 'model' });
      }
      return {
        selector,
        needsSizeEstimate: leaves.some((l) => l.maxContext !== undefined || l.minContext !== undefined),
        needsSessionState: selector.global.affinity === 'session' || selector.arms.some((arm) => arm.type === 'weighted' && arm.branches.some((b) => b.first)),
      };
    } catch (err) {
      if (err instanceof LipError) return err;
      throw err;
    }
  }
}

/**
 * A backend refusal (cached in the model's words: `param` model) as said of a selector from
 * elsewhere: the `X-LIP-Route` header, the default route. Parse errors name no field and stay.
 */
function namedFor(err: LipError, source: SelectorSource): LipError {
  const origin = ORIGINS[source];
  if (origin === undefined || err.code !== 'LIP_ERR_ROUTE_UNKNOWN_BACKEND') return err;
  return new LipError(err.code, `${origin.words}${err.message}`, origin.param === undefined ? {} : { param: origin.param });
}
