import type { BackendDeps, BackendRow } from '../backend.js';

/**
 * The API keys of a backend row, in order: `api_key`, then `api_keys`, then the environment
 * pool named by `api_key_env` (`NAME`, `NAME_2` ... `NAME_32`, CONTRACT section 6). A row
 * with none of the three reads the kind's default variable (`OPENAI_API_KEY`, ...), when the
 * kind has one. Blank entries and duplicates are dropped. A row with `auth: none` has none: it
 * sends no key, so it keeps none a 401 could retire.
 *
 * ```ts
 * keysFromRow({ id: 'o', kind: 'openai-chat', models: [], api_key_env: 'OPENAI_API_KEY' }, deps)
 * // ['sk-1', 'sk-2'] from OPENAI_API_KEY and OPENAI_API_KEY_2
 * ```
 * @see spec/backends/credentials/keys-from-row.spec.ts
 */
export function keysFromRow(row: BackendRow, deps: BackendDeps, defaultEnv?: string): string[] {
  if (row.auth === 'none') return [];
  const env = deps.env ?? {};
  // Without the runtime's reader (a backend built by hand), read the bare variable only.
  const readPool = deps.readEnvPool ?? ((name: string) => (env[name]?.trim() ? [env[name]!.trim()] : []));
  const keys: string[] = [];
  if (typeof row.api_key === 'string') keys.push(row.api_key);
  if (Array.isArray(row.api_keys)) keys.push(...(row.api_keys as unknown[]).filter((k): k is string => typeof k === 'string'));
  if (typeof row.api_key_env === 'string') keys.push(...readPool(row.api_key_env));
  const explicit = row.api_key !== undefined || row.api_keys !== undefined || row.api_key_env !== undefined;
  if (!explicit && defaultEnv) keys.push(...readPool(defaultEnv));
  return [...new Set(keys.map((k) => k.trim()).filter((k) => k.length > 0))];
}

/** The name of the variable an operator should set, for "no key" messages. */
export function keySourceHint(row: BackendRow, defaultEnv?: string): string {
  if (typeof row.api_key_env === 'string') return `the environment variable ${row.api_key_env}`;
  if (row.api_key !== undefined || row.api_keys !== undefined) return 'api_key / api_keys';
  return defaultEnv ? `${defaultEnv} (or api_key / api_keys / api_key_env on the row)` : 'api_key, api_keys or api_key_env on the row';
}
