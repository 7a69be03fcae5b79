export { CatalogSnapshot, CatalogFormatError, FACT_NAMES, type ModelFacts, type FactName, type CatalogEntry, type CatalogPrice } from './snapshot.js';
export { CatalogSource, type CatalogSourceSettings, type CatalogSourceStatus, type CatalogSourceDeps, type RefreshOutcome } from './catalog-source.js';
export { CatalogPolicy, type ResolvedFacts, type MatchKind, type FactSource } from './catalog-policy.js';
export { CatalogGate, extensionFacts, needsOf, type RequestNeeds } from './catalog-gate.js';
export { MODEL_CATALOG_COUNTS, countCatalog, type CatalogEvent } from './counts.js';
export { catalogDiagnostics } from './diagnostics.js';
