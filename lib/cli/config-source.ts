import { BACKEND_KIND_INFO } from '../backends/registry.js';
import { FRONTEND_IDS, PROTOCOL_PATHS } from '../frontends/registry.js';
import { checkSelector } from '../core/check-selector.js';
import { FEATURE_FACTORIES } from '../extensions/registry.js';
import { loadConfigFile, loadDefaultConfig, parseConfig, type Config, type LoadOptions } from '../config/index.js';

export { configPath } from './config-path.js';

export const LOAD_OPTIONS: LoadOptions = { backendKinds: BACKEND_KIND_INFO, frontendIds: FRONTEND_IDS, featureKinds: FEATURE_FACTORIES, checkSelector, protocolPaths: PROTOCOL_PATHS };

/** Loads the chosen config file, or the embedded default when none is given. */
export function loadConfig(path: string | undefined, options: Partial<LoadOptions> = {}): Config {
  const merged = { ...LOAD_OPTIONS, ...options };
  return path === undefined ? loadDefaultConfig(merged) : loadConfigFile(path, merged);
}

/**
 * The config file's text as someone else read it (the primary of `lip serve --workers`, so that
 * every worker reloads the same text), or, without text, the file itself.
 */
export function loadConfigText(path: string | undefined, text: string | undefined): Config {
  if (text !== undefined && path !== undefined) return parseConfig(text, path, LOAD_OPTIONS);
  // A reload: the path must be a regular file (a pipe would block the serving thread).
  return path === undefined ? loadDefaultConfig(LOAD_OPTIONS) : loadConfigFile(path, LOAD_OPTIONS, true);
}
