export { KeyPool, DEFAULT_COOLDOWN_MS, keyFingerprint, type KeyLease, type KeyPoolState, type KeyPoolView, type SharedCooldowns } from './key-pool.js';
export { keysFromRow, keySourceHint } from './keys-from-row.js';
