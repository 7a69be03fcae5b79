import type { Config } from '../config/index.js';
import { buildFeatures } from './create-extension-host.js';
import { HookSet, type OccupancyEntry } from './hook-set.js';
import { FEATURE_FACTORIES, featureRows } from './registry.js';
import type { FeatureFactory } from './sdk.js';
import { DEFAULT_FAILURE_MODE, STAGE_IDS, STAGE_ROLES, type StageId } from './stages.js';
import { MemoryStateStore } from './state-store.js';

/** One stage as the inventory shows it. */
export interface StageReport {
  readonly id: StageId;
  readonly role: string;
  readonly default_failure_mode: string;
  /** The hooks that run there, in run order (`core` for attempt_lifecycle). */
  readonly hooks: readonly OccupancyEntry[] | 'core';
}

export interface ExtensionsReport {
  readonly features: readonly { id: string; enabled: boolean; order: number | null; description: string | null }[];
  readonly available_features: readonly string[];
  readonly stages: readonly StageReport[];
}

/** The stage table with each stage's occupancy. */
export function stageReport(occupancy: Record<StageId, OccupancyEntry[]> | undefined): StageReport[] {
  return STAGE_IDS.map((id) => ({
    id, role: STAGE_ROLES[id], default_failure_mode: DEFAULT_FAILURE_MODE[id],
    hooks: id === 'attempt_lifecycle' ? 'core' : occupancy?.[id] ?? [],
  }));
}

/**
 * What `lip inventory` and `GET /admin/inventory` say about extensions: the configured feature
 * rows, the ids this build knows, the stage order and occupancy. With `occupancy` (a running
 * host's) nothing is built; otherwise the enabled rows' factories run (no lifecycle starts).
 */
export function describeExtensions(config: Config, occupancy?: Record<StageId, OccupancyEntry[]>, factories: Readonly<Record<string, FeatureFactory<never>>> = FEATURE_FACTORIES): ExtensionsReport {
  let stages = occupancy;
  const rows = featureRows(config.features, factories);
  if (stages === undefined) {
    const enabled = rows.filter((row) => row.enabled && factories[row.id]);
    stages = enabled.length === 0 ? undefined : new HookSet(buildFeatures(enabled, new MemoryStateStore(), { factories })).occupancy();
  }
  return {
    features: rows.map((row) => ({ id: row.id, enabled: row.enabled, order: row.order ?? null, description: factories[row.id]?.description ?? null })),
    available_features: Object.keys(factories).sort(),
    stages: stageReport(stages),
  };
}
