/**
 * The delay before the primary restarts a worker that exited unexpectedly: a worker that ran
 * for a while (`stableMs`) is replaced almost at once; each further quick crash doubles the
 * delay up to `maxMs`, so a worker that cannot start (a file it needs went missing, a port
 * taken) does not spin the CPU. A worker that runs stable again resets the count.
 */
export interface RestartBackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
}

export const RESTART_BACKOFF: RestartBackoffOptions = { baseMs: 100, maxMs: 30_000, stableMs: 10_000 };

export class RestartBackoff {
  private quickCrashes = 0;

  constructor(private readonly options: RestartBackoffOptions = RESTART_BACKOFF) {}

  /** The delay before restarting a worker that ran for `uptimeMs` and then exited. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.options.stableMs) this.quickCrashes = 0;
    const delay = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.quickCrashes);
    this.quickCrashes = Math.min(this.quickCrashes + 1, 30);
    return delay;
  }
}
