import type { Config } from '../config/index.js';
import { codexClientCompat } from './features/codex-client-compat/index.js';
import { compactionContinuity } from './features/compaction-continuity/index.js';
import { requestTag } from './features/request-tag/index.js';
import { partsNoop } from './features/parts-noop/index.js';
import { preRequestPolicy } from './features/pre-request-policy/index.js';
import { refAutoappendFile } from './features/ref-autoappend-file/index.js';
import { refRequestSuffix } from './features/ref-request-suffix/index.js';
import { refSubmitAnnotate } from './features/ref-submit-annotate/index.js';
import { refToolPolicy } from './features/ref-tool-policy/index.js';
import { refToolPrefix } from './features/ref-tool-prefix/index.js';
import { refTrafficTranscript } from './features/ref-traffic-transcript/index.js';
import { refVerifierStub } from './features/ref-verifier-stub/index.js';
import { reasoningOutputPreservation } from './features/reasoning-output-preservation/index.js';
import { refWorkspaceGuard } from './features/ref-workspace-guard/index.js';
import { secretsGuard } from './features/secrets-guard/index.js';
import { submitNoop } from './features/submit-noop/index.js';
import { toolCallRepair } from './features/tool-call-repair/index.js';
import { toolReactorNoop } from './features/tool-reactor-noop/index.js';
import type { FeatureFactory } from './sdk.js';

/**
 * Feature id -> factory: what `features[].id` may name. The config loader validates each row's
 * `config` against its factory's schema; the runtime builds the enabled rows. Bundled plugins
 * are added here; tests add their own with `registerFeature`.
 */
export const FEATURE_FACTORIES: Record<string, FeatureFactory<never>> = {
  [requestTag.id]: requestTag as FeatureFactory<never>,
  [toolCallRepair.id]: toolCallRepair as FeatureFactory<never>,
  [secretsGuard.id]: secretsGuard as FeatureFactory<never>,
  [submitNoop.id]: submitNoop as FeatureFactory<never>,
  [partsNoop.id]: partsNoop as FeatureFactory<never>,
  [toolReactorNoop.id]: toolReactorNoop as FeatureFactory<never>,
  [refSubmitAnnotate.id]: refSubmitAnnotate as FeatureFactory<never>,
  [refRequestSuffix.id]: refRequestSuffix as FeatureFactory<never>,
  [refToolPrefix.id]: refToolPrefix as FeatureFactory<never>,
  [refAutoappendFile.id]: refAutoappendFile as FeatureFactory<never>,
  [preRequestPolicy.id]: preRequestPolicy as FeatureFactory<never>,
  [refToolPolicy.id]: refToolPolicy as FeatureFactory<never>,
  [refVerifierStub.id]: refVerifierStub as FeatureFactory<never>,
  [refTrafficTranscript.id]: refTrafficTranscript as FeatureFactory<never>,
  [refWorkspaceGuard.id]: refWorkspaceGuard as FeatureFactory<never>,
  [codexClientCompat.id]: codexClientCompat as FeatureFactory<never>,
  [reasoningOutputPreservation.id]: reasoningOutputPreservation as FeatureFactory<never>,
  [compactionContinuity.id]: compactionContinuity as FeatureFactory<never>,
};

/**
 * The feature rows a runtime builds: the file's rows, then a row with the default config for
 * every `enabledByDefault` factory the file does not mention (an `enabled: false` row opts out).
 */
export function featureRows(rows: Config['features'], factories: Readonly<Record<string, FeatureFactory<never>>> = FEATURE_FACTORIES): Config['features'] {
  let out = rows;
  for (const [id, factory] of Object.entries(factories)) {
    if (factory.enabledByDefault && !rows.some((row) => row.id === id)) out = [...out, { id, enabled: true, config: {} }];
  }
  return out;
}

/**
 * Adds a factory (tests register in-test plugins this way); returns the function that removes
 * it again. Registering an id twice is a programming error.
 */
export function registerFeature<C>(factory: FeatureFactory<C>): () => void {
  if (Object.prototype.hasOwnProperty.call(FEATURE_FACTORIES, factory.id)) throw new Error(`feature "${factory.id}" is already registered`);
  FEATURE_FACTORIES[factory.id] = factory as unknown as FeatureFactory<never>;
  return () => {
    if (FEATURE_FACTORIES[factory.id] === (factory as unknown)) delete FEATURE_FACTORIES[factory.id];
  };
}
