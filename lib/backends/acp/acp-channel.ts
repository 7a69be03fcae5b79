import { channel } from 'node:diagnostics_channel';

/**
 * `lip:acp` reports agent lifecycles: `{ backend, event, pid?, sessionId?, code? }` with
 * `event` one of `spawn`, `ready`, `cancel`, `kill`, `exit`, `respawn`, `reap`. Tests use it to
 * prove that an unsubscribe reached the agent and that a stuck agent was ended.
 */
export const acpChannel = channel('lip:acp');

export interface AcpLifecycle {
  readonly backend: string;
  readonly event: 'spawn' | 'ready' | 'cancel' | 'kill' | 'exit' | 'respawn' | 'reap';
  readonly pid?: number;
  readonly sessionId?: string;
  readonly code?: number | null;
}

export function reportAcp(event: AcpLifecycle): void {
  if (acpChannel.hasSubscribers) acpChannel.publish(event);
}
