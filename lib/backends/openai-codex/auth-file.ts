import { readFileSync, statSync } from 'node:fs';

/** What lip reads from a Codex CLI `auth.json`. */
export interface AuthFileTokens {
  readonly accessToken?: string;
  readonly refreshToken?: string;
  readonly accountId?: string;
}

type Json = Record<string, unknown>;

/** The first non-blank string among `keys` of an object (snake or camel case). */
function pick(object: unknown, ...keys: string[]): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  for (const key of keys) {
    const value = (object as Json)[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * Reads a Codex CLI `auth.json`: `access_token`, `refresh_token` and `account_id` (snake or
 * camel case) at the top level or under `tokens` (the CLI's own layout). On Unix the file must
 * be a regular file that neither group nor others may read or write (`chmod 600`): a token file
 * anyone else can read is refused, never used. Throws an Error that says what is wrong (ENOENT
 * keeps its `code`, so that a missing default file can be told apart).
 *
 * ```ts
 * readAuthFile('/home/me/.codex/auth.json') // { accessToken, refreshToken, accountId }
 * ```
 * @see spec/backends/openai-codex/auth-file.spec.ts
 */
export function readAuthFile(path: string, platform: NodeJS.Platform = process.platform): AuthFileTokens {
  const stat = statSync(path);
  if (platform !== 'win32') {
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0) throw new Error(`${path} is group/other accessible (mode ${mode.toString(8).padStart(4, '0')}); expected 0600 (chmod 600 ${path})`);
  }
  let root: unknown;
  try {
    root = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const tokens = typeof root === 'object' && root !== null ? (root as Json).tokens : undefined;
  const accessToken = pick(root, 'access_token', 'accessToken') ?? pick(tokens, 'access_token', 'accessToken');
  const refreshToken = pick(root, 'refresh_token', 'refreshToken') ?? pick(tokens, 'refresh_token', 'refreshToken');
  const accountId = pick(root, 'account_id', 'accountId', 'accountID') ?? pick(tokens, 'account_id', 'accountId', 'accountID');
  return { ...(accessToken ? { accessToken } : {}), ...(refreshToken ? { refreshToken } : {}), ...(accountId ? { accountId } : {}) };
}
