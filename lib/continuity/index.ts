export * from './continuity-store.js';
export { createContinuityStore, type ContinuityDeps } from './create-continuity-store.js';
export { recordAttempt, defaultFailureOutcome, type RecordAttemptOptions } from './record-attempt.js';
export { assistantMessage, conversationMessages, UNLABELED_REASONING_DIALECT } from './rebuild-conversation.js';
export { MemoryContinuityStore, MEMORY_DEFAULTS, type MemoryStoreOptions } from './memory-store.js';
export { SqliteContinuityStore, SQLITE_DEFAULTS, type SqliteStoreOptions } from './sqlite-store.js';
export { isPermanentSqliteError } from './sqlite-database.js';
export { SESSION_ID_PATTERN, newALegId, newBLegId, newSessionId } from './ids.js';
export { MIGRATIONS, migrate, type Migration, type MigrationResult } from './sqlite-migrations.js';
