import { LipError, isLipError } from '../../errors/index.js';
import { RpcError } from './json-rpc-peer.js';

/** ACP's "resource not found", which an agent answers a prompt for a session it does not hold with. */
const RESOURCE_NOT_FOUND = -32002;

/**
 * Whether the agent answered that it no longer holds the session (an agent server that
 * restarted between turns forgot it): -32002, or an error whose message or data says "session
 * not found" whatever its code (-32602, or -32603 with the words in `data`, as agents write it).
 */
export function sessionGone(error: unknown): boolean {
  if (!(error instanceof RpcError)) return false;
  return error.error.code === RESOURCE_NOT_FOUND || /session not found/i.test(`${error.error.message} ${JSON.stringify(error.error.data ?? null)}`);
}

/**
 * The LipError of a failed agent exchange. Transport failures (spawn, exit, reset, oversize
 * line) are already LipErrors and keep their class; a JSON-RPC error answer is the agent
 * refusing or failing the turn: retryable when it is an internal error (-32603), which an agent
 * reports for transient model failures, or when the agent lost the session (`sessionGone`: the
 * agent is let go, and the next attempt opens a new session).
 */
export function classifyError(error: unknown, backend: string): LipError {
  if (isLipError(error)) return error;
  if (error instanceof RpcError) {
    return new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', `acp ${backend}: agent answered ${error.message}`, {
      retryable: error.error.code === -32603 || sessionGone(error), detail: { backend, rpc_code: error.error.code },
    });
  }
  return new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${backend}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, detail: { backend } });
}
