import type { BackendRow } from '../backend.js';
import { basePath, endpointUrl } from '../http/endpoint-url.js';
import { MEDIA_URLS_PROPERTY } from '../media-refusal.js';

export const CODEX_BASE_URL = 'https://chatgpt.com/backend-api/codex';
export const CODEX_TOKEN_URL = 'https://auth.openai.com/oauth/token';
/** The public client id of the Codex CLI, which issued the tokens lip reuses. */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/**
 * The openai-codex row keys beside the common ones (`api_key`, `api_keys`, `api_key_env` are
 * access tokens too). Credentials, refresh and verbosity bumps are described in
 * docs/backends/openai-codex.md.
 */
export const openaiCodexProperties: Record<string, Record<string, unknown>> = {
  base_url: { type: 'string', lipUrl: ['http', 'https'], default: CODEX_BASE_URL },
  access_token: { type: 'string', minLength: 1 },
  refresh_token: { type: 'string', minLength: 1 },
  account_id: { type: 'string', minLength: 1 },
  auth_json_path: { type: 'string', minLength: 1 },
  oauth_token_url: { type: 'string', lipUrl: ['http', 'https'], default: CODEX_TOKEN_URL },
  oauth_client_id: { type: 'string', minLength: 1, default: CODEX_CLIENT_ID },
  default_reasoning_effort: { enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] },
  default_verbosity: { enum: ['low', 'medium', 'high'] },
  ignore_unsupported_gen_params: { type: 'boolean', default: false },
  early_session_verbosity_bump_turns: { type: 'integer', minimum: 0, maximum: 1000, default: 5 },
  mid_session_verbosity_bump_frequency: { type: 'integer', minimum: 0, maximum: 100000, default: 10 },
  media_urls: MEDIA_URLS_PROPERTY,
};

export interface CodexOptions {
  /** `{base_url}/responses` (not doubled when base_url's path already ends in `/responses`; its query kept). */
  readonly responsesUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly defaultReasoningEffort?: string;
  readonly defaultVerbosity?: 'low' | 'medium' | 'high';
  readonly ignoreUnsupportedGenParams: boolean;
  /** Turns 1..N of a conversation get `text.verbosity: high` (0: off). */
  readonly earlyBumpTurns: number;
  /** Every Nth turn after that too (0: off). */
  readonly midBumpFrequency: number;
  readonly headers: Readonly<Record<string, string>>;
}

export function codexOptions(row: BackendRow): CodexOptions {
  const str = (key: string): string | undefined => (typeof row[key] === 'string' ? (row[key] as string) : undefined);
  const base = (str('base_url') ?? CODEX_BASE_URL).trim().replace(/\/+$/, '');
  return {
    responsesUrl: endpointUrl(base, basePath(base).endsWith('/responses') ? '' : '/responses'),
    tokenUrl: str('oauth_token_url') ?? CODEX_TOKEN_URL,
    clientId: str('oauth_client_id') ?? CODEX_CLIENT_ID,
    ...(str('default_reasoning_effort') ? { defaultReasoningEffort: str('default_reasoning_effort')! } : {}),
    ...(str('default_verbosity') ? { defaultVerbosity: str('default_verbosity') as CodexOptions['defaultVerbosity'] } : {}),
    ignoreUnsupportedGenParams: row.ignore_unsupported_gen_params === true,
    earlyBumpTurns: typeof row.early_session_verbosity_bump_turns === 'number' ? row.early_session_verbosity_bump_turns : 5,
    midBumpFrequency: typeof row.mid_session_verbosity_bump_frequency === 'number' ? row.mid_session_verbosity_bump_frequency : 10,
    headers: (row.headers as Record<string, string> | undefined) ?? {},
  };
}

/**
 * Row rules a schema cannot say: the mid-session frequency must lie beyond the early window
 * (else every early turn would be bumped twice over), and a refresh token needs one token to
 * belong to (`access_token` or `auth_json_path`).
 */
export function checkCodexRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  const early = typeof row.early_session_verbosity_bump_turns === 'number' ? row.early_session_verbosity_bump_turns : 5;
  const every = typeof row.mid_session_verbosity_bump_frequency === 'number' ? row.mid_session_verbosity_bump_frequency : 10;
  if (every > 0 && early > 0 && every <= early) {
    return { key: 'mid_session_verbosity_bump_frequency', message: `must exceed early_session_verbosity_bump_turns (${early}), or be 0 to switch the mid-session bump off` };
  }
  if (row.refresh_token !== undefined && row.access_token === undefined) {
    return { key: 'refresh_token', message: 'a refresh_token belongs to an access_token on the same row (auth.json brings its own)' };
  }
  if (row.access_token !== undefined && (row.api_key !== undefined || row.api_keys !== undefined || row.api_key_env !== undefined)) {
    return { key: 'access_token', message: 'give either access_token or api_key / api_keys / api_key_env, not both' };
  }
  return undefined;
}
