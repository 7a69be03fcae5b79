import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { describeExtensions, type OccupancyEntry, type StageId } from '../extensions/index.js';

/**
 * What a config serves: frontends, backends with their models as selectors, feature rows, and
 * the extension stages in order with the hooks that occupy each. `lip inventory` prints it;
 * `GET /admin/inventory` answers it for the running runtime (`occupancy` from its host).
 */
export function inventory(config: Config, occupancy?: Record<StageId, OccupancyEntry[]>) {
  const extensions = describeExtensions(config, occupancy);
  return {
    frontends: config.frontends.map((f) => ({ id: f.id, enabled: f.enabled })),
    backends: config.backends.map((b) => {
      const fallback = BACKEND_KINDS[b.kind]?.defaultModel;
      const models = b.models.length > 0 ? b.models : fallback ? [fallback] : [];
      return { id: b.id, kind: b.kind, enabled: b.enabled, models: models.map((m) => ({ id: m, selector: `${b.id}:${m}` })) };
    }),
    features: extensions.features,
    available_features: extensions.available_features,
    stages: extensions.stages,
  };
}
