import { closeSync, constants, createReadStream, fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import { configText, MAX_CONFIG_BYTES, unreadable } from './load-config.js';

/**
 * readConfigText for the config `lip serve` starts with, read without holding the thread: the
 * same text, the same size limit, the same errors, and `signal` ends the wait (rejecting with
 * its reason). A pipe, a FIFO or a terminal keeps lip waiting as long as its writer does
 * (`--config <(cmd)` with a cmd that hangs, a FIFO no one writes to, `/dev/stdin` at a
 * terminal); read synchronously, that wait held the only thread, and SIGINT and SIGTERM could not
 * stop lip. Here a FIFO, a pipe or a terminal is polled by the event loop, and is opened with
 * O_NONBLOCK: a blocking open waits for a writer in a thread of libuv's pool, and
 * `process.exit()` then waits for that thread for ever. Files and other devices are read in
 * libuv's pool (they do not wait).
 * @see spec/cli/regression-serve-stops-while-reading-config.spec.ts
 */
export async function readConfigTextAsync(path: string, signal?: AbortSignal): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(path, MAX_CONFIG_BYTES, signal);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw unreadable(path, err);
  }
  return configText(path, bytes);
}

/** A stream of the file at `path` that waits in the event loop, not in a thread (see readConfigTextAsync). */
function openStream(path: string): Readable {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (stat.isFIFO()) return new Socket({ fd, readable: true, writable: false });
    if (isatty(fd)) return new TtyReadStream(fd);
    return createReadStream(path, { fd });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The bytes of the file at `path`, refused once past `limit` (a pipe or a device has no size to check first). */
function readAtMost(path: string, limit: number, signal: AbortSignal | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const stream = openStream(path);
    const pieces: Buffer[] = [];
    let total = 0;
    let settled = false;
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      if (err === undefined) resolve(Buffer.concat(pieces, total));
      else reject(err as Error);
    };
    const onAbort = () => done(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (piece: Buffer) => {
      total += piece.length;
      if (total > limit) done(new Error(`larger than ${limit} bytes`));
      else pieces.push(piece);
    });
    stream.once('end', () => done());
    stream.once('error', done);
  });
}
