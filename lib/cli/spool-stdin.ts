import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A file holding what was read from standard input, removed with `remove()`. */
export interface SpooledInput {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Copies `input` (standard input: `lip replay -`) to a file of its own, in a new directory only
 * the user can read (a recording holds traffic). `lip replay` reads a recording twice (a check of
 * every line, then the replay) and tells a gzip-compressed one by its first bytes, neither of
 * which a pipe allows; the copy costs disk, not memory. Rejects when the input cannot be read or
 * the file written (nothing is left behind then). The directory is removed however the process
 * ends before `remove()` (see removedAtExit).
 * @see spec/cli/regression-replay-stdin-copy-left-behind.spec.ts
 */
export async function spoolStdin(input: NodeJS.ReadableStream): Promise<SpooledInput> {
  // The guard is in place before the directory exists, and the directory is made in the same
  // turn (a signal arriving meanwhile is handled once this turn ends, with `dir` known): with an
  // `await` between the two, a signal could end the process by default with the directory made.
  const guard = removedAtExit();
  let dir: string;
  try {
    dir = guard.dir(mkdtempSync(join(tmpdir(), 'lip-replay-stdin-')));
  } catch (err) {
    guard.dispose();
    throw err;
  }
  const remove = async () => {
    guard.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  const path = join(dir, 'stdin.jsonl');
  try {
    await pipeline(input, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}

/**
 * Removes the directory (given by `dir(path)`) when the process ends before the command does: through process.exit (a reader
 * that left, exit 141: see exitWhenWritten) or by SIGINT / SIGTERM (Ctrl-C, a `kill`), which end
 * a command with no `finally` run. On a signal the directory is removed, the handler dropped and
 * the signal raised again, so that the process still ends by it (130 / 143 in a shell).
 */
function removedAtExit(): { dir(path: string): string; dispose(): void } {
  let dir: string | undefined;
  const removeNow = () => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); };
  const onSignal = (signal: NodeJS.Signals) => {
    removeNow();
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => {
    process.removeListener('exit', removeNow);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.on('exit', removeNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { dir: (path) => (dir = path), dispose };
}
