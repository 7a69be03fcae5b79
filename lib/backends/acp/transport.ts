import type { JsonRpcPeer } from './json-rpc-peer.js';

/**
 * One connection to an agent: a process over stdio, or an agent server over HTTP. `kill` ends
 * it at once (the process is killed, HTTP requests are aborted); `exited` settles when it is
 * gone. `pause` stops reading what the agent sends until `resume` (the client's socket is full):
 * the agent's writes back up (a full pipe, TCP), so a slow client slows the agent rather than
 * filling lip's memory.
 */
export interface AgentTransport {
  readonly peer: JsonRpcPeer;
  readonly pid: number | undefined;
  readonly alive: boolean;
  readonly exited: Promise<number | null>;
  kill(): void;
  pause(): void;
  resume(): void;
}
