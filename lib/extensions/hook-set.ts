import type { FeatureBundle, HookBase } from './sdk.js';
import { DEFAULT_FAILURE_MODE, STAGE_IDS, type FailureMode, type StageId } from './stages.js';

/** The bundle's hook lists (every field except the lifecycles). */
export type HookListName = Exclude<keyof FeatureBundle, 'start' | 'stop' | 'diagnostics'>;
type HookOf<L extends HookListName> = NonNullable<FeatureBundle[L]>[number];

/** Which stage each list of a bundle runs at. */
export const LIST_STAGES: Readonly<Record<HookListName, StageId>> = {
  sessionOpeners: 'session_open',
  secretGuards: 'secret_guard',
  submitHooks: 'submit_request',
  toolCatalogFilters: 'tool_catalog_filter',
  requestTransforms: 'request_wide_shaping',
  requestParts: 'request_wide_shaping',
  preRequest: 'pre_request_admission',
  routeHints: 'route_hinting',
  attemptTransforms: 'candidate_attempt_transform',
  eventMutators: 'stream_event_mutation',
  toolFinalizers: 'tool_event_reaction',
  toolPolicies: 'tool_event_reaction',
  toolReactors: 'tool_event_reaction',
  completionGates: 'completion_gating',
  streamObservers: 'final_stream_observation',
  trafficRedactors: 'traffic_observation',
  trafficObservers: 'traffic_observation',
};

/** The methods a hook of each list answers by (a stream observer: either; every other list: its one). */
export const LIST_METHODS: Readonly<Record<HookListName, readonly string[]>> = {
  sessionOpeners: ['run'],
  secretGuards: ['run'],
  submitHooks: ['run'],
  toolCatalogFilters: ['run'],
  requestTransforms: ['run'],
  requestParts: ['shape'],
  preRequest: ['run'],
  routeHints: ['hint'],
  attemptTransforms: ['transform'],
  eventMutators: ['mutate'],
  toolFinalizers: ['react'],
  toolPolicies: ['decide'],
  toolReactors: ['react'],
  completionGates: ['gate'],
  streamObservers: ['event', 'end'],
  trafficRedactors: ['redact'],
  trafficObservers: ['observe'],
};

/** A bundle's lifecycles and diagnostics (its keys besides the hook lists). */
export const BUNDLE_FUNCTIONS = ['start', 'stop', 'diagnostics'] as const satisfies readonly Exclude<keyof FeatureBundle, HookListName>[];

const LIST_NAMES = Object.keys(LIST_STAGES) as HookListName[];

/** One hook placed in its stage, with the feature it belongs to and its effective settings. */
export interface Registered<H extends HookBase = HookBase> {
  readonly feature: string;
  readonly hook: H;
  readonly stage: StageId;
  readonly order: number;
  readonly mode: FailureMode;
  /** `feature/hook`: the key of fail-open logs. */
  readonly key: string;
}

/** A feature row, built: its id, the row's `order` and the bundle its factory returned. */
export interface BuiltFeature {
  readonly id: string;
  readonly order?: number;
  readonly bundle: FeatureBundle;
}

/** One line of the inventory's stage occupancy. */
export interface OccupancyEntry {
  readonly feature: string;
  readonly hook: string;
  readonly list: HookListName;
  readonly order: number;
  readonly failure_mode: FailureMode;
}

/**
 * Every hook of the enabled features, sorted within its stage by order then id (then feature
 * id, so that two features' equal ids still sort the same way every time).
 */
export class HookSet {
  private readonly lists = new Map<HookListName, Registered[]>();

  constructor(features: readonly BuiltFeature[]) {
    for (const name of LIST_NAMES) {
      const stage = LIST_STAGES[name];
      const placed: Registered[] = [];
      for (const feature of features) {
        for (const hook of (feature.bundle[name] ?? []) as readonly HookBase[]) {
          placed.push({
            feature: feature.id, hook, stage,
            order: feature.order ?? hook.order ?? 100,
            mode: hook.failureMode ?? DEFAULT_FAILURE_MODE[stage],
            key: `${feature.id}/${hook.id}`,
          });
        }
      }
      placed.sort((a, b) => a.order - b.order || cmp(a.hook.id, b.hook.id) || cmp(a.feature, b.feature));
      this.lists.set(name, placed);
    }
  }

  /** The sorted hooks of one list, without those of `disabled` features (an auxiliary call's caller). */
  get<L extends HookListName>(name: L, disabled?: ReadonlySet<string>): readonly Registered<HookOf<L>>[] {
    const all = this.lists.get(name) as Registered<HookOf<L>>[];
    return disabled === undefined || disabled.size === 0 ? all : all.filter((r) => !disabled.has(r.feature));
  }

  has(name: HookListName): boolean {
    return this.lists.get(name)!.length > 0;
  }

  /** Which hooks run at each stage, in stage order then run order. */
  occupancy(): Record<StageId, OccupancyEntry[]> {
    const out = Object.fromEntries(STAGE_IDS.map((s) => [s, [] as OccupancyEntry[]])) as Record<StageId, OccupancyEntry[]>;
    for (const name of LIST_NAMES) {
      for (const r of this.lists.get(name)!) out[r.stage].push({ feature: r.feature, hook: r.hook.id, list: name, order: r.order, failure_mode: r.mode });
    }
    return out;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
