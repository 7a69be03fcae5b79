import { LipError, isLipError } from '../../errors/index.js';
import { RpcError } from './json-rpc-peer.js';

/**
 * The LipError of a failed agent exchange. Transport failures (spawn, exit, reset, oversize
 * line) are already LipErrors and keep their class; a JSON-RPC error answer is the agent
 * refusing or failing the turn: retryable only when it is an internal error (-32603), which an
 * agent reports for transient model failures.
 */
export function classifyError(error: unknown, backend: string): LipError {
  if (isLipError(error)) return error;
  if (error instanceof RpcError) {
    return new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', `acp ${backend}: agent answered ${error.message}`, {
      retryable: error.error.code === -32603, detail: { backend, rpc_code: error.error.code },
    });
  }
  return new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${backend}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, detail: { backend } });
}
