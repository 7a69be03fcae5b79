import type { BackendKind } from '../backend.js';
import { resolveCodexCredentials } from './credentials.js';
import { checkCodexRow, openaiCodexProperties } from './options.js';
import { CodexBackend, OPENAI_CODEX_DEFAULTS } from './source.js';

/**
 * openai-codex: the ChatGPT Codex Responses endpoint, signed in as the machine's Codex CLI user
 * (its access token, `~/.codex/auth.json`). Local: it uses one person's login, so multi_user
 * mode refuses it.
 */
export const openaiCodexKind: BackendKind = {
  kind: 'openai-codex',
  properties: openaiCodexProperties,
  defaultModel: OPENAI_CODEX_DEFAULTS.models[0]!,
  local: true,
  catalogProvider: 'openai',
  checkRow: checkCodexRow,
  credentialProblem: (row, env, readEnvPool) => {
    const found = resolveCodexCredentials({ id: String(row.id), kind: String(row.kind), models: [], ...row }, { env, readEnvPool });
    if (found.problem) return found.problem;
    return found.tokens.length === 0 ? `no Codex access token was found: set ${found.source}` : undefined;
  },
  create: (row, deps) => new CodexBackend(row, deps),
};
