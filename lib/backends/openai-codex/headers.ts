import type { CodexOptions } from './options.js';

/** Who lip says it is, as the Codex CLI does (the endpoint expects its client's originator). */
export const CODEX_ORIGINATOR = 'codex_cli_rs';
export const CODEX_VERSION = '0.0.0';
export const CODEX_USER_AGENT = `${CODEX_ORIGINATOR}/${CODEX_VERSION} (${process.platform}; ${process.arch})`;

/**
 * The headers of one Codex request: the bearer token, the Responses beta opt-in, an event
 * stream, the Codex client identity (`originator`, `version`, `User-Agent`), the conversation
 * as both `conversation_id` and `session_id`, `Codex-Task-Type: standard`, and the ChatGPT
 * account when it is known. The row's `headers` are added (they cannot replace the token).
 *
 * @see spec/backends/openai-codex/source.spec.ts
 */
export function codexHeaders(o: CodexOptions, token: string, conversation: string, accountId: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'openai-beta': 'responses=experimental',
    version: CODEX_VERSION,
    originator: CODEX_ORIGINATOR,
    'user-agent': CODEX_USER_AGENT,
    conversation_id: conversation,
    session_id: conversation,
    'codex-task-type': 'standard',
    ...(accountId ? { 'chatgpt-account-id': accountId } : {}),
    ...o.headers,
    authorization: `Bearer ${token}`,
  };
}
