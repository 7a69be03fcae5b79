import { defer, type Observable } from 'rxjs';
import type { Call, LipEvent } from '../canonical/index.js';
import type { Backend } from '../backends/backend.js';
import type { Config } from '../config/index.js';
import { LipError } from '../errors/index.js';
import { compileAliases, type CompiledAlias } from '../routing/selector/aliases.js';
import { firstLeafBackend } from '../routing/selector/first-backend.js';
import { holdUntilOutput } from '../routing/operators/hold-until-output.js';
import { observeAttempt } from './attempt.js';
import { resolveSelector, type SelectorSource } from './route-input.js';

/** Filled in by the executor while a request runs; the server reads it for response headers. */
export interface ExecutionMeta {
  selector?: string;
  selectorSource?: SelectorSource;
  /** The candidate that served (or is serving): `backend:model[?query]`. */
  candidateKey?: string;
  backendId?: string;
}

export interface ExecuteContext {
  readonly requestId: string;
  /** `X-LIP-Route`, when the client sent one. */
  readonly routeHeader?: string;
  readonly meta: ExecutionMeta;
}

/**
 * The core seam: `Call -> Observable<LipEvent>`. Cold: nothing happens until the frontend
 * subscribes, and unsubscribing cancels the upstream. Resolves the selector (header, model,
 * alias, default route), picks the backend and wraps its source with attempt reporting and the
 * commit gate (lifecycle events are held until the first output).
 */
export class Executor {
  private readonly aliases: CompiledAlias[];
  private readonly backendIds: ReadonlySet<string>;
  private readonly defaultBackend: string | undefined;

  constructor(private readonly config: Config, private readonly backends: ReadonlyMap<string, Backend>) {
    this.aliases = compileAliases(config.model_aliases);
    this.backendIds = new Set(config.backends.map((b) => b.id));
    this.defaultBackend = firstLeafBackend(config.routing.default_route);
  }

  execute(call: Call, ctx: ExecuteContext): Observable<LipEvent> {
    return defer(() => {
      const resolved = resolveSelector({ model: call.model, ...(ctx.routeHeader ? { header: ctx.routeHeader } : {}) },
        this.backendIds, this.aliases, this.config.routing.default_route);
      ctx.meta.selector = resolved.selector;
      ctx.meta.selectorSource = resolved.source;
      const leaf = parseSingleLeaf(resolved.selector);
      const backendId = leaf.backend ?? this.defaultBackend;
      const backend = backendId === undefined ? undefined : this.backends.get(backendId);
      if (!backend) {
        const configured = this.config.backends.find((b) => b.id === backendId);
        throw new LipError('LIP_ERR_ROUTE_UNKNOWN_BACKEND', configured
          ? `backend "${backendId}" is disabled`
          : `no backend "${backendId ?? ''}" is configured (selector "${resolved.selector}")`);
      }
      const candidateKey = `${backend.id}:${leaf.model}${leaf.query ? `?${leaf.query}` : ''}`;
      ctx.meta.candidateKey = candidateKey;
      ctx.meta.backendId = backend.id;
      const source = backend.stream(call, { model: leaf.model, candidateKey });
      return observeAttempt(source, { requestId: ctx.requestId, candidateKey, backendId: backend.id }).pipe(holdUntilOutput());
    });
  }
}

interface Leaf {
  readonly backend?: string;
  readonly model: string;
  readonly query?: string;
}

/** One `backend:model[?query]` or model-only leaf. */
function parseSingleLeaf(selector: string): Leaf {
  const at = selector.search(/[|^!{}[\]]/);
  if (at >= 0) {
    throw new LipError('LIP_ERR_ROUTE_INVALID_SELECTOR', `column ${at + 1}: "${selector[at]}" needs the routing operators, which this build does not include yet; use backend:model`);
  }
  const [path, query] = splitOnce(selector.trim(), '?');
  const colon = path.indexOf(':');
  const backend = colon < 0 ? undefined : path.slice(0, colon).trim();
  const model = (colon < 0 ? path : path.slice(colon + 1)).trim();
  if (!model) throw new LipError('LIP_ERR_ROUTE_INVALID_SELECTOR', `column ${selector.length + 1}: the selector "${selector}" names no model`);
  return { ...(backend ? { backend } : {}), model, ...(query ? { query } : {}) };
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}
