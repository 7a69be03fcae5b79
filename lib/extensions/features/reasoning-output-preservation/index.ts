export { reasoningOutputPreservation, PRESERVED_TURNS, PRESERVATION_DEFAULTS, type ReasoningPreservationConfig } from './reasoning-output-preservation.js';
export { REASONING_PRESERVATION, PRESERVATION_OUTCOMES, type PreservationOutcome } from './outcomes.js';
export { BUILTIN_FAMILIES, matchTarget, type PreservationRule } from './eligibility.js';
export { turnShape, withReasoning } from './turn-anchor.js';
export { TurnStore } from './turn-store.js';
