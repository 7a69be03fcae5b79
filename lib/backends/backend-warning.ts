import { channel } from 'node:diagnostics_channel';

/**
 * `lip:backend-warning` reports what a backend found wrong with its surroundings that an operator
 * should fix, and worked around for now (a Bedrock row's clock skewed from AWS's). `lip serve`
 * logs each at `warn`; a backend reports one such finding once, not on every request. Nothing is
 * published while nobody listens.
 */
export const backendWarningChannel = channel('lip:backend-warning');

export interface BackendWarning {
  readonly backend: string;
  readonly message: string;
  /** Fields for the log line (snake_case). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export function reportBackendWarning(warning: BackendWarning): void {
  if (backendWarningChannel.hasSubscribers) backendWarningChannel.publish(warning);
}
