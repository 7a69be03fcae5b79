/** A stream the process writes to (stdout, stderr). */
type Written = Pick<NodeJS.WriteStream, 'write' | 'destroyed' | 'writableEnded'>;

/**
 * The exit code of a command whose output's reader went away (EPIPE, `lip replay | head -1`):
 * 128 + SIGPIPE, what a shell reports for a tool the signal ended (Node ignores SIGPIPE, so lip
 * cannot die of it).
 */
export const EXIT_READER_GONE = 141;

/**
 * The streams whose reader went away. Kept here: process.stdout and stderr undo their own
 * destruction (Node keeps them writable for good), so neither `destroyed` nor `errored` stays set.
 */
const gone = new WeakSet<object>();

/** Whether the reader of `stream` went away (nothing written to it can be read any more). */
export function readerGone(stream: object): boolean {
  return gone.has(stream);
}

/**
 * Whether a write to stdout or stderr failed otherwise (ENOSPC on a full disk, EIO …): the
 * command exits 1 then, whatever code it ended with (its output is not all there).
 */
let failed = false;

/** Notes what `err`, an error of a write to `stream`, says: its reader went away, or the write failed. */
function noteGone(stream: object, err: unknown): void {
  if (err === null || err === undefined) return;
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') gone.add(stream);
  else failed = true;
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS (at once when
 * the stream is gone). An empty write's callback runs after every write queued before it: on
 * Linux a write to a pipe whose reader is slower than lip is queued in libuv once the pipe's
 * buffer (64 KiB) is full, so "pipes are synchronous" does not hold for large output.
 */
export function written(stream: Written): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || gone.has(stream)) resolve();
    else stream.write('', (err) => {
      noteGone(stream, err);
      resolve();
    });
  });
}

/**
 * Ends a command that has finished: sets the exit code, waits until stdout and stderr have
 * written what the command printed, then exits (EXIT_READER_GONE when a reader went away
 * meanwhile, 1 when a write failed otherwise, whatever `code` was). The exit is still forced, but only after the output is out: a stray handle (an
 * upstream's keep-alive socket after `--live`, a timer) must not keep a finished command alive.
 * A reader that never reads keeps lip waiting, as it keeps any tool writing to it.
 * @see spec/cli/regression-output-cut-at-pipe-buffer.spec.ts
 */
export async function exitWhenWritten(code: number, streams: readonly Written[] = [process.stdout, process.stderr]): Promise<never> {
  process.exitCode = code;
  await Promise.all(streams.map(written));
  process.exit(streams.some(readerGone) ? EXIT_READER_GONE : failed ? 1 : code);
}

/**
 * For the commands but `lip serve`: when the reader of stdout or stderr goes away (EPIPE), the
 * command ends there, quietly, with EXIT_READER_GONE, as a tool the SIGPIPE ends would (nothing
 * it prints can be read any more); without a handler the stream's error was a crash with a stack
 * trace and exit 1, which `lip replay` also uses for "differences". Another write error ends it
 * with one line on stderr and exit 1, also when the command finishes first (exitWhenWritten).
 * @see spec/cli/regression-reader-gone.spec.ts
 * @see spec/cli/regression-write-failure-exit-code.spec.ts
 */
export function endWhenOutputFails(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  let ending = false;
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      noteGone(stream, err);
      if (ending) return;
      ending = true;
      if (err.code === 'EPIPE') return void exitWhenWritten(EXIT_READER_GONE, streams);
      if (stream !== process.stderr && !gone.has(process.stderr)) process.stderr.write(`lip: cannot write the output: ${err.message}\n`);
      return void exitWhenWritten(1, streams);
    });
  }
}
