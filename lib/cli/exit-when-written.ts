/** A stream the process writes to (stdout, stderr). */
type Written = Pick<NodeJS.WriteStream, 'write' | 'destroyed' | 'writableEnded'>;

/**
 * Resolves once everything written to `stream` so far has been handed to the OS (at once when
 * the stream is gone). An empty write's callback runs after every write queued before it: on
 * Linux a write to a pipe whose reader is slower than lip is queued in libuv once the pipe's
 * buffer (64 KiB) is full, so "pipes are synchronous" does not hold for large output.
 */
export function written(stream: Written): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Ends a command that has finished: sets the exit code, waits until stdout and stderr have
 * written what the command printed, then exits. The exit is still forced, but only after the
 * output is out: a stray handle (an upstream's keep-alive socket after `--live`, a timer) must
 * not keep a finished command alive. A reader that never reads keeps lip waiting, as it keeps any
 * tool writing to it; one that leaves ends the wait (EPIPE).
 * @see spec/cli/regression-output-cut-at-pipe-buffer.spec.ts
 */
export async function exitWhenWritten(code: number, streams: readonly Written[] = [process.stdout, process.stderr]): Promise<never> {
  process.exitCode = code;
  await Promise.all(streams.map(written));
  process.exit(code);
}
