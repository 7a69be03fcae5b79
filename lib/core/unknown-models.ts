import type { Config } from '../config/index.js';
import { LipError } from '../errors/index.js';
import { clipText } from '../observability/logger.js';
import type { SelectorSource } from './route-input.js';

/** Model names logged as unknown beyond this are not remembered (nor logged) any more: a client cannot grow the set. */
const MAX_REMEMBERED = 1_000;

/**
 * `routing.unknown_model`: what happens to a request whose `model` names no configured backend,
 * matches no alias and is no model a backend lists. `default` runs the default route, as lip
 * always did, and warns once per model name (an operator sees the typo or the missing alias);
 * `reject` answers 404 `LIP_ERR_ROUTE_UNKNOWN_MODEL` in the client's protocol. A request that
 * names its route in `X-LIP-Route`, or sends no model, is never an unknown model.
 * @see spec/core/unknown-models.spec.ts
 */
export class UnknownModels {
  private readonly known: ReadonlySet<string>;
  private readonly logged = new Set<string>();

  constructor(private readonly config: Config, private readonly logger?: { warn(message: string, meta?: Record<string, unknown>): unknown }) {
    const known = new Set<string>([config.routing.default_route.trim()]);
    for (const row of config.backends) if (row.enabled) for (const model of row.models) known.add(model);
    this.known = known;
  }

  /** The refusal for `model` resolved from `source`, or undefined to serve it (logging a first unknown name). */
  check(model: string, source: SelectorSource): LipError | undefined {
    const name = model.trim();
    if (source !== 'default' || name === '' || this.known.has(name)) return undefined;
    if (this.config.routing.unknown_model === 'reject') {
      return new LipError('LIP_ERR_ROUTE_UNKNOWN_MODEL',
        `the model "${name}" names no configured backend and matches no model alias; use backend:model (for example "${this.config.routing.default_route}") or GET /v1/models`, { param: 'model' });
    }
    // Remembered and logged as cut for a log line (names that differ only past the cut are one).
    const shown = clipText(name);
    if (!this.logged.has(shown) && this.logged.size < MAX_REMEMBERED) {
      this.logged.add(shown);
      this.logger?.warn('unknown model: served by the default route (logged once per model name; routing.unknown_model: reject refuses it)', {
        model: shown, default_route: this.config.routing.default_route,
      });
    }
    return undefined;
  }
}
