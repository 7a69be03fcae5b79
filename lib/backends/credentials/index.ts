export { KeyPool, DEFAULT_COOLDOWN_MS, type KeyLease, type KeyPoolState } from './key-pool.js';
export { keysFromRow, keySourceHint } from './keys-from-row.js';
