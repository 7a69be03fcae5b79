export { openaiCodexKind } from './kind.js';
export { CodexBackend, codexProtocol, OPENAI_CODEX_DEFAULTS } from './source.js';
export { encodeCodexRequest, codexInstructions, codexModel, conversationId, unsupportedParams, unsupportedParamsError, DEFAULT_CODEX_INSTRUCTIONS, type CodexTurn } from './encode-request.js';
export { codexHeaders, CODEX_ORIGINATOR, CODEX_USER_AGENT, CODEX_VERSION } from './headers.js';
export { resolveCodexCredentials, CODEX_TOKEN_ENVS, type CodexCredentials } from './credentials.js';
export { readAuthFile, type AuthFileTokens } from './auth-file.js';
export { CodexTokens, REFRESH_RETRY_MS, REFRESH_TIMEOUT_MS, type RefreshSettings } from './token-refresh.js';
export { TurnCounter, bumpsVerbosity, TURN_TTL_MS, TURN_MAX_ENTRIES } from './turn-counter.js';
export { openaiCodexProperties, codexOptions, checkCodexRow, CODEX_BASE_URL, CODEX_TOKEN_URL, CODEX_CLIENT_ID, type CodexOptions } from './options.js';
