export { KeyPool, DEFAULT_COOLDOWN_MS, QUOTA_COOLDOWN_MS, keyFingerprint, type KeyLease, type KeyPoolState, type KeyPoolOptions, type KeyPoolView, type SharedCooldowns } from './key-pool.js';
export { keysFromRow, keySourceHint } from './keys-from-row.js';
export { KeyStates, keyScope, type KeyState } from './key-states.js';
export { LOCAL_RENEWALS, type Renewal, type RenewalFailure, type RenewalResult, type Renewed, type SharedRenewals } from './shared-renewals.js';
