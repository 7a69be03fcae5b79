import type { Config } from '../config/index.js';
import { compileAliases } from '../routing/selector/aliases.js';
import { leavesOf } from '../routing/selector/candidate-key.js';
import { parseSelector } from '../routing/selector/parse-selector.js';
import { defaultBackendFor, resolveModelOnly } from '../routing/selector/resolve-model-only.js';
import { resolveSelector } from './route-input.js';

/**
 * The candidate a request would try first (header, model, alias or default route, as for a
 * generation): its backend id and model. For side calls that go to one upstream without the
 * routing machinery, such as Anthropic's token counting.
 * @throws LipError for a selector that does not parse (a 400, as for a generation).
 *
 * ```ts
 * firstCandidate(config, ids, 'claude:claude-sonnet-4-6') // { backend: 'claude', model: 'claude-sonnet-4-6' }
 * ```
 * @see spec/e2e/count-tokens.spec.ts
 */
export function firstCandidate(config: Config, backendIds: ReadonlySet<string>, model: string, header?: string): { backend: string; model: string } | undefined {
  const aliases = compileAliases(config.model_aliases);
  const resolved = resolveSelector({ model, ...(header !== undefined ? { header } : {}) }, backendIds, aliases, config.routing.default_route);
  const selector = resolveModelOnly(parseSelector(resolved.selector), defaultBackendFor(config.routing.default_route, aliases));
  const leaf = selector.arms[0] ? leavesOf(selector.arms[0])[0] : undefined;
  return leaf?.backend !== undefined ? { backend: leaf.backend, model: leaf.model } : undefined;
}
