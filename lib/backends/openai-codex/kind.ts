import type { BackendKind } from '../backend.js';
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
  checkRow: checkCodexRow,
  create: (row, deps) => new CodexBackend(row, deps),
};
