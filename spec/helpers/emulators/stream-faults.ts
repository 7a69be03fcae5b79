import type { ServerResponse } from 'node:http';

/** Bytes of body an emulator wrote to one response; read when the client closes. */
export interface WriteProgress {
  bytes: number;
}

const PIECE = 64 * 1024;
/** How many copies of the repeated frame go into one write of an endless stream. */
const BATCH_TARGET = 16 * 1024;

/** Writes `text`, counting its bytes; resolves when the socket wants more (backpressure). */
function send(res: ServerResponse, progress: WriteProgress, text: string): Promise<void> {
  progress.bytes += Buffer.byteLength(text);
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const gone = (res: ServerResponse) => res.destroyed || res.writableEnded;

/**
 * The `hugeLine` fault: `head` frames, then one `data:` line of about `bytes` bytes (a JSON
 * object whose `pad` string fills it) written in 64 KiB pieces that wait for `'drain'`, then
 * (when `terminated`) the line end and the `tail` frames. An unterminated line leaves the
 * connection open until the client closes it.
 */
export async function writeHugeLine(res: ServerResponse, progress: WriteProgress, head: readonly string[], bytes: number, terminated: boolean, tail: readonly string[]): Promise<void> {
  if (head.length > 0) await send(res, progress, head.join(''));
  const open = 'data: {"pad":"';
  let left = Math.max(0, bytes - open.length - 2);
  if (gone(res)) return;
  await send(res, progress, open);
  const piece = 'x'.repeat(PIECE);
  while (left > 0 && !gone(res)) {
    const n = Math.min(left, PIECE);
    await send(res, progress, n === PIECE ? piece : piece.slice(0, n));
    left -= n;
  }
  if (!terminated || gone(res)) return;
  await send(res, progress, '"}\n\n');
  if (tail.length > 0 && !gone(res)) await send(res, progress, tail.join(''));
  if (!gone(res)) res.end();
}

/**
 * The `endless` fault: `head` frames, then `repeat` (an output frame) over and over, batched
 * into writes of about 16 KiB that wait for `'drain'`, until the client closes the connection.
 */
export async function writeEndless(res: ServerResponse, progress: WriteProgress, head: readonly string[], repeat: string): Promise<void> {
  if (head.length > 0) await send(res, progress, head.join(''));
  const batch = repeat.repeat(Math.max(1, Math.floor(BATCH_TARGET / Math.max(1, repeat.length))));
  while (!gone(res)) {
    await send(res, progress, batch);
    // Let timers and other sockets run between batches even when the client reads fast.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
