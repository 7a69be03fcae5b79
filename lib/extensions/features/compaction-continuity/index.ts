export { compactionContinuity, CONTINUITY_BRANCHES, CONTINUITY_DEFAULTS, CONTINUITY_JOBS, SHARED_RECHECK_MS, withDefaults, type BranchSource, type CompactionContinuityConfig, type CompactionContinuityInput } from './compaction-continuity.js';
export { COMPACTION_BOUNDARIES, COMPACTION_CONTINUITY, CONTINUITY_EVENTS, type ContinuityEvent } from './outcomes.js';
export { COMPACTION_RECORD_RULE, compactedSince, fingerprintOf, markerRule, postMarkerOf, startRuleOf, HEURISTIC } from './detect.js';
export { planFromCarriers, transcriptOf } from './source.js';
export { BLOCK_CLOSE, BLOCK_OPEN, capsuleOf, extractorInput, extractorInstructions, nextCapsule, parseExtraction, renderBlock, type Capsule, type PlanStep, type Preserve } from './capsule.js';
export { BranchStore, JobQueue } from './branches.js';
