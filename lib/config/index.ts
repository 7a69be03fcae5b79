export * from './types.js';
export { ConfigError, formatIssue, type ConfigIssue } from './config-error.js';
export { loadConfigFile, loadDefaultConfig, parseConfig, readConfigText, formatPath, EMBEDDED_DEFAULT_NAME, EMBEDDED_DEFAULT_PATH, type LoadOptions } from './load-config.js';
export { parseDuration, parseSize, formatDuration } from './units.js';
export { readEnvPool } from './secrets.js';
export { isLoopbackHost } from './loopback.js';
export { reloadProblems } from './check-reload.js';
export { checkAccess, operatorSurfaces, parseListen, MIN_SECRET_CODE_POINTS, type AccessProblem, type AccessSettings } from './check-access.js';
export { configChanges, withRestartFieldsKept, RESTART_ONLY_FIELDS } from './config-changes.js';
