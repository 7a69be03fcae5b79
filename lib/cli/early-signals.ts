import cluster from 'node:cluster';
import { commandWord } from './command-word.js';

/**
 * The signals that arrive before lip serves (loading its modules, the config, opening the
 * stores, binding the port take a second or more): without a handler, SIGHUP and SIGTERM end the
 * process with no word, and a `systemctl reload` right after a start killed the service (systemd
 * takes a death by SIGHUP for a clean exit, so it was not restarted either). They are kept and
 * acted on once serving: a stop without the drain delay (no traffic was ever taken), a reload.
 * A wait that may last (the config read from a pipe, a FIFO, a terminal) ends at the first stop
 * (`stopped`). A second SIGTERM or SIGINT exits 1 at once, as it does once serving; not in a
 * worker of `--workers`, where the primary forwards each stop and a terminal's Ctrl-C also
 * reaches the worker itself (one request, two signals).
 * @see spec/cli/regression-serve-stops-while-reading-config.spec.ts
 */
export class EarlySignals {
  stop: NodeJS.Signals | undefined;
  reload = false;
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly stopped: Promise<NodeJS.Signals>;
  private stopNow!: (signal: NodeJS.Signals) => void;
  private readonly onStop = (signal: NodeJS.Signals) => {
    if (this.stop !== undefined && !cluster.isWorker) {
      process.stderr.write(`lip: second signal (${signal}) while starting: exiting without waiting\n`);
      process.exit(1);
    }
    this.stop ??= signal;
    this.stopNow(signal);
  };
  private readonly onReload = () => { this.reload = true; };

  constructor() {
    this.stopped = new Promise((resolve) => { this.stopNow = resolve; });
    process.on('SIGTERM', this.onStop);
    process.on('SIGINT', this.onStop);
    process.on('SIGHUP', this.onReload);
  }

  dispose(): void {
    process.removeListener('SIGTERM', this.onStop);
    process.removeListener('SIGINT', this.onStop);
    process.removeListener('SIGHUP', this.onReload);
  }
}

/** The signals caught since bin/lip.js started (`catchEarlySignals`), until `lip serve` takes them. */
let caught: EarlySignals | undefined;

/**
 * Starts keeping the signals when the command line runs `lip serve` (each worker of `--workers`
 * runs it too). bin/lip.js calls it first, before it imports the CLI and the server (over a
 * second on a slow machine): other commands keep the signals' default effect.
 * @see spec/cli/regression-early-signals.spec.ts
 */
export function catchEarlySignals(argv: readonly string[]): void {
  if (commandWord(argv) === 'serve') caught ??= new EarlySignals();
}

/** The signals kept since the process started (`catchEarlySignals`), or from now on when none were being kept. */
export function takeEarlySignals(): EarlySignals {
  const early = caught ?? new EarlySignals();
  caught = undefined;
  return early;
}
