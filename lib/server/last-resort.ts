import { config } from 'rxjs/internal/config';
import { internalErrorChannel, type InternalErrorReport } from '../errors/index.js';

let rxjsInstalled = false;
let processInstalled = false;

/** Publishes a throw nobody caught; stderr when nothing listens (no server to log it). */
function report(where: string, error: unknown): void {
  if (internalErrorChannel.hasSubscribers) internalErrorChannel.publish({ where, error } satisfies InternalErrorReport);
  else process.stderr.write(`lip: internal error (${where}): ${(error as Error)?.stack ?? String(error)}\n`);
}

/**
 * RxJS rethrows an error that reached no error handler (a throw inside a final subscriber's
 * callback) asynchronously, which would end the process. The server's own callbacks are
 * guarded; this is the net under them: such an error is reported (logged with its stack,
 * counted in `lip_internal_errors_total`) instead. Idempotent.
 */
export function installRxjsLastResort(): void {
  if (rxjsInstalled) return;
  rxjsInstalled = true;
  config.onUnhandledError = (err: unknown) => report('rxjs.unhandled', err);
}

/**
 * For `lip serve`, which owns its process: an uncaught exception or an unhandled rejection is
 * reported and counted, and the process keeps serving. This is a last resort, not the
 * mechanism: every request path turns its own throws into that request's error.
 */
export function installProcessLastResort(): void {
  if (processInstalled) return;
  processInstalled = true;
  process.on('uncaughtException', (err) => report('process.uncaught_exception', err));
  process.on('unhandledRejection', (reason) => report('process.unhandled_rejection', reason));
}
