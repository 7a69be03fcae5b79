export { secretsGuard, SECRET_GUARD_MATCHES, type SecretsGuardConfig } from './secrets-guard.js';
export { BUILTIN_DETECTORS, type Detector } from './detectors.js';
