import { commandWord } from './command-word.js';

/**
 * The signals that arrive before lip serves (loading its modules, the config, opening the
 * stores, binding the port take a second or more): without a handler, SIGHUP and SIGTERM end the
 * process with no word, and a `systemctl reload` right after a start killed the service (systemd
 * takes a death by SIGHUP for a clean exit, so it was not restarted either). They are kept and
 * acted on once serving: a stop without the drain delay (no traffic was ever taken), a reload.
 */
export class EarlySignals {
  stop: NodeJS.Signals | undefined;
  reload = false;
  private readonly onStop = (signal: NodeJS.Signals) => { this.stop ??= signal; };
  private readonly onReload = () => { this.reload = true; };

  constructor() {
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
