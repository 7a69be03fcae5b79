import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BackendDeps, BackendRow } from '../backend.js';
import { keysFromRow } from '../credentials/index.js';
import { readAuthFile } from './auth-file.js';

/** The environment pools of Codex access tokens, in order (each `NAME`, `NAME_2` ...). */
export const CODEX_TOKEN_ENVS = ['OPENAI_CODEX_ACCESS_TOKEN', 'OPENAI_CODEX_API_KEY'] as const;

/** Where one backend's access tokens came from, and what can renew them. */
export interface CodexCredentials {
  /** The access tokens (the key pool), in precedence order; empty when none was found. */
  readonly tokens: readonly string[];
  /** Which token the refresh token renews, and the refresh token. */
  readonly refresh?: { readonly token: string; readonly refreshToken: string };
  readonly accountId?: string;
  /** Where the tokens come from, for messages. */
  readonly source: string;
  /** Why there is no token although one was configured (an unreadable or too open auth.json). */
  readonly problem?: string;
}

/**
 * Resolves a row's Codex credentials, first source that has a token wins:
 *
 * 1. the row: `access_token` (with its `refresh_token`), or `api_key` / `api_keys` / `api_key_env`;
 * 2. the environment: `OPENAI_CODEX_ACCESS_TOKEN` (`_2` ...), then `OPENAI_CODEX_API_KEY` (`_2` ...);
 * 3. `auth_json_path` (a missing file is a problem);
 * 4. `~/.codex/auth.json` when it exists (missing: no credentials, not a problem).
 *
 * From auth.json come the access and refresh tokens and the account id; with an explicit token
 * the account id is still read from `auth_json_path` when the row names one. Files are read
 * once, here: a refreshed token is kept in memory only (auth.json is never written).
 *
 * @see spec/backends/openai-codex/credentials.spec.ts
 */
export function resolveCodexCredentials(row: BackendRow, deps: BackendDeps): CodexCredentials {
  const env = deps.env ?? {};
  const readPool = deps.readEnvPool ?? ((name: string) => (env[name]?.trim() ? [env[name]!.trim()] : []));
  const explicitPath = typeof row.auth_json_path === 'string' ? row.auth_json_path : undefined;
  const rowAccount = typeof row.account_id === 'string' ? row.account_id : undefined;
  const accountFromFile = (): string | undefined => {
    if (rowAccount || !explicitPath) return rowAccount;
    try {
      return readAuthFile(explicitPath).accountId;
    } catch {
      return undefined;
    }
  };

  if (typeof row.access_token === 'string' && row.access_token.trim() !== '') {
    const token = row.access_token.trim();
    const refreshToken = typeof row.refresh_token === 'string' ? row.refresh_token : undefined;
    const accountId = accountFromFile();
    return { tokens: [token], ...(refreshToken ? { refresh: { token, refreshToken } } : {}), ...(accountId ? { accountId } : {}), source: 'access_token' };
  }
  const rowKeys = keysFromRow(row, deps);
  if (rowKeys.length > 0) return withAccount({ tokens: rowKeys, source: 'api_key / api_keys / api_key_env' }, accountFromFile());
  for (const name of CODEX_TOKEN_ENVS) {
    const pool = readPool(name);
    if (pool.length > 0) return withAccount({ tokens: pool, source: `the environment variable ${name}` }, accountFromFile());
  }

  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  const path = explicitPath ?? join(home, '.codex', 'auth.json');
  const label = explicitPath ? `auth_json_path ${path}` : `the default ${path}`;
  let file;
  try {
    file = readAuthFile(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException)?.code === 'ENOENT';
    if (missing && !explicitPath) return { tokens: [], source: hint(path) };
    return { tokens: [], source: label, problem: missing ? `${label} does not exist` : `${label}: ${(err as Error).message}` };
  }
  if (!file.accessToken) return { tokens: [], source: label, problem: `${label} holds no access_token` };
  const accountId = rowAccount ?? file.accountId;
  return {
    tokens: [file.accessToken], source: label, ...(accountId ? { accountId } : {}),
    ...(file.refreshToken ? { refresh: { token: file.accessToken, refreshToken: file.refreshToken } } : {}),
  };
}

function withAccount(c: CodexCredentials, accountId: string | undefined): CodexCredentials {
  return accountId ? { ...c, accountId } : c;
}

/** What to set when no token was found anywhere. */
function hint(defaultPath: string): string {
  return `access_token on the row, ${CODEX_TOKEN_ENVS.join(' or ')}, auth_json_path, or log in with the Codex CLI (${defaultPath})`;
}
