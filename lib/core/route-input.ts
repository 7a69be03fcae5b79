import { LipError } from '../errors/index.js';
import { applyAliases, type CompiledAlias } from '../routing/selector/aliases.js';
import { firstLeafBackend } from '../routing/selector/first-backend.js';

/**
 * The longest selector a request may bring (the `X-LIP-Route` header, or the model), and the
 * longest a selector may be after aliases, in UTF-16 code units. Beyond it the request is a
 * 400 before anything is parsed or cached, so parsing and compiled selectors stay bounded.
 * It is still far too long to keep once per request: what is kept per attempt cuts it further
 * (attempt rows to 256 characters, `clipRowText`; log lines and span attributes to 1,024), and
 * what is kept per candidate is bounded in count (circuits, compiled selectors, route logs).
 */
export const MAX_SELECTOR_INPUT_CHARS = 4_096;

export type SelectorSource = 'header' | 'model' | 'alias' | 'default';

export interface RouteInput {
  /** The `X-LIP-Route` header, if any. */
  readonly header?: string;
  /** The model from the request body or path. */
  readonly model: string;
}

export interface ResolvedSelector {
  readonly selector: string;
  readonly source: SelectorSource;
}

/**
 * Which selector a request runs (CONTRACT section 4), in order: the `X-LIP-Route` header; the
 * model when its first leaf names a configured backend id; a model alias matching the model;
 * otherwise the default route. Aliases apply to every one of them.
 * @throws LipError LIP_ERR_REQUEST_LIMIT_EXCEEDED (400) for a header or model longer than
 *   MAX_SELECTOR_INPUT_CHARS (checkSelectorLength).
 */
export function resolveSelector(input: RouteInput, backendIds: ReadonlySet<string>, aliases: readonly CompiledAlias[], defaultRoute: string): ResolvedSelector {
  if (input.header !== undefined) checkSelectorLength(input.header, 'the X-LIP-Route header', 'X-LIP-Route');
  checkSelectorLength(input.model, 'the model', 'model');
  const header = input.header?.trim();
  if (header) return { selector: applyAliases(header, aliases).selector, source: 'header' };
  const model = input.model.trim();
  if (model) {
    const backend = firstLeafBackend(model);
    if (backend !== undefined && backendIds.has(backend)) return { selector: applyAliases(model, aliases).selector, source: 'model' };
    const aliased = applyAliases(model, aliases);
    if (aliased.alias) return { selector: aliased.selector, source: 'alias' };
  }
  return { selector: applyAliases(defaultRoute, aliases).selector, source: 'default' };
}

/**
 * Refuses selector text longer than MAX_SELECTOR_INPUT_CHARS: `what` names it in the message,
 * `param` in the error's field.
 * @throws LipError LIP_ERR_REQUEST_LIMIT_EXCEEDED (400).
 */
export function checkSelectorLength(text: string, what: string, param: string): void {
  if (text.length <= MAX_SELECTOR_INPUT_CHARS) return;
  throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `${what} is ${text.length} characters long; a selector may have at most ${MAX_SELECTOR_INPUT_CHARS} (column ${MAX_SELECTOR_INPUT_CHARS + 1})`, { param });
}
