import type { JsonRpcPeer } from './json-rpc-peer.js';

/**
 * One connection to an agent: a process over stdio, or an agent server over HTTP. `kill` ends
 * it at once (the process is killed, HTTP requests are aborted); `exited` settles when it is
 * gone.
 */
export interface AgentTransport {
  readonly peer: JsonRpcPeer;
  readonly pid: number | undefined;
  readonly alive: boolean;
  readonly exited: Promise<number | null>;
  kill(): void;
}
