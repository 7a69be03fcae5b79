import { LipError } from '../errors/index.js';
import type { Selector } from '../routing/selector/ast.js';
import { leavesOf } from '../routing/selector/candidate-key.js';
import { parseSelector } from '../routing/selector/parse-selector.js';
import { resolveModelOnly } from '../routing/selector/resolve-model-only.js';

export interface CompiledSelector {
  readonly selector: Selector;
  /** Some leaf filters on the request size, so the executor must estimate it. */
  readonly needsSizeEstimate: boolean;
}

/**
 * Parsed, model-only-resolved and backend-checked selectors by text, so a request pays for
 * parsing only the first time its selector is seen. Bounded (oldest entries go first);
 * failures are cached too, as the LipError to throw.
 */
export class CompiledSelectors {
  private readonly cache = new Map<string, CompiledSelector | LipError>();

  constructor(
    private readonly defaultBackend: string | undefined,
    private readonly enabled: ReadonlySet<string>,
    private readonly configured: ReadonlySet<string>,
    private readonly capacity = 512,
  ) {}

  get(text: string): CompiledSelector {
    let entry = this.cache.get(text);
    if (entry === undefined) {
      entry = this.compile(text);
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(text, entry);
    }
    if (entry instanceof LipError) throw entry;
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
      return { selector, needsSizeEstimate: leaves.some((l) => l.maxContext !== undefined || l.minContext !== undefined) };
    } catch (err) {
      if (err instanceof LipError) return err;
      throw err;
    }
  }
}
